// JsonlWriter: appends one JSON document per line to a file, from any
// thread (request log, data collection). Lines are written whole with one
// write(2) on an O_APPEND descriptor, so concurrent writers never interleave.
#pragma once

#include <memory>
#include <string>

#include "skiff/status.h"

namespace skiff::dataplane {

class JsonlWriter {
 public:
  static StatusOr<std::unique_ptr<JsonlWriter>> Open(const std::string& path);
  ~JsonlWriter();
  // Appends `line` and a newline. Threading: concurrent.
  void Append(const std::string& line);
  const std::string& path() const { return path_; }

 private:
  JsonlWriter(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  const std::string path_;
  const int fd_;
};

}  // namespace skiff::dataplane
