// SPDX-License-Identifier: Apache-2.0
// An OCI image layout on disk (image-spec v1.0 "image-layout"): `oci-layout`,
// `index.json` and content-addressed `blobs/sha256/<hex>`. The image builder
// writes one; the push client and `skopeo`/`umoci` read it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/status.h"

namespace skiff::oci {

inline constexpr const char* kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
// The annotation that names a manifest inside a layout (skopeo's oci:DIR:NAME).
inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

// A content descriptor: what a manifest or index says about a blob.
struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<64 hex>"
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
};

nlohmann::json ToJson(const Descriptor& d);
StatusOr<Descriptor> ParseDescriptor(const nlohmann::json& j, const std::string& where);

// "sha256:<hex>" -> "<hex>", InvalidArgument for anything else (the only
// algorithm skiff writes or accepts, so a digest can name a file safely).
StatusOr<std::string> DigestHex(const std::string& digest);

// Streams one blob into the layout: bytes go to a temp file in blobs/sha256
// and are hashed; Commit() renames it to its digest, so a blob that exists
// is always whole. Destroyed without Commit(): the temp file is removed.
class BlobWriter {
 public:
  ~BlobWriter();
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;
  BlobWriter& operator=(BlobWriter&&) = delete;

  Status Write(std::string_view bytes);
  // The descriptor of the committed blob (digest and size).
  StatusOr<Descriptor> Commit(const std::string& media_type);

 private:
  friend class OciLayout;
  struct State;
  explicit BlobWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class OciLayout {
 public:
  // Creates `dir` (and blobs/sha256) when missing and writes `oci-layout`;
  // blobs already there are kept (same digest, same bytes).
  static StatusOr<OciLayout> Create(const std::string& dir);
  // An existing layout: NotFound/FailedPrecondition naming what is missing.
  static StatusOr<OciLayout> Open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  std::string BlobPath(const std::string& digest) const;  // digest checked by the caller

  StatusOr<BlobWriter> NewBlob() const;
  StatusOr<Descriptor> PutBlob(const std::string& media_type, std::string_view bytes) const;
  // The blob's bytes (manifests, configs: bounded at 4 MiB).
  StatusOr<std::string> ReadSmallBlob(const std::string& digest) const;

  // index.json: `manifests`, in the order given (written atomically).
  Status WriteIndex(const std::vector<Descriptor>& manifests) const;
  StatusOr<std::vector<Descriptor>> ReadIndex() const;

 private:
  explicit OciLayout(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace skiff::oci
