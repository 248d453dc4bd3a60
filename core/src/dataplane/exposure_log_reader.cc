// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/exposure_log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "skiff/util/file.h"

namespace skiff::dataplane {
namespace {

// Rotated files looked for: as many as a writer may keep (exposureLogKeep
// is 1-100), so files a larger `keep` left before a reload are read too.
constexpr int kMaxRotated = 100;

struct LogFile {
  std::string path;
  uint64_t ino = 0;
};

// The log's files, oldest first: path.100 ... path.1, path.
std::vector<LogFile> Files(const std::string& path) {
  std::vector<LogFile> files;
  struct stat st {};
  for (int i = kMaxRotated; i >= 1; --i) {
    std::string rotated = path + "." + std::to_string(i);
    if (::stat(rotated.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      files.push_back({std::move(rotated), static_cast<uint64_t>(st.st_ino)});
    }
  }
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    files.push_back({path, static_cast<uint64_t>(st.st_ino)});
  }
  return files;
}

// pread until `want` bytes or the end of the file; -1 on an error.
ssize_t ReadAt(int fd, char* out, size_t want, uint64_t offset) {
  size_t got = 0;
  while (got < want) {
    const ssize_t n = ::pread(fd, out + got, want - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

// What identifies a place in the log besides the inode, which a newer file
// may reuse once the cursor's file is deleted: a hash (FNV-1a) of the bytes
// just before it, the end of the line last read, key hash included. 0 at
// the start of a file; 1 when those bytes cannot be read or do not end a line.
constexpr size_t kFingerprintBytes = 256;
uint64_t Fingerprint(int fd, uint64_t offset) {
  if (offset == 0) return 0;
  char buf[kFingerprintBytes];
  const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof buf, offset));
  if (ReadAt(fd, buf, want, offset - want) != static_cast<ssize_t>(want) || buf[want - 1] != '\n') {
    return 1;
  }
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < want; ++i) {
    h ^= static_cast<unsigned char>(buf[i]);
    h *= 1099511628211ull;
  }
  return h < 2 ? h + 2 : h;
}

// "INODE-OFFSET-FINGERPRINT", decimal: opaque to readers.
std::string Cursor(uint64_t ino, uint64_t offset, uint64_t fingerprint) {
  return std::to_string(ino) + "-" + std::to_string(offset) + "-" + std::to_string(fingerprint);
}

bool ParseCursor(std::string_view text, uint64_t* ino, uint64_t* offset, uint64_t* fingerprint) {
  uint64_t* parts[] = {ino, offset, fingerprint};
  const char* at = text.data();
  const char* end = text.data() + text.size();
  for (size_t i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(at, end, *parts[i]);
    if (ec != std::errc() || next == at) return false;
    if (i < 2) {
      if (next == end || *next != '-') return false;
      ++next;
    }
    at = next;
  }
  return at == end;
}

// Moves `*offset` past the next newline, reading a fixed buffer at a time.
// False when the file ends first (the line is still being written).
bool SkipLine(int fd, uint64_t* offset, uint64_t size) {
  char buf[16 * 1024];
  uint64_t at = *offset;
  while (at < size) {
    const ssize_t n =
        ReadAt(fd, buf, static_cast<size_t>(std::min<uint64_t>(sizeof buf, size - at)), at);
    if (n <= 0) return false;
    const char* nl = static_cast<const char*>(std::memchr(buf, '\n', static_cast<size_t>(n)));
    if (nl != nullptr) {
      *offset = at + static_cast<uint64_t>(nl - buf) + 1;
      return true;
    }
    at += static_cast<uint64_t>(n);
  }
  return false;
}

}  // namespace

void ExposureLogReader::SetLog(std::string path) {
  std::lock_guard<std::mutex> lock(mu_);
  path_ = std::move(path);
}

bool ExposureLogReader::has_log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !path_.empty();
}

StatusOr<ExposurePage> ExposureLogReader::Read(std::string_view cursor, size_t max_bytes) const {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    path = path_;
  }
  if (path.empty()) {
    return NotFound(
        "this server keeps no exposure log: it has no routing key (server.json "
        "`routing.keyHeader`/`keyCookie` with `exposureLog`, docs/rollout.md)");
  }
  uint64_t ino = 0, offset = 0, fingerprint = 0;
  if (!cursor.empty() && !ParseCursor(cursor, &ino, &offset, &fingerprint)) {
    return InvalidArgument("`from` '" + std::string(cursor.substr(0, 64)) +
                           "' is not a cursor of this exposure log; start without `from` and "
                           "pass each page's Skiff-Exposure-Next");
  }
  max_bytes = std::clamp(max_bytes, kMinPageBytes, kMaxPageBytes);

  ExposurePage page;
  const std::vector<LogFile> files = Files(path);
  if (files.empty()) {  // nothing logged yet
    page.end = true;
    page.next = std::string(cursor);
    return page;
  }
  size_t i = 0;
  if (!cursor.empty()) {
    auto it =
        std::find_if(files.begin(), files.end(), [&](const LogFile& f) { return f.ino == ino; });
    bool valid = it != files.end();
    if (valid) {
      Fd fd(::open(it->path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      struct stat st {};
      valid = fd.valid() && ::fstat(fd.get(), &st) == 0 &&
              static_cast<uint64_t>(st.st_ino) == ino &&
              offset <= static_cast<uint64_t>(st.st_size) &&
              Fingerprint(fd.get(), offset) == fingerprint;
    }
    if (valid) {
      i = static_cast<size_t>(it - files.begin());
    } else {
      // Rotated away since: every file still here is newer than it.
      page.lost = true;
      offset = 0;
    }
  }

  for (; i < files.size(); ++i, offset = 0) {
    const LogFile& file = files[i];
    const bool newest = i + 1 == files.size();
    Fd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st {};
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0 ||
        static_cast<uint64_t>(st.st_ino) != file.ino) {
      // Renamed by a rotation since the listing: end the page here; the next
      // one lists the files again and finds this inode under its new name.
      // (Only the cursor's own file can be entered past its start.)
      page.next = offset == 0 ? Cursor(file.ino, 0, 0) : std::string(cursor);
      return page;
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    while (offset < size) {
      const size_t room = max_bytes - page.lines.size();
      if (room == 0) {
        page.next = Cursor(file.ino, offset, Fingerprint(fd.get(), offset));
        return page;
      }
      const size_t want = static_cast<size_t>(std::min<uint64_t>(room, size - offset));
      const size_t at = page.lines.size();
      page.lines.resize(at + want);
      const ssize_t n = ReadAt(fd.get(), page.lines.data() + at, want, offset);
      if (n < 0) {
        return Unavailable("cannot read '" + file.path + "': " + std::strerror(errno));
      }
      page.lines.resize(at + static_cast<size_t>(n));
      const size_t nl = page.lines.rfind('\n');
      if (nl != std::string::npos && nl >= at) {
        page.lines.resize(nl + 1);  // whole lines only
        offset += nl + 1 - at;
        continue;
      }
      page.lines.resize(at);
      if (static_cast<uint64_t>(n) == size - offset) {
        // The file ends inside a line: the writer's line in progress
        // (newest), or a torn last line of a rotated file (skipped).
        if (newest) break;
        ++page.skipped;
        offset = size;
      } else if (at == 0) {
        // One line longer than a page: left out, or it would stall paging.
        if (!SkipLine(fd.get(), &offset, size)) break;
        ++page.skipped;
      } else {
        page.next = Cursor(file.ino, offset, Fingerprint(fd.get(), offset));  // the page is full
        return page;
      }
    }
    if (newest) {
      page.end = true;
      page.next = Cursor(file.ino, offset, Fingerprint(fd.get(), offset));
      return page;
    }
  }
  return page;  // not reached: the last file is the newest
}

}  // namespace skiff::dataplane
