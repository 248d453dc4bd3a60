// SPDX-License-Identifier: Apache-2.0
#include "gpu_probe.h"

#include <dlfcn.h>

namespace skiff::compute_local {

StatusOr<int> CountCudaDevices() {
  // RTLD_LOCAL: nothing of the driver leaks into the host's symbol table.
  void* lib = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    return FailedPrecondition("no CUDA driver on this machine (libcuda.so.1 cannot be loaded)");
  }
  using InitFn = int (*)(unsigned int);
  using CountFn = int (*)(int*);
  auto init = reinterpret_cast<InitFn>(::dlsym(lib, "cuInit"));
  auto count = reinterpret_cast<CountFn>(::dlsym(lib, "cuDeviceGetCount"));
  if (init == nullptr || count == nullptr) {
    ::dlclose(lib);
    return FailedPrecondition("libcuda.so.1 lacks cuInit/cuDeviceGetCount");
  }
  // The driver stays loaded: unloading CUDA after cuInit is not supported.
  if (int rc = init(0); rc != 0) {
    return FailedPrecondition("the CUDA driver found no usable device (cuInit returned " +
                              std::to_string(rc) + ")");
  }
  int devices = 0;
  if (int rc = count(&devices); rc != 0) {
    return FailedPrecondition("cuDeviceGetCount returned " + std::to_string(rc));
  }
  return devices;
}

}  // namespace skiff::compute_local
