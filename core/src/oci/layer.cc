// SPDX-License-Identifier: Apache-2.0
#include "skiff/oci/layer.h"

#include <zlib.h>

#include <algorithm>
#include <set>

#include "skiff/oci/tar_writer.h"
#include "skiff/util/sha256.h"

namespace skiff::oci {
namespace {

// gzip through zlib's deflate with windowBits 16+15: zlib then writes a
// header with no file name and mtime 0, so only the bytes matter.
class GzipStream {
 public:
  GzipStream(int level, ByteSink out) : out_(std::move(out)) {
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipStream() { deflateEnd(&z_); }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  Status Write(std::string_view in) { return Deflate(in, Z_NO_FLUSH); }
  Status Finish() { return Deflate({}, Z_FINISH); }

 private:
  Status Deflate(std::string_view in, int flush) {
    if (!ok_) return Internal("zlib: deflateInit2 failed");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    char buf[64 * 1024];
    int rc;
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return Internal("zlib: deflate failed");
      const size_t n = sizeof buf - z_.avail_out;
      if (n > 0) SKIFF_RETURN_IF_ERROR(out_(std::string_view(buf, n)));
    } while (z_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return OkStatus();
  }

  z_stream z_{};
  bool ok_ = false;
  ByteSink out_;
};

// Adds every missing ancestor directory of the entries (root, 0755).
void AddParents(std::vector<LayerEntry>& entries) {
  std::set<std::string> have;
  for (const auto& e : entries) have.insert(e.path);
  std::vector<LayerEntry> parents;
  for (const auto& e : entries) {
    for (size_t slash = e.path.find('/'); slash != std::string::npos;
         slash = e.path.find('/', slash + 1)) {
      const std::string dir = e.path.substr(0, slash);
      if (have.insert(dir).second) {
        parents.push_back({LayerEntry::Kind::kDirectory, dir, "", 0755, 0, 0});
      }
    }
  }
  entries.insert(entries.end(), parents.begin(), parents.end());
}

}  // namespace

StatusOr<LayerBlob> WriteLayer(std::vector<LayerEntry> entries, const LayerOptions& options,
                               const OciLayout& layout) {
  AddParents(entries);
  std::sort(entries.begin(), entries.end(),
            [](const LayerEntry& a, const LayerEntry& b) { return a.path < b.path; });
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].path == entries[i - 1].path) {
      return InvalidArgument("image layer: '" + entries[i].path + "' is added twice");
    }
  }

  SKIFF_ASSIGN_OR_RETURN(BlobWriter blob, layout.NewBlob());
  GzipStream gzip(options.gzip_level, [&blob](std::string_view b) { return blob.Write(b); });
  Sha256 diff;
  int64_t tar_size = 0;
  TarWriter tar([&](std::string_view b) {
    diff.Update(b);
    tar_size += static_cast<int64_t>(b.size());
    return gzip.Write(b);
  });
  for (const LayerEntry& e : entries) {
    TarEntryHeader h{e.path, e.mode, e.uid, e.gid, options.mtime};
    switch (e.kind) {
      case LayerEntry::Kind::kDirectory:
        SKIFF_RETURN_IF_ERROR(tar.AddDirectory(h));
        break;
      case LayerEntry::Kind::kFile:
        SKIFF_RETURN_IF_ERROR(tar.AddFile(h, e.source));
        break;
      case LayerEntry::Kind::kBytes:
        SKIFF_RETURN_IF_ERROR(tar.AddBytes(h, e.source));
        break;
      case LayerEntry::Kind::kSymlink:
        SKIFF_RETURN_IF_ERROR(tar.AddSymlink(h, e.source));
        break;
    }
  }
  SKIFF_RETURN_IF_ERROR(tar.Finish());
  SKIFF_RETURN_IF_ERROR(gzip.Finish());
  LayerBlob out;
  SKIFF_ASSIGN_OR_RETURN(out.descriptor, blob.Commit(kMediaTypeLayerGzip));
  out.diff_id = "sha256:" + diff.HexDigest();
  out.uncompressed_size = tar_size;
  out.created_by = options.created_by;
  return out;
}

}  // namespace skiff::oci
