// SPDX-License-Identifier: Apache-2.0
#include "skiff/oci/image_builder.h"

#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "skiff/oci/library_closure.h"
#include "skiff/util/atomic_file.h"
#include "skiff/util/file.h"
#include "skiff/util/sha256.h"

#ifndef SKIFF_SOURCE_URL
#define SKIFF_SOURCE_URL ""
#endif
#ifndef SKIFF_GIT_REVISION
#define SKIFF_GIT_REVISION ""
#endif

namespace skiff::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Kind = LayerEntry::Kind;

#if defined(__aarch64__)
constexpr const char* kArchitecture = "arm64";
#else
constexpr const char* kArchitecture = "amd64";
#endif

std::string Rel(const std::string& absolute) { return absolute.substr(1); }

// An executable keeps its x bits; everything else is read-only data.
StatusOr<uint32_t> HostMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return NotFound("'" + path + "' does not exist; it is part of the image");
  }
  return (st.st_mode & 0111) ? 0755u : 0644u;
}

std::string Rfc3339(int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

StatusOr<std::vector<std::string>> Closure(const ImageBuildOptions& o) {
  std::vector<std::string> elves = o.plugins;
  elves.push_back(o.skiff_server);
  elves.insert(elves.end(), o.tools.begin(), o.tools.end());
  return SharedLibraryClosure(elves);
}

// The shared libraries under `dirs` (include_library_dirs), sorted, those
// in `skip` (ldd's closure) left out.
StatusOr<std::vector<LayerEntry>> IncludedLibraries(const std::vector<std::string>& dirs,
                                                    const std::vector<std::string>& skip) {
  std::vector<LayerEntry> out;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return NotFound("library folder '" + dir + "' to include in the image does not exist");
    }
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string path = fs::absolute(it->path()).lexically_normal().string();
      if (it->path().filename().string().find(".so") == std::string::npos) continue;
      if (std::find(skip.begin(), skip.end(), path) != skip.end()) continue;
      const auto status = it->symlink_status(ec);
      if (fs::is_symlink(status)) {
        out.push_back(
            {Kind::kSymlink, Rel(path), fs::read_symlink(it->path(), ec).string(), 0777, 0, 0});
      } else if (fs::is_regular_file(status)) {
        SKIFF_ASSIGN_OR_RETURN(uint32_t mode, HostMode(path));
        out.push_back({Kind::kFile, Rel(path), path, mode, 0, 0});
      }
    }
    if (ec) return Internal("cannot list library folder '" + dir + "': " + ec.message());
  }
  std::sort(out.begin(), out.end(),
            [](const LayerEntry& a, const LayerEntry& b) { return a.path < b.path; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const LayerEntry& a, const LayerEntry& b) { return a.path == b.path; }),
            out.end());
  return out;
}

StatusOr<LayerBlob> SystemLayer(const ImageBuildOptions& o, const std::vector<std::string>& libs,
                                const OciLayout& layout) {
  std::vector<LayerEntry> e;
  SKIFF_ASSIGN_OR_RETURN(e, IncludedLibraries(o.include_library_dirs, libs));
  // Libraries at the paths the loader found them; the content is the file a
  // symlink names, so the image needs no link farm.
  for (const std::string& lib : libs) {
    SKIFF_ASSIGN_OR_RETURN(uint32_t mode, HostMode(lib));
    e.push_back({Kind::kFile, Rel(lib), lib, mode, 0, 0});
  }
  for (const std::string& tool : o.tools) {
    SKIFF_ASSIGN_OR_RETURN(uint32_t mode, HostMode(tool));
    e.push_back({Kind::kFile, Rel(tool), tool, mode, 0, 0});
  }
  e.push_back({Kind::kFile, Rel(kImageCaBundle), o.ca_bundle, 0644, 0, 0});
  e.push_back({Kind::kBytes, "etc/passwd",
               "root:x:0:0:root:/root:/usr/sbin/nologin\n"
               "skiff:x:10001:10001:skiff:/nonexistent:/usr/sbin/nologin\n",
               0644, 0, 0});
  e.push_back({Kind::kBytes, "etc/group", "root:x:0:\nskiff:x:10001:\n", 0644, 0, 0});
  e.push_back({Kind::kDirectory, "tmp", "", 01777, 0, 0});
  // Where the server writes (emptyDirs in a pod; these stand when none is mounted).
  for (const char* dir : {"var/run/skiff", "var/lib/skiff/data"}) {
    e.push_back({Kind::kDirectory, dir, "", 0700, kImageUid, kImageUid});
  }
  LayerOptions lo = o.layer;
  lo.created_by = "skiff image build: system libraries (" + std::to_string(libs.size()) +
                  " files), CA bundle, uid 10001";
  return WriteLayer(std::move(e), lo, layout);
}

StatusOr<LayerBlob> SkiffLayer(const ImageBuildOptions& o, const OciLayout& layout) {
  // Root-owned and not writable by uid 10001: the server cannot change its code.
  std::vector<LayerEntry> e;
  e.push_back({Kind::kFile, Rel(kImageServerBinary), o.skiff_server, 0755, 0, 0});
  for (const std::string& plugin : o.plugins) {
    e.push_back({Kind::kFile, Rel(kImagePluginDir) + "/" + fs::path(plugin).filename().string(),
                 plugin, 0755, 0, 0});
  }
  LayerOptions lo = o.layer;
  lo.created_by = "skiff image build: skiff-server " + o.version + " and " +
                  std::to_string(o.plugins.size()) + " plugins";
  return WriteLayer(std::move(e), lo, layout);
}

std::string ModelCreatedBy(const ModelLayerSource& m) {
  return "skiff image build: model " + m.model + " (sha256 " + m.sha256 + ")";
}

StatusOr<LayerBlob> ModelLayer(const ModelLayerSource& m, const LayerOptions& base,
                               const OciLayout& layout) {
  const std::string root = Rel(ModelPathInImage(m.sha256, m.folder));
  std::vector<LayerEntry> e;
  if (!m.folder) {
    e.push_back({Kind::kFile, root, m.path, 0444, 0, 0});
  } else {
    e.push_back({Kind::kDirectory, root, "", 0555, 0, 0});
    std::error_code ec;
    for (fs::recursive_directory_iterator it(m.path, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string rel = it->path().lexically_relative(m.path).generic_string();
      const auto status = it->symlink_status(ec);
      if (fs::is_directory(status)) {
        e.push_back({Kind::kDirectory, root + "/" + rel, "", 0555, 0, 0});
      } else if (fs::is_regular_file(status)) {
        e.push_back({Kind::kFile, root + "/" + rel, it->path().string(), 0444, 0, 0});
      } else {
        return FailedPrecondition("model " + m.model + ": '" + it->path().string() +
                                  "' is neither a file nor a folder; re-register the model");
      }
    }
    if (ec) return Internal("model " + m.model + ": cannot list '" + m.path + "': " + ec.message());
  }
  LayerOptions lo = base;
  lo.created_by = ModelCreatedBy(m);
  return WriteLayer(std::move(e), lo, layout);
}

StatusOr<BuiltImage> WriteImage(const ImageBuildOptions& o, const std::string& ref_name,
                                const ModelLayerSource* model, std::vector<LayerBlob> layers,
                                const OciLayout& layout) {
  json diff_ids = json::array();
  json history = json::array();
  json layer_list = json::array();
  for (const LayerBlob& l : layers) {
    diff_ids.push_back(l.diff_id);
    history.push_back({{"created", Rfc3339(o.layer.mtime)}, {"created_by", l.created_by}});
    layer_list.push_back(ToJson(l.descriptor));
  }
  json labels = {{"org.opencontainers.image.version", o.version},
                 {"org.opencontainers.image.title", "skiff-server"},
                 {"org.opencontainers.image.licenses", o.licenses}};
  if (!o.source.empty()) labels["org.opencontainers.image.source"] = o.source;
  if (!o.revision.empty()) labels["org.opencontainers.image.revision"] = o.revision;
  if (model != nullptr) {
    labels["io.skiff.model"] = model->model;
    labels["io.skiff.model.sha256"] = model->sha256;
  }
  const std::string uid = std::to_string(kImageUid);
  const json config = {
      {"created", Rfc3339(o.layer.mtime)},
      {"architecture", kArchitecture},
      {"os", "linux"},
      {"config",
       {{"User", uid + ":" + uid},
        {"Env",
         {"PATH=/opt/skiff/bin:/usr/bin:/bin", std::string("SSL_CERT_FILE=") + kImageCaBundle}},
        {"Entrypoint", {kImageServerBinary}},
        {"Cmd", {"--config", "/etc/skiff/server/server.json"}},
        {"WorkingDir", "/"},
        {"ExposedPorts", {{"8080/tcp", json::object()}}},
        {"Labels", labels}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
      {"history", history},
  };
  BuiltImage image;
  image.ref_name = ref_name;
  image.model = model != nullptr ? model->model : "";
  SKIFF_ASSIGN_OR_RETURN(image.config, layout.PutBlob(kMediaTypeConfig, config.dump()));
  const json manifest = {{"schemaVersion", 2},
                         {"mediaType", kMediaTypeManifest},
                         {"config", ToJson(image.config)},
                         {"layers", layer_list}};
  SKIFF_ASSIGN_OR_RETURN(image.manifest, layout.PutBlob(kMediaTypeManifest, manifest.dump()));
  image.manifest.annotations[kRefNameAnnotation] = ref_name;
  image.layers = std::move(layers);
  return image;
}

// Which inputs gave which layer (ImageBuildOptions::layer_cache). The
// layer writer is deterministic, so equal inputs mean an equal blob; a
// record whose blob left the layout, or a file that cannot be read, only
// costs a rebuild.
class LayerCache {
 public:
  LayerCache(std::string path, const OciLayout& layout) : path_(std::move(path)), layout_(layout) {
    if (path_.empty()) return;
    auto text = ReadFile(path_, 16u << 20);
    if (!text.ok()) return;
    const json j = json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("layers") || !j["layers"].is_object()) return;
    for (const auto& [key, v] : j["layers"].items()) {
      if (!v.is_object()) continue;
      auto d = ParseDescriptor(v.value("descriptor", json()), "layer cache");
      if (!d.ok() || !v.contains("diffId") || !v["diffId"].is_string()) continue;
      LayerBlob blob;
      blob.descriptor = *d;
      blob.diff_id = v["diffId"].get<std::string>();
      blob.uncompressed_size = v.value("uncompressedSize", int64_t{0});
      blob.created_by = v.value("createdBy", std::string());
      entries_[key] = std::move(blob);
    }
  }

  std::optional<LayerBlob> Find(const std::string& key) const {
    auto it = entries_.find(key);
    if (it == entries_.end() || !DigestHex(it->second.descriptor.digest).ok()) return std::nullopt;
    std::error_code ec;
    const auto size = fs::file_size(layout_.BlobPath(it->second.descriptor.digest), ec);
    if (ec || static_cast<int64_t>(size) != it->second.descriptor.size) return std::nullopt;
    return it->second;
  }
  void Put(const std::string& key, const LayerBlob& blob) { entries_[key] = blob; }

  Status Save() const {
    if (path_.empty()) return OkStatus();
    json layers = json::object();
    for (const auto& [key, blob] : entries_) {
      if (!Find(key)) continue;  // its blob is gone: forget it
      layers[key] = {{"descriptor", ToJson(blob.descriptor)},
                     {"diffId", blob.diff_id},
                     {"uncompressedSize", blob.uncompressed_size},
                     {"createdBy", blob.created_by}};
    }
    return WriteFileAtomically(path_, json{{"layers", layers}}.dump(1), 0600);
  }

 private:
  std::string path_;
  const OciLayout& layout_;
  std::map<std::string, LayerBlob> entries_;
};

// A file as the cache tells versions apart without reading it: a rebuilt
// binary or an upgraded library package gets another size, mtime or inode.
json FileStamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {path, "missing"};
  return {path,
          static_cast<int64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec),
          static_cast<int64_t>(st.st_mtim.tv_nsec),
          static_cast<uint64_t>(st.st_ino),
          static_cast<uint64_t>(st.st_dev)};
}

std::string LayerKey(const char* kind, const json& inputs) {
  return std::string(kind) + ":" + Sha256Hex(inputs.dump());
}

// Looks `key` up, else builds the layer and records it.
template <typename Build>
StatusOr<LayerBlob> CachedLayer(LayerCache& cache, const std::string& key, int* reused,
                                Build build) {
  if (auto hit = cache.Find(key)) {
    ++*reused;
    return *hit;
  }
  SKIFF_ASSIGN_OR_RETURN(LayerBlob blob, build());
  cache.Put(key, blob);
  return blob;
}

Status CheckRefName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.');
  }
  return ok ? OkStatus()
            : InvalidArgument("image name '" + name +
                              "' must be 1-128 letters, digits, '-', '_' or '.'");
}

}  // namespace

void SetBuildInfoLabels(ImageBuildOptions* options) {
  options->source = SKIFF_SOURCE_URL;
  options->revision = SKIFF_GIT_REVISION;
}

std::string ModelPathInImage(const std::string& sha256, bool folder) {
  return std::string(kImageModelsDir) + (folder ? "/materialized/" : "/sha256/") + sha256;
}

StatusOr<std::vector<BuiltImage>> BuildImages(const ImageBuildOptions& options,
                                              const std::vector<ModelLayerSource>& models,
                                              const OciLayout& layout) {
  for (const auto& m : models) SKIFF_RETURN_IF_ERROR(CheckRefName(m.ref_name));
  SKIFF_ASSIGN_OR_RETURN(const std::vector<std::string> libs, Closure(options));
  LayerCache cache(options.layer_cache, layout);
  const json layer_options = {options.layer.mtime, options.layer.gzip_level};
  // The system layer holds the closure, the tools and the CA bundle; the
  // skiff layer the server and the plugins (and names the version).
  json system_inputs = {layer_options, FileStamp(options.ca_bundle)};
  for (const auto& lib : libs) system_inputs.push_back(FileStamp(lib));
  if (!options.include_library_dirs.empty()) {
    SKIFF_ASSIGN_OR_RETURN(auto included, IncludedLibraries(options.include_library_dirs, libs));
    for (const auto& entry : included) {
      system_inputs.push_back(entry.kind == Kind::kFile ? FileStamp(entry.source)
                                                        : json{entry.path, entry.source});
    }
  }
  for (const auto& tool : options.tools) system_inputs.push_back(FileStamp(tool));
  json skiff_inputs = {layer_options, options.version, FileStamp(options.skiff_server)};
  for (const auto& plugin : options.plugins) skiff_inputs.push_back(FileStamp(plugin));
  int base_reused = 0;
  SKIFF_ASSIGN_OR_RETURN(LayerBlob system,
                         CachedLayer(cache, LayerKey("system", system_inputs), &base_reused,
                                     [&] { return SystemLayer(options, libs, layout); }));
  SKIFF_ASSIGN_OR_RETURN(LayerBlob skiff,
                         CachedLayer(cache, LayerKey("skiff", skiff_inputs), &base_reused,
                                     [&] { return SkiffLayer(options, layout); }));
  std::vector<BuiltImage> images;
  SKIFF_ASSIGN_OR_RETURN(BuiltImage base,
                         WriteImage(options, kServerRefName, nullptr, {system, skiff}, layout));
  base.reused_layers = base_reused;
  images.push_back(std::move(base));
  for (const ModelLayerSource& m : models) {
    // The artifact's digest names its bytes (checked by the caller).
    int reused = base_reused;
    SKIFF_ASSIGN_OR_RETURN(
        LayerBlob model,
        CachedLayer(cache, LayerKey("model", {layer_options, m.sha256, m.folder}), &reused,
                    [&] { return ModelLayer(m, options.layer, layout); }));
    model.created_by = ModelCreatedBy(m);  // the history line names this image's model
    SKIFF_ASSIGN_OR_RETURN(BuiltImage image,
                           WriteImage(options, m.ref_name, &m, {system, skiff, model}, layout));
    image.reused_layers = reused;
    images.push_back(std::move(image));
  }
  SKIFF_RETURN_IF_ERROR(cache.Save());
  std::vector<Descriptor> index;
  for (const auto& image : images) index.push_back(image.manifest);
  SKIFF_RETURN_IF_ERROR(layout.WriteIndex(index));
  return images;
}

}  // namespace skiff::oci
