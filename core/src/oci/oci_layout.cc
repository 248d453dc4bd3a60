// SPDX-License-Identifier: Apache-2.0
#include "skiff/oci/oci_layout.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "skiff/util/atomic_file.h"
#include "skiff/util/file.h"
#include "skiff/util/sha256.h"

namespace skiff::oci {

namespace fs = std::filesystem;
using nlohmann::json;

json ToJson(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

StatusOr<Descriptor> ParseDescriptor(const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("digest") || !j["digest"].is_string() || !j.contains("size") ||
      !j["size"].is_number_integer()) {
    return InvalidArgument(where + ": a descriptor needs a string `digest` and an integer `size`");
  }
  Descriptor d;
  d.digest = j["digest"].get<std::string>();
  SKIFF_RETURN_IF_ERROR(DigestHex(d.digest).status().WithContext(where));
  d.size = j["size"].get<int64_t>();
  if (j.contains("mediaType") && j["mediaType"].is_string()) d.media_type = j["mediaType"];
  if (j.contains("annotations") && j["annotations"].is_object()) {
    for (const auto& [k, v] : j["annotations"].items()) {
      if (v.is_string()) d.annotations[k] = v.get<std::string>();
    }
  }
  return d;
}

StatusOr<std::string> DigestHex(const std::string& digest) {
  constexpr const char* kPrefix = "sha256:";
  bool ok = digest.rfind(kPrefix, 0) == 0 && digest.size() == 7 + 64;
  for (size_t i = 7; ok && i < digest.size(); ++i) {
    const char c = digest[i];
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (!ok) return InvalidArgument("digest '" + digest + "' is not sha256:<64 lower-case hex>");
  return digest.substr(7);
}

struct BlobWriter::State {
  std::string blob_dir;
  std::string temp_path;
  Fd fd;
  Sha256 sha;
  int64_t size = 0;
  bool committed = false;
};

BlobWriter::BlobWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
BlobWriter::BlobWriter(BlobWriter&&) noexcept = default;
BlobWriter::~BlobWriter() {
  if (state_ && !state_->committed && !state_->temp_path.empty()) {
    ::unlink(state_->temp_path.c_str());
  }
}

Status BlobWriter::Write(std::string_view bytes) {
  state_->sha.Update(bytes);
  state_->size += static_cast<int64_t>(bytes.size());
  while (!bytes.empty()) {
    const ssize_t n = ::write(state_->fd.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Internal("cannot write '" + state_->temp_path + "': " + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

StatusOr<Descriptor> BlobWriter::Commit(const std::string& media_type) {
  if (::fsync(state_->fd.get()) != 0) {
    return Internal("cannot sync '" + state_->temp_path + "': " + std::strerror(errno));
  }
  state_->fd = Fd();
  Descriptor d;
  d.media_type = media_type;
  d.digest = "sha256:" + state_->sha.HexDigest();
  d.size = state_->size;
  const std::string path = state_->blob_dir + "/" + d.digest.substr(7);
  if (::rename(state_->temp_path.c_str(), path.c_str()) != 0) {
    return Internal("cannot move blob into '" + path + "': " + std::strerror(errno));
  }
  state_->committed = true;
  return d;
}

StatusOr<OciLayout> OciLayout::Create(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir + "/blobs/sha256", ec);
  if (ec) return Internal("cannot create the OCI layout '" + dir + "': " + ec.message());
  SKIFF_RETURN_IF_ERROR(
      WriteFileAtomically(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0644));
  return OciLayout(fs::absolute(dir).lexically_normal().string());
}

StatusOr<OciLayout> OciLayout::Open(const std::string& dir) {
  auto marker = ReadFile(dir + "/oci-layout", 4096);
  if (!marker.ok()) {
    return NotFound("'" + dir + "' is not an OCI image layout (no readable oci-layout file); " +
                    "build one with `skiff image build --output-dir " + dir + "`");
  }
  return OciLayout(fs::absolute(dir).lexically_normal().string());
}

std::string OciLayout::BlobPath(const std::string& digest) const {
  return dir_ + "/blobs/sha256/" + digest.substr(digest.find(':') + 1);
}

StatusOr<BlobWriter> OciLayout::NewBlob() const {
  auto state = std::make_unique<BlobWriter::State>();
  state->blob_dir = dir_ + "/blobs/sha256";
  std::string tmpl = state->blob_dir + "/.tmp-XXXXXX";
  const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0)
    return Internal("cannot create a blob in '" + state->blob_dir + "': " + std::strerror(errno));
  ::fchmod(fd, 0644);
  state->fd = Fd(fd);
  state->temp_path = tmpl;
  return BlobWriter(std::move(state));
}

StatusOr<Descriptor> OciLayout::PutBlob(const std::string& media_type,
                                        std::string_view bytes) const {
  SKIFF_ASSIGN_OR_RETURN(BlobWriter w, NewBlob());
  SKIFF_RETURN_IF_ERROR(w.Write(bytes));
  return w.Commit(media_type);
}

StatusOr<std::string> OciLayout::ReadSmallBlob(const std::string& digest) const {
  SKIFF_RETURN_IF_ERROR(DigestHex(digest).status());
  SKIFF_ASSIGN_OR_RETURN(std::string bytes, ReadFile(BlobPath(digest), 4u << 20));
  if ("sha256:" + Sha256Hex(bytes) != digest) {
    return DataLoss("blob " + digest + " in '" + dir_ + "' does not match its digest; rebuild " +
                    "the layout");
  }
  return bytes;
}

Status OciLayout::WriteIndex(const std::vector<Descriptor>& manifests) const {
  json list = json::array();
  for (const auto& m : manifests) list.push_back(ToJson(m));
  const json index = {{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", list}};
  return WriteFileAtomically(dir_ + "/index.json", index.dump(), 0644);
}

StatusOr<std::vector<Descriptor>> OciLayout::ReadIndex() const {
  SKIFF_ASSIGN_OR_RETURN(std::string text, ReadFile(dir_ + "/index.json", 4u << 20));
  const json index = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array()) {
    return InvalidArgument("'" + dir_ + "/index.json' has no `manifests` array");
  }
  std::vector<Descriptor> out;
  for (size_t i = 0; i < index["manifests"].size(); ++i) {
    SKIFF_ASSIGN_OR_RETURN(
        Descriptor d, ParseDescriptor(index["manifests"][i],
                                      dir_ + "/index.json manifests[" + std::to_string(i) + "]"));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace skiff::oci
