// SPDX-License-Identifier: Apache-2.0
// JsonlWriter: appends one JSON document per line to a file, from any
// thread (request log, data collection). Lines are written whole with one
// write(2) on an O_APPEND descriptor, so concurrent writers never interleave.
// Optionally the file rotates by size: `path` -> `path.1` -> ... ->
// `path.<keep>`, the oldest deleted, so a busy server's log stays bounded.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "skiff/status.h"

namespace skiff::dataplane {

struct JsonlRotation {
  // Rotate before a line would take the file past this size; 0 = never.
  uint64_t max_bytes = 0;
  // Rotated files kept (path.1 newest ... path.<keep> oldest); >= 1.
  int keep = 5;
};

class JsonlWriter {
 public:
  static StatusOr<std::unique_ptr<JsonlWriter>> Open(const std::string& path,
                                                     JsonlRotation rotation = {});
  ~JsonlWriter();
  // Appends `line` and a newline. Threading: concurrent.
  void Append(const std::string& line);
  // Appends `lines` as they are: whole lines, each ending in a newline (a
  // batch of them: the access log's writer). Rotates first when they would
  // take the file past the limit. Threading: concurrent.
  void AppendLines(std::string_view lines);
  const std::string& path() const { return path_; }

 private:
  JsonlWriter(std::string path, int fd, JsonlRotation rotation, uint64_t size)
      : path_(std::move(path)), rotation_(rotation), fd_(fd), size_(size) {}
  void Write(const std::string& whole);
  void Rotate();  // with mu_ held

  const std::string path_;
  const JsonlRotation rotation_;
  std::mutex mu_;  // guards fd_ and size_ when rotating (unused otherwise)
  int fd_;
  uint64_t size_;
};

}  // namespace skiff::dataplane
