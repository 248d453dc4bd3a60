// SPDX-License-Identifier: Apache-2.0
#include "image_publisher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "skiff/config/server_config.h"
#include "skiff/oci/image_builder.h"
#include "skiff/oci/oci_layout.h"
#include "skiff/oci/push_progress.h"

namespace skiff::compute_aks {
namespace {

namespace fs = std::filesystem;

// libskiff_<kind>_<name>.so from the first directory that has it.
StatusOr<std::string> FindPlugin(const std::vector<std::string>& dirs, const std::string& kind,
                                 const std::string& name) {
  const std::string file = "libskiff_" + kind + "_" + name + ".so";
  std::string looked;
  for (const std::string& dir : dirs) {
    const std::string path = dir + "/" + file;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return path;
    looked += (looked.empty() ? "" : ", ") + dir;
  }
  return FailedPrecondition("the server image needs " + file + " (" + kind + " '" + name +
                            "' of the service) but it is in none of: " +
                            (looked.empty() ? std::string("(no plugin directory)") : looked) +
                            "; build or install it, or add its directory to SKIFF_PLUGIN_PATH");
}

}  // namespace

StatusOr<PublishedImages> PublishImages(const ServiceSpec& spec,
                                        const ImagePublishOptions& options) {
  const auto say = [&options](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  SKIFF_ASSIGN_OR_RETURN(config::ServerConfig server,
                         config::ParseServerConfig(spec.server_config_json));

  // What skiff-server loads in these pods: the auth plugin (the router) and
  // each version's accelerator; compute plugins stay in the CLI.
  oci::ImageBuildOptions build;
  build.skiff_server = options.skiff_server;
  build.version = k8s::kSkiffVersion;
  oci::SetBuildInfoLabels(&build);
  build.layer.gzip_level = options.gzip_level;
  build.layer_cache = options.layout_dir + "/skiff-layer-cache.json";
  build.include_library_dirs = options.include_library_dirs;
  std::set<std::string> plugins;
  SKIFF_ASSIGN_OR_RETURN(std::string auth,
                         FindPlugin(options.plugin_dirs, "auth", server.auth_plugin));
  plugins.insert(auth);
  std::vector<oci::ModelLayerSource> models;
  std::set<std::string> artifacts;
  for (const auto& v : server.versions) {
    if (!v.upstream.empty()) continue;
    SKIFF_ASSIGN_OR_RETURN(std::string accelerator,
                           FindPlugin(options.plugin_dirs, "accelerator", v.inference.accelerator));
    plugins.insert(accelerator);
    if (v.sha256.empty()) {
      return FailedPrecondition("version '" + v.spec.name + "' of '" + spec.name +
                                "' has no artifact sha256, so it cannot be named by content in an "
                                "image; deploy it through the SDK or CLI");
    }
    if (!options.with_models || !artifacts.insert(v.sha256).second) continue;  // one per artifact
    oci::ModelLayerSource m;
    m.ref_name = "model-" + v.sha256.substr(0, 12);
    m.model = spec.name + "/" + v.spec.name;
    m.sha256 = v.sha256;
    m.path = v.artifact_path;
    m.folder = fs::is_directory(v.artifact_path);
    models.push_back(std::move(m));
  }
  build.plugins.assign(plugins.begin(), plugins.end());

  say("Building images in " + options.layout_dir + " (" + std::to_string(models.size()) + " model" +
      (models.size() == 1 ? "" : "s") + ")");
  SKIFF_ASSIGN_OR_RETURN(oci::OciLayout layout, oci::OciLayout::Create(options.layout_dir));
  SKIFF_ASSIGN_OR_RETURN(std::vector<oci::BuiltImage> images,
                         oci::BuildImages(build, models, layout));

  PublishedImages out;
  std::map<std::string, std::string> sha_by_ref;
  for (const auto& m : models) sha_by_ref[m.ref_name] = m.sha256;
  int built = 0, reused = 0;
  {
    // The base's two layers once, then each model's own layer (a model
    // image counts the base's reused layers too).
    const auto& base = images.front();
    reused += base.reused_layers;
    built += static_cast<int>(base.layers.size()) - base.reused_layers;
    for (size_t i = 1; i < images.size(); ++i) {
      const bool model_reused = images[i].reused_layers > base.reused_layers;
      (model_reused ? reused : built) += 1;
    }
  }
  out.layers_built = built;
  out.layers_reused = reused;
  say("Images built: " + std::to_string(built) + " layer" + (built == 1 ? "" : "s") + " written, " +
      std::to_string(reused) + " reused (unchanged inputs)");

  const std::string host = options.registry.host;
  const auto reference = [&](const oci::BuiltImage& image) {
    return host + "/" + kImageRepository + "@" + image.manifest.digest;
  };
  if (!options.push) {
    for (const auto& image : images) {
      if (image.model.empty()) {
        out.server = reference(image);
      } else {
        out.models[sha_by_ref[image.ref_name]] = reference(image);
      }
    }
    return out;
  }

  net::HttpClientOptions http;
  http.ca_file = options.ca_file;
  oci::RegistryClient client((options.plain_http ? "http://" : "https://") + host, http,
                             options.credentials);
  oci::PushOptions push;
  // The words of `skiff image push` (oci/push_progress.h).
  push.on_progress = [&](const oci::BlobProgress& p) {
    switch (p.event) {
      case oci::BlobProgress::Event::kSending:
        if (options.live) options.live(oci::DescribeBlobProgress(p));
        break;
      case oci::BlobProgress::Event::kUploaded:
      case oci::BlobProgress::Event::kMounted:
        say("  " + oci::DescribeBlobProgress(p));
        break;
      case oci::BlobProgress::Event::kSkipped:
        break;  // counted in the image's line
    }
  };
  for (const auto& image : images) {
    const oci::PushStats before = client.stats();
    // A tag per manifest, so no image a running pod names is left untagged
    // (a registry's retention policy may delete untagged manifests).
    const std::string tag = image.ref_name + "-" + oci::ShortDigest(image.manifest.digest);
    SKIFF_ASSIGN_OR_RETURN(std::string digest,
                           client.PushImage(layout, image.manifest, kImageRepository, tag, push));
    const oci::PushStats& after = client.stats();
    const std::string pinned = host + "/" + kImageRepository + "@" + digest;
    say("Pushed " + image.ref_name + ": " +
        std::to_string(after.blobs_uploaded - before.blobs_uploaded) + " uploaded (" +
        oci::HumanBytes(after.bytes_uploaded - before.bytes_uploaded) + "), " +
        std::to_string(after.blobs_skipped - before.blobs_skipped) + " skipped, " +
        std::to_string(after.blobs_mounted - before.blobs_mounted) + " mounted -> " + pinned);
    if (image.model.empty()) {
      out.server = pinned;
    } else {
      out.models[sha_by_ref[image.ref_name]] = pinned;
    }
  }
  out.stats = client.stats();
  say("Push done: " + std::to_string(out.stats.blobs_uploaded) + " blobs uploaded (" +
      oci::HumanBytes(out.stats.bytes_uploaded) + "), " + std::to_string(out.stats.blobs_skipped) +
      " skipped");
  return out;
}

}  // namespace skiff::compute_aks
