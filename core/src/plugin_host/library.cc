// SPDX-License-Identifier: Apache-2.0
#include "library.h"

#include <dlfcn.h>

#include <boost/system/error_code.hpp>

namespace skiff::plugin_host_internal {

std::mutex& LoaderMutex() {
  static std::mutex mutex;
  return mutex;
}

StatusOr<std::shared_ptr<Library>> Library::Open(const std::string& path) {
  std::shared_ptr<Library> library(new Library());
  boost::system::error_code ec;
  library->lib_.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    // Boost.DLL folds dlerror() into the message: undefined symbols etc.
    return FailedPrecondition("cannot be loaded: " + ec.message());
  }
  return library;
}

Library::~Library() {
  if (!lib_.is_loaded()) return;  // a failed Open() runs this with the mutex held
  std::lock_guard<std::mutex> lock(LoaderMutex());
  lib_.unload();
}

void* Library::Find(const char* symbol) const {
  return ::dlsym(lib_.native(), symbol);
}

}  // namespace skiff::plugin_host_internal
