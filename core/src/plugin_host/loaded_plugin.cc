// SPDX-License-Identifier: Apache-2.0
#include "skiff/plugin_host/loaded_plugin.h"

#include "library.h"

namespace skiff {

LoadedPlugin::LoadedPlugin(std::shared_ptr<plugin_host_internal::Library> library,
                           const skiff_plugin_descriptor* descriptor, std::string path)
    : library_(std::move(library)), descriptor_(descriptor), path_(std::move(path)) {}

// library_ is released after this body: the last LoadedPlugin reference (held
// by the last object the plugin made) unloads the library.
LoadedPlugin::~LoadedPlugin() = default;

std::string LoadedPlugin::description() const {
  return descriptor_->description != nullptr ? descriptor_->description : "";
}

Status LoadedPlugin::CreateRaw(const std::string& options_json, void** out) const {
  skiff_error* error = descriptor_->create(options_json.c_str(), out);
  if (error == nullptr) {
    if (*out == nullptr) {
      return Internal("plugin '" + name() + "' (" + path_ + ") created a null object");
    }
    return OkStatus();
  }
  Status status(static_cast<StatusCode>(error->code),
                error->message != nullptr ? error->message : "(no message)");
  descriptor_->error_delete(error);
  if (status.ok()) status = Internal("plugin '" + name() + "' reported an error with code OK");
  return status;
}

}  // namespace skiff
