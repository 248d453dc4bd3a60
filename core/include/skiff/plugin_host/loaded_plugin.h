// SPDX-License-Identifier: Apache-2.0
// LoadedPlugin: one plugin library held in memory, and the objects it makes.
#pragma once

#include <memory>
#include <string>

#include "skiff/plugin_abi.h"
#include "skiff/status.h"

namespace skiff {

namespace plugin_host_internal {
class Library;  // wraps boost::dll::shared_library; unloads under the loader mutex
}

class LoadedPlugin : public std::enable_shared_from_this<LoadedPlugin> {
 public:
  LoadedPlugin(std::shared_ptr<plugin_host_internal::Library> library,
               const skiff_plugin_descriptor* descriptor, std::string path);
  ~LoadedPlugin();

  uint32_t kind() const { return descriptor_->kind; }
  std::string name() const { return descriptor_->name; }
  std::string version() const { return descriptor_->version; }
  std::string description() const;
  std::string fingerprint() const { return descriptor_->fingerprint; }
  uint32_t abi_major() const { return descriptor_->abi_major; }
  uint32_t abi_minor() const { return descriptor_->abi_minor; }
  const std::string& path() const { return path_; }

  // Creates an object through the descriptor. The object holds this plugin
  // (and so its library) until it is destroyed.
  // Threading: may be called concurrently.
  template <typename Interface>
  StatusOr<std::shared_ptr<Interface>> Create(const std::string& options_json) const {
    if (descriptor_->kind != Interface::kPluginKind) {
      return InvalidArgument("plugin '" + name() + "' (" + path_ + ") is not of the requested kind");
    }
    void* raw = nullptr;
    Status status = CreateRaw(options_json, &raw);
    if (!status.ok()) return status;
    std::shared_ptr<const LoadedPlugin> self = shared_from_this();
    auto* object = static_cast<Interface*>(raw);
    return std::shared_ptr<Interface>(object, [self](Interface* p) {
      self->descriptor_->destroy(static_cast<void*>(p));
    });
  }

 private:
  Status CreateRaw(const std::string& options_json, void** out) const;

  std::shared_ptr<plugin_host_internal::Library> library_;
  const skiff_plugin_descriptor* descriptor_;  // OWNERSHIP: static in the library
  std::string path_;
};

// Ties an object made by a plugin object (e.g. a LoadedModel made by an
// Accelerator) to its maker, so the maker and its library outlive it.
template <typename T, typename Maker>
std::shared_ptr<T> TieLifetime(std::unique_ptr<T> object, std::shared_ptr<Maker> maker) {
  T* raw = object.release();
  return std::shared_ptr<T>(raw, [maker](T* p) { delete p; });
}

}  // namespace skiff
