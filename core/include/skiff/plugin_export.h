// SPDX-License-Identifier: Apache-2.0
// Helper for plugin authors: defines the C entry point `skiff_plugin_init`
// and the descriptor for one C++ implementation of a skiff interface.
//
//   // my_accelerator.cc
//   skiff::StatusOr<std::unique_ptr<skiff::Accelerator>> MakeMine(const std::string& options);
//   SKIFF_DEFINE_PLUGIN(skiff::Accelerator, "mine", "1.0.0", "My accelerator", MakeMine)
//
// The generated code checks the host's ABI version (major equal, host minor
// >= ours), catches every exception at the boundary and turns it into a
// skiff_error, and exports nothing else (build with skiff_add_plugin()).
#pragma once

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "skiff/build_fingerprint.h"
#include "skiff/plugin_abi.h"
#include "skiff/status.h"

namespace skiff::plugin_internal {

inline skiff_error* MakeError(StatusCode code, const std::string& message) {
  auto* error = static_cast<skiff_error*>(std::malloc(sizeof(skiff_error)));
  if (error == nullptr) return nullptr;  // cannot report; host sees a null object
  error->code = static_cast<int32_t>(code);
  error->message = static_cast<char*>(std::malloc(message.size() + 1));
  if (error->message != nullptr) std::memcpy(error->message, message.c_str(), message.size() + 1);
  return error;
}

inline void DeleteError(skiff_error* error) {
  if (error == nullptr) return;
  std::free(error->message);
  std::free(error);
}

// Triton's rule: major equal, host minor >= ours. Written on uint64_t
// with a +1 so the check does not degenerate into `x >= 0` while our minor is 0.
inline bool AcceptsHost(uint32_t host_major, uint32_t host_minor) {
  return host_major == SKIFF_PLUGIN_ABI_MAJOR &&
         uint64_t{host_minor} + 1 > uint64_t{SKIFF_PLUGIN_ABI_MINOR};
}

template <typename Interface, typename Factory>
skiff_error* Create(Factory factory, const char* options_json, void** out) {
  if (out == nullptr) return MakeError(StatusCode::kInvalidArgument, "create(): out is null");
  *out = nullptr;
  try {
    StatusOr<std::unique_ptr<Interface>> made = factory(std::string(options_json ? options_json : ""));
    if (!made.ok()) return MakeError(made.status().code(), made.status().message());
    if (*made == nullptr) return MakeError(StatusCode::kInternal, "plugin factory returned null");
    *out = static_cast<void*>(made->release());
    return nullptr;
  } catch (const std::exception& e) {
    return MakeError(StatusCode::kInternal, std::string("plugin threw: ") + e.what());
  } catch (...) {
    return MakeError(StatusCode::kInternal, "plugin threw a non-standard exception");
  }
}

template <typename Interface>
void Destroy(void* object) {
  try {
    delete static_cast<Interface*>(object);
  } catch (...) {
    // Destructors must not throw; swallow rather than unwind into the host.
  }
}

}  // namespace skiff::plugin_internal

#define SKIFF_DEFINE_PLUGIN(Interface, kName, kVersion, kDescription, factory)                   \
  extern "C" __attribute__((visibility("default"))) const skiff_plugin_descriptor*               \
  skiff_plugin_init(uint32_t host_abi_major, uint32_t host_abi_minor) {                          \
    static skiff_plugin_descriptor descriptor = {                                               \
        sizeof(skiff_plugin_descriptor),                                                       \
        SKIFF_PLUGIN_ABI_MAJOR,                                                                 \
        SKIFF_PLUGIN_ABI_MINOR,                                                                 \
        0,                                                                                      \
        Interface::kPluginKind,                                                                 \
        kName,                                                                                  \
        kVersion,                                                                               \
        SKIFF_BUILD_FINGERPRINT,                                                                \
        kDescription,                                                                           \
        [](const char* options_json, void** out) -> skiff_error* {                              \
          return ::skiff::plugin_internal::Create<Interface>(factory, options_json, out);       \
        },                                                                                      \
        &::skiff::plugin_internal::Destroy<Interface>,                                          \
        &::skiff::plugin_internal::DeleteError,                                                 \
    };                                                                                          \
    descriptor.accepts_host =                                                                   \
        ::skiff::plugin_internal::AcceptsHost(host_abi_major, host_abi_minor) ? 1u : 0u;        \
    return &descriptor;                                                                         \
  }
