// SPDX-License-Identifier: Apache-2.0
// The shared libraries an ELF file needs at run time, as the host's loader
// resolves them: `ldd` (the loader's own answer, including the loader
// itself and RUNPATH/RPATH) rather than a second, partial loader written
// here. ldd may run the loader on the file, so give it only files you
// built or installed yourself (skiff's binaries, system tools).
#pragma once

#include <string>
#include <vector>

#include "skiff/status.h"

namespace skiff::oci {

// Absolute host paths of every library `elf_files` load, transitively
// (ldd already lists the whole closure), sorted, without duplicates;
// the vDSO is left out. FailedPrecondition naming the file and library
// when ldd reports one "not found", or ldd itself fails.
StatusOr<std::vector<std::string>> SharedLibraryClosure(const std::vector<std::string>& elf_files);

}  // namespace skiff::oci
