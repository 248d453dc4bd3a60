#include "skiff/dataplane/jsonl_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace skiff::dataplane {

StatusOr<std::unique_ptr<JsonlWriter>> JsonlWriter::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  // O_NOFOLLOW: a symlink planted as the log is refused, not written through.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Unavailable("cannot open '" + path + "' for appending: " + std::strerror(errno));
  }
  return std::unique_ptr<JsonlWriter>(new JsonlWriter(path, fd));
}

JsonlWriter::~JsonlWriter() { ::close(fd_); }

void JsonlWriter::Append(const std::string& line) {
  std::string whole = line + "\n";
  // O_APPEND makes each write atomic with respect to the file offset.
  ssize_t n = ::write(fd_, whole.data(), whole.size());
  (void)n;  // telemetry is best effort: a full disk must not fail scoring
}

}  // namespace skiff::dataplane
