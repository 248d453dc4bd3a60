// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/jsonl_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace skiff::dataplane {
namespace {

int OpenForAppend(const std::string& path) {
  // O_NOFOLLOW: a symlink planted as the log is refused, not written through.
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

}  // namespace

StatusOr<std::unique_ptr<JsonlWriter>> JsonlWriter::Open(const std::string& path,
                                                         JsonlRotation rotation) {
  if (rotation.max_bytes > 0 && rotation.keep < 1) {
    return InvalidArgument("rotation of '" + path + "' keeps " + std::to_string(rotation.keep) +
                           " files; keep at least 1");
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  int fd = OpenForAppend(path);
  if (fd < 0) {
    return Unavailable("cannot open '" + path + "' for appending: " + std::strerror(errno));
  }
  struct stat st {};
  const uint64_t size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return std::unique_ptr<JsonlWriter>(new JsonlWriter(path, fd, rotation, size));
}

JsonlWriter::~JsonlWriter() { ::close(fd_); }

void JsonlWriter::Append(const std::string& line) {
  std::string whole = line + "\n";
  if (rotation_.max_bytes == 0) return Write(whole);
  std::lock_guard<std::mutex> lock(mu_);
  if (size_ > 0 && size_ + whole.size() > rotation_.max_bytes) Rotate();
  Write(whole);
  size_ += whole.size();
}

void JsonlWriter::AppendLines(std::string_view lines) {
  std::lock_guard<std::mutex> lock(mu_);
  if (rotation_.max_bytes > 0 && size_ > 0 && size_ + lines.size() > rotation_.max_bytes) Rotate();
  // A batch can be larger than one write(2) takes: write on until done.
  while (!lines.empty()) {
    const ssize_t n = ::write(fd_, lines.data(), lines.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // best effort, as Write
    lines.remove_prefix(static_cast<size_t>(n));
    size_ += static_cast<uint64_t>(n);
  }
}

void JsonlWriter::Write(const std::string& whole) {
  // O_APPEND makes each write atomic with respect to the file offset.
  ssize_t n = ::write(fd_, whole.data(), whole.size());
  (void)n;  // telemetry is best effort: a full disk must not fail scoring
}

void JsonlWriter::Rotate() {
  // path.<keep-1> -> path.<keep> (replacing the oldest), ..., path -> path.1.
  for (int i = rotation_.keep - 1; i >= 1; --i) {
    const std::string from = path_ + "." + std::to_string(i);
    std::rename(from.c_str(), (path_ + "." + std::to_string(i + 1)).c_str());
  }
  std::rename(path_.c_str(), (path_ + ".1").c_str());
  size_ = 0;
  const int fd = OpenForAppend(path_);
  // Cannot open a new file: keep appending to the one just renamed (better
  // an oversized log than lost lines or a failed request) until the next turn.
  if (fd < 0) return;
  ::close(fd_);
  fd_ = fd;
}

}  // namespace skiff::dataplane
