// SPDX-License-Identifier: Apache-2.0
// TarWriter: a deterministic tar stream (POSIX ustar, with a PAX extended
// header only for what ustar cannot hold: paths or link targets over 100
// bytes, files of 8 GiB or more). Our own writer rather than libarchive (not
// a skiff dependency) because an image layer's digest must depend on the
// entries alone: the caller fixes order, owners and times, and nothing of
// the building machine (user names, atime, device numbers) is written.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "skiff/status.h"

namespace skiff::oci {

// Receives the stream in pieces; an error stops the writer.
using ByteSink = std::function<Status(std::string_view bytes)>;

struct TarEntryHeader {
  std::string path;  // relative, '/'-separated, no leading '/'
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;  // seconds since the epoch
};

class TarWriter {
 public:
  explicit TarWriter(ByteSink sink) : sink_(std::move(sink)) {}

  Status AddDirectory(const TarEntryHeader& header);
  Status AddSymlink(const TarEntryHeader& header, const std::string& target);
  Status AddBytes(const TarEntryHeader& header, std::string_view content);
  // Streams the file at `source` (followed if a symlink) in 1 MiB pieces.
  // FailedPrecondition when its size changes while it is read.
  Status AddFile(const TarEntryHeader& header, const std::string& source);
  // The two zero blocks that end an archive.
  Status Finish();

 private:
  Status WriteHeader(const TarEntryHeader& header, char type, uint64_t size,
                     const std::string& link_target);
  Status Pad(uint64_t size);

  ByteSink sink_;
};

}  // namespace skiff::oci
