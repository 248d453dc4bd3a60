// SPDX-License-Identifier: Apache-2.0
#include "blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "skiff/util/file.h"
#include "skiff/util/sha256.h"

namespace skiff::store {
namespace {

std::string Errno(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

// A failed write. A full disk or a file-size limit is the user's to fix, so
// it says how; the caller removes what it wrote, so no partial file stays.
Status WriteFailed(const std::string& what, const std::string& path) {
  const int err = errno;
  std::string message = Errno(what, path);
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
    return ResourceExhausted(message +
                             ": the file system is full or a file-size limit (ulimit -f) "
                             "applies; free space (`skiff model gc` removes unused artifacts) "
                             "and retry");
  }
  return Internal(message);
}

// Incremental SHA-256 over OpenSSL EVP.

Status WriteAll(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return WriteFailed("writing", path);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return OkStatus();
}

// Streams `src_fd` to `dst_fd` (when >= 0), hashing it.
StatusOr<BlobInfo> Pump(int src_fd, const std::string& src, int dst_fd, const std::string& dst) {
  Sha256 hasher;
  BlobInfo info;
  char buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(src_fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Internal(Errno("reading", src));
    }
    if (r == 0) break;
    hasher.Update(buf, static_cast<size_t>(r));
    info.size += r;
    if (dst_fd >= 0) SKIFF_RETURN_IF_ERROR(WriteAll(dst_fd, buf, static_cast<size_t>(r), dst));
  }
  info.sha256 = hasher.HexDigest();
  return info;
}

std::string TempPath(const std::string& dir) {
  static std::atomic<uint64_t> counter{0};
  return dir + "/" + kTempPrefix + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + "-" + std::to_string(::time(nullptr));
}

// Writes through `fill` into a temp file, then publishes it under its hash.
template <typename Fill>
StatusOr<BlobInfo> PutBlob(const std::string& blob_dir, Fill fill) {
  const std::string tmp = TempPath(blob_dir);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (fd.get() < 0) return Internal(Errno("creating temp file", tmp));
  StatusOr<BlobInfo> info = fill(fd.get(), tmp);
  if (info.ok() && ::fsync(fd.get()) != 0) info = WriteFailed("fsync", tmp);
  if (!info.ok()) {
    ::unlink(tmp.c_str());
    return info.status();
  }
  ::close(fd.release());
  const std::string final_path = blob_dir + "/" + info->sha256;
  struct stat st;
  // lstat: a symlink under the blob's name is replaced, not trusted.
  if (::lstat(final_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == info->size) {
    ::unlink(tmp.c_str());  // dedupe: identical content is already there
  } else if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    Status s = Internal(Errno("renaming blob into place", final_path));
    ::unlink(tmp.c_str());
    return s;
  }
  // Even on a dedupe hit: the writer that created it may not have synced yet.
  SKIFF_RETURN_IF_ERROR(FsyncDir(blob_dir));
  return info;
}

Status Mismatch(const std::string& path, const std::string& expected, const std::string& actual) {
  return DataLoss("artifact '" + path + "' hashes to sha256:" + actual + " but sha256:" + expected +
                  " was recorded; it was modified or corrupted on disk, "
                  "re-register the model from its source");
}

// Opens a stored artifact for reading, never through a symlink (a link
// planted in artifacts/ would make skiff read, copy or serve a file the
// store never hashed).
StatusOr<int> OpenArtifact(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) return fd;
  if (errno == ELOOP) {
    return FailedPrecondition("refusing artifact '" + path +
                              "': it is a symbolic link, which skiff does not follow; remove "
                              "it (`rm " +
                              path + "`) and re-register the model");
  }
  return DataLoss(Errno("artifact missing", path) + "; re-register the model");
}

}  // namespace

StatusOr<BlobInfo> HashFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return NotFound(Errno("cannot open", path));  // ELOOP included
  return Pump(fd.get(), path, -1, "");
}

StatusOr<BlobInfo> PutBlobFromFile(const std::string& blob_dir, const std::string& src) {
  Fd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return InvalidArgument(Errno("cannot read model file", src));
  return PutBlob(blob_dir,
                 [&](int fd, const std::string& tmp) { return Pump(in.get(), src, fd, tmp); });
}

StatusOr<BlobInfo> PutBlobFromBytes(const std::string& blob_dir, const std::string& bytes) {
  return PutBlob(blob_dir, [&](int fd, const std::string& tmp) -> StatusOr<BlobInfo> {
    SKIFF_RETURN_IF_ERROR(WriteAll(fd, bytes.data(), bytes.size(), tmp));
    return BlobInfo{Sha256Hex(bytes), static_cast<int64_t>(bytes.size())};
  });
}

StatusOr<std::string> ReadBlobVerified(const std::string& blob_dir, const std::string& sha256) {
  const std::string path = blob_dir + "/" + sha256;
  SKIFF_ASSIGN_OR_RETURN(int raw_fd, OpenArtifact(path));
  Fd fd(raw_fd);
  std::string bytes;
  char buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(fd.get(), buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Internal(Errno("reading", path));
    }
    if (r == 0) break;
    bytes.append(buf, static_cast<size_t>(r));
  }
  std::string actual = Sha256Hex(bytes);
  if (actual != sha256) return Mismatch(path, sha256, actual);
  return bytes;
}

Status CopyBlobVerified(const std::string& blob_dir, const std::string& sha256,
                        const std::string& dest) {
  const std::string path = blob_dir + "/" + sha256;
  SKIFF_ASSIGN_OR_RETURN(int raw_in, OpenArtifact(path));
  Fd in(raw_in);
  Fd out(::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (out.get() < 0) return FailedPrecondition(Errno("cannot create", dest));
  StatusOr<BlobInfo> info = Pump(in.get(), path, out.get(), dest);
  if (!info.ok()) {
    ::unlink(dest.c_str());  // no partial copy
    return info.status();
  }
  if (info->sha256 != sha256) {
    ::unlink(dest.c_str());
    return Mismatch(path, sha256, info->sha256);
  }
  return OkStatus();
}

Status VerifyBlob(const std::string& blob_dir, const std::string& sha256) {
  const std::string path = blob_dir + "/" + sha256;
  SKIFF_ASSIGN_OR_RETURN(int raw_fd, OpenArtifact(path));
  Fd fd(raw_fd);
  SKIFF_ASSIGN_OR_RETURN(BlobInfo info, Pump(fd.get(), path, -1, ""));
  if (info.sha256 != sha256) return Mismatch(path, sha256, info.sha256);
  return OkStatus();
}

Status FsyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return Internal(Errno("fsync directory", dir));
  return OkStatus();
}

}  // namespace skiff::store
