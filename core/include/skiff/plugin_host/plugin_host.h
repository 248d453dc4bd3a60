// SPDX-License-Identifier: Apache-2.0
// PluginHost: finds, checks and loads skiff plugins (libskiff_<kind>_<name>.so)
// with Boost.DLL, and creates the objects they offer.
//
// Every refusal is one line naming the file and the reason, and the process
// keeps running: wrong ABI major, ABI minor too new, plugin refusing the host,
// missing entry symbol, not a regular file, group- or world-writable file,
// not a shared library, fingerprint mismatch, duplicate kind+name, file name
// not matching the descriptor.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "skiff/plugin_abi.h"
#include "skiff/plugin_host/loaded_plugin.h"
#include "skiff/status.h"

namespace skiff {

// A plugin file that was not loaded, and why.
struct RefusedPlugin {
  std::string path;
  std::string reason;  // one line, e.g. "built for ABI 2.0, host is 1.0; rebuild ..."
};

class PluginHost {
 public:
  struct Options {
    // Directories searched in order; the first plugin of a kind+name wins and
    // later ones are refused as duplicates. Missing directories are skipped.
    std::vector<std::string> search_path;
    // The ABI and fingerprint the host speaks. Defaults: this build's.
    uint32_t abi_major = SKIFF_PLUGIN_ABI_MAJOR;
    uint32_t abi_minor = SKIFF_PLUGIN_ABI_MINOR;
    std::string fingerprint;  // empty = SKIFF_BUILD_FINGERPRINT
  };

  explicit PluginHost(Options options);

  // Scans the search path and loads every plugin file it finds. Never fails:
  // what cannot be loaded is recorded in refused().
  // Threading: not concurrently with itself or with Find/Create.
  void Discover();

  // Loads one file (used by Discover(); public for tools and tests).
  // Returns the plugin, or the one-line reason it was refused (also recorded).
  StatusOr<std::shared_ptr<const LoadedPlugin>> LoadFile(const std::string& path);

  const std::vector<std::shared_ptr<const LoadedPlugin>>& plugins() const { return plugins_; }
  const std::vector<RefusedPlugin>& refused() const { return refused_; }

  // The loaded plugin of a kind and name, or kNotFound listing what exists.
  StatusOr<std::shared_ptr<const LoadedPlugin>> Find(skiff_plugin_kind kind,
                                                     const std::string& name) const;

  // Creates an object of `Interface` (skiff::Accelerator, ...) from plugin
  // `name`. The returned pointer keeps the plugin's library loaded.
  // Threading: may be called concurrently (after Discover()).
  template <typename Interface>
  StatusOr<std::shared_ptr<Interface>> Create(const std::string& name,
                                              const std::string& options_json) const {
    auto plugin = Find(static_cast<skiff_plugin_kind>(Interface::kPluginKind), name);
    if (!plugin.ok()) return plugin.status();
    return (*plugin)->template Create<Interface>(options_json);
  }

  // "accelerator" for SKIFF_PLUGIN_KIND_ACCELERATOR, ...; "unknown" otherwise.
  static const char* KindName(uint32_t kind);

 private:
  Status Refuse(const std::string& path, const std::string& reason);

  Options options_;
  std::vector<std::shared_ptr<const LoadedPlugin>> plugins_;
  std::vector<RefusedPlugin> refused_;
};

}  // namespace skiff
