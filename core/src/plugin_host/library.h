// SPDX-License-Identifier: Apache-2.0
// Internal: a loaded shared library. All loads and unloads in the process go
// through one mutex (dlopen/dlclose and static initialisers of plugins are
// not assumed to be thread-safe against each other).
#pragma once

#include <mutex>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "skiff/status.h"

namespace skiff::plugin_host_internal {

// The process-wide loader mutex. Guards every dlopen/dlclose made by skiff.
std::mutex& LoaderMutex();

class Library {
 public:
  // Loads `path` with rtld_now | rtld_local. Caller must hold LoaderMutex().
  static StatusOr<std::shared_ptr<Library>> Open(const std::string& path);

  // Unloads under LoaderMutex().
  ~Library();

  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  // The address of `symbol`, or nullptr if the library does not export it.
  void* Find(const char* symbol) const;

 private:
  Library() = default;
  boost::dll::shared_library lib_;  // guarded by LoaderMutex() for load/unload
};

}  // namespace skiff::plugin_host_internal
