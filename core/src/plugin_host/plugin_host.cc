// SPDX-License-Identifier: Apache-2.0
#include "skiff/plugin_host/plugin_host.h"

#include <algorithm>
#include <cstddef>
#include <filesystem>

#include "file_checks.h"
#include "library.h"
#include "skiff/build_fingerprint.h"

namespace skiff {
namespace {

using plugin_host_internal::CheckPluginFile;
using plugin_host_internal::Library;
using plugin_host_internal::LoaderMutex;
using plugin_host_internal::ParsePluginFileName;

// Size of the ABI 1.0 descriptor: a plugin must provide at least this much.
constexpr size_t kMinDescriptorSize = offsetof(skiff_plugin_descriptor, error_delete) +
                                      sizeof(skiff_plugin_descriptor::error_delete);

std::string AbiString(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

bool ValidName(const char* name) {
  if (name == nullptr || *name == '\0') return false;
  for (const char* c = name; *c != '\0'; ++c) {
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-')) return false;
  }
  return true;
}

}  // namespace

PluginHost::PluginHost(Options options) : options_(std::move(options)) {
  if (options_.fingerprint.empty()) options_.fingerprint = SKIFF_BUILD_FINGERPRINT;
}

const char* PluginHost::KindName(uint32_t kind) {
  switch (kind) {
    case SKIFF_PLUGIN_KIND_COMPUTE: return "compute";
    case SKIFF_PLUGIN_KIND_ACCELERATOR: return "accelerator";
    case SKIFF_PLUGIN_KIND_AUTH: return "auth";
    case SKIFF_PLUGIN_KIND_ROLLOUT: return "rollout";
    default: return "unknown";
  }
}

Status PluginHost::Refuse(const std::string& path, const std::string& reason) {
  refused_.push_back({path, reason});
  return FailedPrecondition("plugin " + path + " refused: " + reason);
}

void PluginHost::Discover() {
  namespace fs = std::filesystem;
  for (const std::string& dir : options_.search_path) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string kind, name;
      if (ParsePluginFileName(it->path().filename().string(), &kind, &name)) {
        files.push_back(it->path().string());
      }
    }
    std::sort(files.begin(), files.end());  // deterministic order within a directory
    for (const std::string& file : files) (void)LoadFile(file);
  }
}

StatusOr<std::shared_ptr<const LoadedPlugin>> PluginHost::LoadFile(const std::string& path) {
  std::string file_kind, file_name;
  if (!ParsePluginFileName(std::filesystem::path(path).filename().string(), &file_kind,
                           &file_name)) {
    return Refuse(path, "file name is not libskiff_<kind>_<name>.so");
  }
  if (Status s = CheckPluginFile(path); !s.ok()) return Refuse(path, s.message());

  // Refusals after this point release `library` on return, outside the
  // loader mutex (Library's destructor takes it to unload).
  std::shared_ptr<Library> library;
  const skiff_plugin_descriptor* d = nullptr;
  std::string load_error;
  {
    std::lock_guard<std::mutex> lock(LoaderMutex());
    auto opened = Library::Open(path);
    if (!opened.ok()) {
      load_error = opened.status().message();
    } else {
      library = std::move(opened).value();
      auto init =
          reinterpret_cast<skiff_plugin_init_fn>(library->Find(SKIFF_PLUGIN_ENTRY_SYMBOL));
      if (init == nullptr) {
        load_error = std::string("missing entry symbol ") + SKIFF_PLUGIN_ENTRY_SYMBOL +
                     "; export it with SKIFF_DEFINE_PLUGIN";
      } else {
        d = init(options_.abi_major, options_.abi_minor);
      }
    }
  }
  if (!load_error.empty()) return Refuse(path, load_error);
  if (d == nullptr) return Refuse(path, "skiff_plugin_init returned no descriptor");
  const std::string host_abi = AbiString(options_.abi_major, options_.abi_minor);
  const std::string plugin_abi = AbiString(d->abi_major, d->abi_minor);
  if (d->abi_major != options_.abi_major) {
    return Refuse(path, "built for plugin ABI " + plugin_abi + ", host speaks ABI " + host_abi +
                            "; rebuild the plugin against skiff's ABI " +
                            std::to_string(options_.abi_major) + ".x headers");
  }
  if (d->abi_minor > options_.abi_minor) {
    return Refuse(path, "needs plugin ABI " + plugin_abi + ", host speaks only " + host_abi +
                            "; upgrade skiff or rebuild the plugin against older headers");
  }
  if (d->accepts_host == 0) {
    return Refuse(path, "the plugin (ABI " + plugin_abi + ") does not accept host ABI " +
                            host_abi);
  }
  if (d->struct_size < kMinDescriptorSize) {
    return Refuse(path, "descriptor is " + std::to_string(d->struct_size) +
                            " bytes, ABI " + plugin_abi + " needs at least " +
                            std::to_string(kMinDescriptorSize));
  }
  if (d->fingerprint == nullptr || options_.fingerprint != d->fingerprint) {
    return Refuse(path, std::string("build fingerprint '") +
                            (d->fingerprint ? d->fingerprint : "(none)") + "' differs from host '" +
                            options_.fingerprint +
                            "'; rebuild the plugin with the same compiler and standard library");
  }
  if (d->create == nullptr || d->destroy == nullptr || d->error_delete == nullptr) {
    return Refuse(path, "descriptor lacks create/destroy/error_delete");
  }
  if (std::string(KindName(d->kind)) == "unknown") {
    return Refuse(path, "unknown plugin kind " + std::to_string(d->kind));
  }
  if (!ValidName(d->name) || d->version == nullptr) {
    return Refuse(path, "descriptor name must be [a-z0-9-]+ and version set");
  }
  if (file_kind != KindName(d->kind) || file_name != d->name) {
    return Refuse(path, std::string("file name says ") + file_kind + " '" + file_name +
                            "' but the descriptor says " + KindName(d->kind) + " '" + d->name +
                            "'; rename the file to libskiff_" + KindName(d->kind) + "_" +
                            d->name + ".so");
  }
  for (const auto& loaded : plugins_) {
    if (loaded->kind() == d->kind && loaded->name() == d->name) {
      return Refuse(path, std::string("duplicate ") + KindName(d->kind) + " '" + d->name +
                              "': already loaded from " + loaded->path());
    }
  }
  auto plugin = std::make_shared<const LoadedPlugin>(std::move(library), d, path);
  plugins_.push_back(plugin);
  return std::shared_ptr<const LoadedPlugin>(plugin);
}

StatusOr<std::shared_ptr<const LoadedPlugin>> PluginHost::Find(skiff_plugin_kind kind,
                                                               const std::string& name) const {
  std::string known;
  for (const auto& plugin : plugins_) {
    if (plugin->kind() != static_cast<uint32_t>(kind)) continue;
    if (plugin->name() == name) return plugin;
    known += (known.empty() ? "" : ", ") + plugin->name();
  }
  return NotFound(std::string("no ") + KindName(kind) + " plugin named '" + name +
                  "' (found: " + (known.empty() ? "none" : known) +
                  "); see `skiff plugins list`");
}

}  // namespace skiff
