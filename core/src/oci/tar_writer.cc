// SPDX-License-Identifier: Apache-2.0
#include "skiff/oci/tar_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "skiff/util/file.h"

namespace skiff::oci {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kUstarMaxSize = 077777777777ULL;  // 11 octal digits

void Octal(char* field, size_t width, uint64_t value) {
  // width-1 digits, zero-padded, then NUL.
  std::string digits(width - 1, '0');
  for (size_t i = width - 1; i-- > 0 && value != 0; value >>= 3) {
    digits[i] = static_cast<char>('0' + (value & 7));
  }
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

// One PAX record: "<len> <key>=<value>\n", where <len> counts itself.
std::string PaxRecord(const std::string& key, const std::string& value) {
  const size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) ++len;
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

Status CheckPath(const std::string& path) {
  if (path.empty() || path[0] == '/' || path.find('\0') != std::string::npos || path == ".." ||
      path.rfind("../", 0) == 0 || path.find("/../") != std::string::npos) {
    return InvalidArgument("tar entry path '" + path +
                           "' must be relative and stay inside the archive");
  }
  return OkStatus();
}

}  // namespace

Status TarWriter::WriteHeader(const TarEntryHeader& h, char type, uint64_t size,
                              const std::string& link_target) {
  SKIFF_RETURN_IF_ERROR(CheckPath(h.path));
  std::string name = h.path;
  if (type == '5' && name.back() != '/') name += '/';
  const bool long_name = name.size() > 100;
  const bool long_link = link_target.size() > 100;
  const bool big = size > kUstarMaxSize;
  if (long_name || long_link || big) {
    std::string pax;
    if (long_name) pax += PaxRecord("path", name);
    if (long_link) pax += PaxRecord("linkpath", link_target);
    if (big) pax += PaxRecord("size", std::to_string(size));
    // The extended header's own name is fixed so it adds nothing variable.
    TarEntryHeader ph;
    ph.path = "PaxHeader";
    ph.mtime = h.mtime;
    SKIFF_RETURN_IF_ERROR(WriteHeader(ph, 'x', pax.size(), ""));
    SKIFF_RETURN_IF_ERROR(sink_(pax));
    SKIFF_RETURN_IF_ERROR(Pad(pax.size()));
  }
  char b[kBlock];
  std::memset(b, 0, sizeof b);
  std::memcpy(b, name.data(), std::min<size_t>(name.size(), 100));
  Octal(b + 100, 8, h.mode & 07777);
  Octal(b + 108, 8, h.uid);
  Octal(b + 116, 8, h.gid);
  Octal(b + 124, 12, big ? 0 : size);
  Octal(b + 136, 12, static_cast<uint64_t>(h.mtime < 0 ? 0 : h.mtime));
  std::memset(b + 148, ' ', 8);  // checksum field counts as spaces
  b[156] = type;
  std::memcpy(b + 157, link_target.data(), std::min<size_t>(link_target.size(), 100));
  std::memcpy(b + 257, "ustar", 6);  // magic "ustar\0", version "00"
  std::memcpy(b + 263, "00", 2);
  Octal(b + 329, 8, 0);  // devmajor
  Octal(b + 337, 8, 0);  // devminor
  unsigned sum = 0;
  for (unsigned char c : b) sum += c;
  Octal(b + 148, 7, sum);
  b[155] = ' ';
  return sink_(std::string_view(b, sizeof b));
}

Status TarWriter::Pad(uint64_t size) {
  static const char kZeros[kBlock] = {};
  const size_t rest = static_cast<size_t>(size % kBlock);
  return rest == 0 ? OkStatus() : sink_(std::string_view(kZeros, kBlock - rest));
}

Status TarWriter::AddDirectory(const TarEntryHeader& header) {
  return WriteHeader(header, '5', 0, "");
}

Status TarWriter::AddSymlink(const TarEntryHeader& header, const std::string& target) {
  return WriteHeader(header, '2', 0, target);
}

Status TarWriter::AddBytes(const TarEntryHeader& header, std::string_view content) {
  SKIFF_RETURN_IF_ERROR(WriteHeader(header, '0', content.size(), ""));
  SKIFF_RETURN_IF_ERROR(sink_(content));
  return Pad(content.size());
}

Status TarWriter::AddFile(const TarEntryHeader& header, const std::string& source) {
  Fd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return NotFound("cannot open '" + source + "' for the image: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return FailedPrecondition("'" + source + "' is not a regular file");
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  SKIFF_RETURN_IF_ERROR(WriteHeader(header, '0', size, ""));
  std::vector<char> buf(1u << 20);
  uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const uint64_t take = std::min<uint64_t>(static_cast<uint64_t>(n), size - done);
    SKIFF_RETURN_IF_ERROR(sink_(std::string_view(buf.data(), static_cast<size_t>(take))));
    done += take;
  }
  if (done != size) {
    return FailedPrecondition("'" + source + "' changed size while it was added to the image (" +
                              std::to_string(size) + " bytes expected, " + std::to_string(done) +
                              " read); build again once it is stable");
  }
  return Pad(size);
}

Status TarWriter::Finish() {
  static const char kZeros[2 * kBlock] = {};
  return sink_(std::string_view(kZeros, sizeof kZeros));
}

}  // namespace skiff::oci
