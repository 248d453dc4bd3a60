// SPDX-License-Identifier: Apache-2.0
// Which heap allocator serves this process (cmake/SkiffMalloc.cmake).
#pragma once

#include <string>

namespace skiff::dataplane {

// "jemalloc <version>" when jemalloc's malloc is the one every library in
// the process resolves (libtorch and the plugins included), otherwise
// "glibc malloc". skiff-server logs it at start-up, so a build or a
// container whose allocator is not the intended one shows it.
// Threading: any thread.
std::string HeapAllocatorName();

}  // namespace skiff::dataplane
