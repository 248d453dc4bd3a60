// SPDX-License-Identifier: Apache-2.0
/* A plugin written against the raw C ABI, with its versions set per build
 * (RAW_MAJOR, RAW_MINOR, RAW_ACCEPTS, RAW_NAME) to test the host's checks. */
#include <cstddef>

#include "skiff/build_fingerprint.h"
#include "skiff/plugin_abi.h"

namespace {
skiff_error* Create(const char* options, void** out) {
  (void)options;
  *out = nullptr;
  return nullptr;
}
void Destroy(void* object) { (void)object; }
void ErrorDelete(skiff_error* error) { (void)error; }
}  // namespace

extern "C" __attribute__((visibility("default"))) const skiff_plugin_descriptor* skiff_plugin_init(
    uint32_t host_major, uint32_t host_minor) {
  static skiff_plugin_descriptor d = {
      sizeof(skiff_plugin_descriptor), RAW_MAJOR, RAW_MINOR, 0, SKIFF_PLUGIN_KIND_ACCELERATOR,
      RAW_NAME, "9.9.9", SKIFF_BUILD_FINGERPRINT, "raw test plugin", Create, Destroy,
      ErrorDelete};
  (void)host_major;
  (void)host_minor;
  d.accepts_host = RAW_ACCEPTS;
  return &d;
}
