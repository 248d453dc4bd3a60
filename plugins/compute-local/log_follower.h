// SPDX-License-Identifier: Apache-2.0
// LogFollower: `tail -F` of a few files (the service's server.log and
// access.jsonl): what is appended after Start(), whole lines only, across
// rotation (the file renamed away and a new one made: the old one is read
// to its end first) and truncation. Polls; no inotify, so it works on any
// file system the service folder is on.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace skiff::compute_local {

class LogFollower {
 public:
  explicit LogFollower(std::vector<std::string> paths);
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  // Opens each file that exists, positioned at its end.
  void Start();
  // The whole lines appended since the last call (a line still being
  // written waits for its newline), file by file. Threading: one caller.
  std::string Poll();

 private:
  struct File {
    std::string path;
    int fd = -1;
    ino_t inode = 0;
    std::string partial;  // bytes after the last newline read
  };
  void ReadAvailable(File& f, std::string* out);

  std::vector<File> files_;
};

}  // namespace skiff::compute_local
