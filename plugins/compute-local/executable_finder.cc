// SPDX-License-Identifier: Apache-2.0
#include "executable_finder.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#ifndef SKIFF_INSTALL_BINDIR
#define SKIFF_INSTALL_BINDIR "/usr/local/bin"
#endif

namespace skiff::compute_local {

std::vector<std::string> ExecutableCandidates(const std::string& name,
                                              const ExecutableSearch& search) {
  // An explicit override is the only candidate: a wrong one must fail
  // loudly rather than quietly fall back to another skiff-server.
  if (!search.env_value.empty()) return {search.env_value};
  std::vector<std::string> out;
  if (!search.module_path.empty()) {
    const std::filesystem::path dir = std::filesystem::path(search.module_path).parent_path();
    out.push_back((dir / ".." / ".." / ".." / "bin" / name).lexically_normal().string());
  }
  if (!search.install_bindir.empty()) out.push_back(search.install_bindir + "/" + name);
  std::stringstream dirs(search.path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty()) out.push_back(dir + "/" + name);
  }
  return out;
}

ExecutableSearch ProcessExecutableSearch(const char* env_override) {
  ExecutableSearch search;
  if (const char* v = std::getenv(env_override); v != nullptr) search.env_value = v;
  Dl_info info{};
  // Any function of this library resolves to the module it is linked into.
  if (::dladdr(reinterpret_cast<void*>(&ProcessExecutableSearch), &info) != 0 &&
      info.dli_fname != nullptr) {
    search.module_path = info.dli_fname;
  }
  search.install_bindir = SKIFF_INSTALL_BINDIR;
  if (const char* p = std::getenv("PATH"); p != nullptr) search.path = p;
  return search;
}

std::string FindExecutable(const std::string& name, const ExecutableSearch& search,
                           std::vector<std::string>* looked_in) {
  const std::vector<std::string> candidates = ExecutableCandidates(name, search);
  if (looked_in != nullptr) *looked_in = candidates;
  for (const std::string& c : candidates) {
    struct stat st {};
    if (::stat(c.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(c.c_str(), X_OK) == 0) {
      return c;
    }
  }
  return "";
}

}  // namespace skiff::compute_local
