#include "skiff/oci/image_builder.h"

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "skiff/oci/library_closure.h"

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

StatusOr<LayerBlob> SystemLayer(const ImageBuildOptions& o, const OciLayout& layout) {
  std::vector<std::string> elves = o.plugins;
  elves.push_back(o.skiff_server);
  elves.insert(elves.end(), o.tools.begin(), o.tools.end());
  SKIFF_ASSIGN_OR_RETURN(std::vector<std::string> libs, SharedLibraryClosure(elves));
  std::vector<LayerEntry> e;
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
  lo.created_by = "skiff image build: model " + m.model + " (sha256 " + m.sha256 + ")";
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
                 {"org.opencontainers.image.title", "skiff-server"}};
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

std::string ModelPathInImage(const std::string& sha256, bool folder) {
  return std::string(kImageModelsDir) + (folder ? "/materialized/" : "/sha256/") + sha256;
}

StatusOr<std::vector<BuiltImage>> BuildImages(const ImageBuildOptions& options,
                                              const std::vector<ModelLayerSource>& models,
                                              const OciLayout& layout) {
  for (const auto& m : models) SKIFF_RETURN_IF_ERROR(CheckRefName(m.ref_name));
  SKIFF_ASSIGN_OR_RETURN(LayerBlob system, SystemLayer(options, layout));
  SKIFF_ASSIGN_OR_RETURN(LayerBlob skiff, SkiffLayer(options, layout));
  std::vector<BuiltImage> images;
  SKIFF_ASSIGN_OR_RETURN(BuiltImage base,
                         WriteImage(options, kServerRefName, nullptr, {system, skiff}, layout));
  images.push_back(std::move(base));
  for (const ModelLayerSource& m : models) {
    SKIFF_ASSIGN_OR_RETURN(LayerBlob model, ModelLayer(m, options.layer, layout));
    SKIFF_ASSIGN_OR_RETURN(BuiltImage image,
                           WriteImage(options, m.ref_name, &m, {system, skiff, model}, layout));
    images.push_back(std::move(image));
  }
  std::vector<Descriptor> index;
  for (const auto& image : images) index.push_back(image.manifest);
  SKIFF_RETURN_IF_ERROR(layout.WriteIndex(index));
  return images;
}

}  // namespace skiff::oci
