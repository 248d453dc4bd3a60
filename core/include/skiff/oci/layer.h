// SPDX-License-Identifier: Apache-2.0
// An image layer: a set of entries written as one deterministic tar+gzip
// blob. The same entries (and the same bytes behind them) always give the
// same digest: entries are sorted by path, missing parent directories are
// added root-owned 0755, every time is `mtime`, and gzip writes no name or
// time (zlib, fixed level). Digests can still differ across zlib versions,
// which is why a digest is reproducible per build host image, not forever.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "skiff/oci/oci_layout.h"
#include "skiff/status.h"

namespace skiff::oci {

struct LayerEntry {
  enum class Kind { kDirectory, kFile, kBytes, kSymlink };
  Kind kind = Kind::kFile;
  std::string path;    // in the image, relative ("opt/skiff/bin/skiff-server")
  std::string source;  // kFile: host path; kBytes: the content; kSymlink: the target
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct LayerOptions {
  int64_t mtime = 0;       // every entry's time (SOURCE_DATE_EPOCH when the caller has one)
  int gzip_level = 6;      // zlib level 1-9
  std::string created_by;  // the history line in the image config
};

// A written layer: the compressed blob's descriptor and the digest of the
// uncompressed tar (the config's rootfs.diff_ids).
struct LayerBlob {
  Descriptor descriptor;  // mediaType kMediaTypeLayerGzip
  std::string diff_id;    // "sha256:<hex>"
  int64_t uncompressed_size = 0;
  std::string created_by;
};

// Writes the layer into `layout`. InvalidArgument for a path given twice or
// one that leaves the image; errors from reading a kFile source name it.
StatusOr<LayerBlob> WriteLayer(std::vector<LayerEntry> entries, const LayerOptions& options,
                               const OciLayout& layout);

}  // namespace skiff::oci
