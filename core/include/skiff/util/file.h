// SPDX-License-Identifier: Apache-2.0
// Reading files, for every part of skiff (writes: atomic_file.h; ownership
// checks: private_path.h). Standard library + POSIX only: lives in skiff_abi.
#pragma once

#include <cstddef>
#include <string>

#include "skiff/status.h"

namespace skiff {

// An owned file descriptor, closed on destruction. Move-only.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership; the caller closes the result.
  int release();

 private:
  int fd_ = -1;
};

// Everything left to read from `fd`, retrying EINTR. FailedPrecondition
// naming `path` (used only for the message) when it holds more than
// `max_bytes`: a bound, so a huge or endless file (a FIFO, /dev/zero) cannot
// exhaust memory.
StatusOr<std::string> ReadAll(int fd, const std::string& path, std::size_t max_bytes);

// The whole file. NotFound when it does not exist; FailedPrecondition when
// it is larger than `max_bytes`; Internal with the errno text otherwise.
StatusOr<std::string> ReadFile(const std::string& path, std::size_t max_bytes = 64u << 20);

struct PrivateReadOptions {
  std::size_t max_bytes = 1u << 20;
  // Secrets (keys): also refuse a file group or others may read, the way ssh
  // treats a private key. Off: only writes by others are refused.
  bool owner_only = true;
};

// A file skiff trusts (keys, signing keys): opened with OpenPrivateFile()
// (no symlink, the user's own, not writable by group or others), then read
// with the bound. NotFound when missing.
StatusOr<std::string> ReadPrivateFile(const std::string& path,
                                      const PrivateReadOptions& options = {});

}  // namespace skiff
