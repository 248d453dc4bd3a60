// SPDX-License-Identifier: Apache-2.0
#include "skiff/oci/library_closure.h"

#include <filesystem>
#include <set>
#include <sstream>

#include "skiff/util/program.h"

namespace skiff::oci {

StatusOr<std::vector<std::string>> SharedLibraryClosure(const std::vector<std::string>& elf_files) {
  std::set<std::string> libs;
  for (const std::string& file : elf_files) {
    SKIFF_ASSIGN_OR_RETURN(std::string text, RunAndCapture({"ldd", file}));
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      // "\tlibfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)"
      // "\t/lib64/ld-linux-x86-64.so.2 (0x...)"
      // "\tlinux-vdso.so.1 (0x...)"          (in the kernel, nothing to copy)
      // "\tlibbar.so.2 => not found"
      const size_t arrow = line.find("=> ");
      std::string rest = arrow == std::string::npos ? line : line.substr(arrow + 3);
      const size_t start = rest.find_first_not_of(" \t");
      if (start == std::string::npos) continue;
      rest = rest.substr(start);
      if (rest.rfind("not found", 0) == 0) {
        return FailedPrecondition("'" + file + "' needs a library the loader cannot find:" + line +
                                  "; install it (scripts/deps) or fix LD_LIBRARY_PATH");
      }
      if (rest[0] != '/') continue;  // the vDSO, "statically linked"
      // RUNPATH lookups come back as "/lib/x86_64-linux-gnu/../../lib/...":
      // one file, one path in the image.
      libs.insert(
          std::filesystem::path(rest.substr(0, rest.find(" ("))).lexically_normal().string());
    }
  }
  return std::vector<std::string>(libs.begin(), libs.end());
}

}  // namespace skiff::oci
