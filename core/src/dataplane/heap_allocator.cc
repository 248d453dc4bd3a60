// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/heap_allocator.h"

#include <dlfcn.h>

namespace skiff::dataplane {

std::string HeapAllocatorName() {
  // jemalloc exports mallctl(); it serves the process only if malloc, as
  // the global scope resolves it, comes from the same object (a plugin that
  // merely loaded libjemalloc would not change anyone's malloc).
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  void* mallctl = ::dlsym(RTLD_DEFAULT, "mallctl");
  void* malloc = ::dlsym(RTLD_DEFAULT, "malloc");
  Dl_info ctl_object{}, malloc_object{};
  if (mallctl == nullptr || malloc == nullptr || ::dladdr(mallctl, &ctl_object) == 0 ||
      ::dladdr(malloc, &malloc_object) == 0 || ctl_object.dli_fbase != malloc_object.dli_fbase) {
    return "glibc malloc";
  }
  const char* version = nullptr;
  size_t size = sizeof(version);
  if (reinterpret_cast<Mallctl>(mallctl)("version", &version, &size, nullptr, 0) != 0 ||
      version == nullptr) {
    return "jemalloc";
  }
  return std::string("jemalloc ") + version;
}

}  // namespace skiff::dataplane
