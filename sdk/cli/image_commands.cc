// SPDX-License-Identifier: Apache-2.0
// `skiff image build|push`: the skiff-server image without Docker (an OCI
// layout with one image per model version, docs/oci.md) and its push to any
// OCI registry. An `az acr build`/`docker push`-like verb group of skiff's own.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "progress.h"
#include "service_common.h"
#include "skiff/oci/image_builder.h"
#include "skiff/oci/push_progress.h"
#include "skiff/oci/registry_client.h"
#include "skiff/sdk/plugins.h"
#include "skiff/util/url.h"
#include "status_view.h"

namespace skiff::cli {
namespace {

namespace fs = std::filesystem;

struct BuildFlags {
  std::vector<std::string> models;
  std::string output_dir = "skiff-image";
  std::string server;
  std::string plugin_dir;
  std::vector<std::string> include_libs;
  int gzip_level = 6;
};

struct PushFlags {
  std::string layout = "skiff-image";
  std::string registry;
  std::vector<std::string> images;
  std::string docker_config;
  std::string ca_file;
  std::vector<std::string> mount_from;
  bool plain_http = false;
};

// The plugins skiff-server loads (accelerators, authenticators); compute
// plugins run in the CLI, not in a pod.
std::vector<std::string> ServerPlugins(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if ((name.rfind("libskiff_accelerator_", 0) == 0 || name.rfind("libskiff_auth_", 0) == 0) &&
        entry.path().extension() == ".so") {
      out.push_back(entry.path().string());
    }
  }
  if (ec)
    throw CliError("cannot list plugins in '" + dir + "': " + ec.message() + "; pass --plugin-dir");
  std::sort(out.begin(), out.end());
  return out;
}

int64_t SourceDateEpoch() {
  const char* env = std::getenv("SOURCE_DATE_EPOCH");
  if (env == nullptr || *env == '\0') return 0;
  char* end = nullptr;
  const long long v = std::strtoll(env, &end, 10);
  if (*end != '\0' || v < 0)
    throw CliError("SOURCE_DATE_EPOCH '" + std::string(env) + "' is not a number of seconds");
  return v;
}

std::string RefName(const store::ModelRecord& r) {
  std::string name = r.name + "-" + std::to_string(r.version);
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) c = '-';
  }
  return name;
}

void Build(const BuildFlags& f, const GlobalOptions& options) {
  oci::ImageBuildOptions o;
  o.skiff_server = f.server.empty() ? sdk::FindSkiffExecutable("skiff-server") : f.server;
  const std::string plugin_dir =
      f.plugin_dir.empty()
          ? (fs::path(o.skiff_server).parent_path().parent_path() / "lib/skiff/plugins").string()
          : f.plugin_dir;
  o.plugins = ServerPlugins(plugin_dir);
  o.include_library_dirs = f.include_libs;
  o.version = SKIFF_VERSION;
  oci::SetBuildInfoLabels(&o);
  o.layer.mtime = SourceDateEpoch();
  if (f.gzip_level < 1 || f.gzip_level > 9) throw CliError("--gzip-level must be 1-9");
  o.layer.gzip_level = f.gzip_level;

  std::vector<oci::ModelLayerSource> models;
  if (!f.models.empty()) {
    sdk::Workspace ws = OpenWorkspace(options);
    for (const sdk::Model& m : ResolveModels(ws, f.models)) {
      const store::ModelRecord& r = m.record();
      oci::ModelLayerSource s;
      s.ref_name = RefName(r);
      s.model = r.id();
      s.sha256 = r.sha256;
      s.folder = r.kind == store::ModelKind::kFolder;
      // Verified against its digest before it is copied into a layer.
      s.path = ValueOrThrow(ws.store().ResolveArtifactPath(r));
      models.push_back(std::move(s));
    }
  }
  const oci::OciLayout layout = ValueOrThrow(oci::OciLayout::Create(f.output_dir));
  const auto images = ValueOrThrow(oci::BuildImages(o, models, layout));
  nlohmann::json json = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& image : images) {
    int64_t bytes = image.config.size;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : image.layers) {
      bytes += l.descriptor.size;
      layers.push_back({{"digest", l.descriptor.digest}, {"size", l.descriptor.size}});
    }
    json.push_back({{"image", image.ref_name},
                    {"model", image.model},
                    {"digest", image.manifest.digest},
                    {"layers", layers},
                    {"bytes", bytes}});
    rows.push_back({image.ref_name, image.model.empty() ? "-" : image.model, image.manifest.digest,
                    std::to_string(image.layers.size()), HumanBytes(bytes)});
  }
  std::cerr << "OCI layout written to " << layout.dir() << std::endl;
  Print(options, json, {"IMAGE", "MODEL", "DIGEST", "LAYERS", "SIZE"}, rows);
}

void Push(const PushFlags& f, const GlobalOptions& options) {
  // "host[:port]/repo" without a tag: each image is tagged with its name.
  const oci::ImageReference ref = ValueOrThrow(oci::ParseImageReference(f.registry));
  if (!ref.tag.empty()) {
    throw CliError("--registry '" + f.registry + "' names a tag; give HOST/REPOSITORY only: " +
                   "each image is pushed under its own name as the tag");
  }
  if (f.plain_http && !IsLoopbackHost(ref.registry.substr(0, ref.registry.rfind(':')))) {
    throw CliError(
        "--plain-http is only allowed to a loopback registry (credentials would "
        "cross the network in clear text)");
  }
  const std::string config =
      f.docker_config.empty() ? oci::DefaultDockerConfigPath() : f.docker_config;
  oci::RegistryCredentials creds = ValueOrThrow(
      oci::CredentialsFromDockerConfig(config, ref.registry, !f.docker_config.empty()));
  net::HttpClientOptions http;
  http.ca_file = f.ca_file;
  oci::RegistryClient client((f.plain_http ? "http://" : "https://") + ref.registry, http,
                             std::move(creds));
  const oci::OciLayout layout = ValueOrThrow(oci::OciLayout::Open(f.layout));
  const auto index = ValueOrThrow(layout.ReadIndex());
  oci::PushOptions po;
  po.mount_from = f.mount_from;
  nlohmann::json json = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  // Per layer (issue 23 item 1): the blob being sent with its bytes on the
  // live line (piped: a line per piece the registry took), and one line per
  // blob once the registry has it: pushed, exists or mounted.
  ProgressReporter progress("Pushing to " + ref.registry + "/" + ref.repository);
  std::string current;  // the image being pushed, for the lines
  po.on_progress = [&](const oci::BlobProgress& p) {
    const std::string line = current + " " + oci::DescribeBlobProgress(p);
    if (p.event == oci::BlobProgress::Event::kSending) {
      progress.Update("pushing", line);
    } else {
      progress.Note("  " + line);
    }
  };
  size_t done = 0;
  for (const auto& manifest : index) {
    const std::string name = manifest.annotations.count(oci::kRefNameAnnotation)
                                 ? manifest.annotations.at(oci::kRefNameAnnotation)
                                 : "";
    if (!f.images.empty() && std::find(f.images.begin(), f.images.end(), name) == f.images.end()) {
      continue;
    }
    current = name;
    progress.Update("pushing", "image " + name + ", " + std::to_string(done++) + " pushed");
    const oci::PushStats before = client.stats();
    const std::string digest =
        ValueOrThrow(client.PushImage(layout, manifest, ref.repository, name, po));
    const oci::PushStats& after = client.stats();
    const std::string pinned = ref.registry + "/" + ref.repository + "@" + digest;
    json.push_back({{"image", name},
                    {"reference", pinned},
                    {"uploaded", after.blobs_uploaded - before.blobs_uploaded},
                    {"skipped", after.blobs_skipped - before.blobs_skipped},
                    {"mounted", after.blobs_mounted - before.blobs_mounted},
                    {"bytesUploaded", after.bytes_uploaded - before.bytes_uploaded},
                    {"resumes", after.resumes - before.resumes}});
    rows.push_back({name, pinned, std::to_string(after.blobs_uploaded - before.blobs_uploaded),
                    std::to_string(after.blobs_skipped - before.blobs_skipped),
                    std::to_string(after.blobs_mounted - before.blobs_mounted),
                    HumanBytes(after.bytes_uploaded - before.bytes_uploaded)});
  }
  if (rows.empty()) throw CliError("no image in '" + f.layout + "' matches --image");
  progress.Done("done");
  Print(options, json, {"IMAGE", "REFERENCE", "UPLOADED", "SKIPPED", "MOUNTED", "SENT"}, rows);
}

}  // namespace

void AddImageCommands(CLI::App& app, GlobalOptions& options) {
  CLI::App* image =
      app.add_subcommand("image", "Build the skiff-server image (OCI, no Docker) and push it");
  image->require_subcommand(1);

  auto build = std::make_shared<BuildFlags>();
  CLI::App* cmd = image->add_subcommand(
      "build", "Write an OCI layout: the server image, plus one image per model version");
  cmd->add_option("-m,--model-id", build->models,
                  "Model NAME:VERSION to add as a layer (repeatable)");
  cmd->add_option("--output-dir", build->output_dir,
                  "OCI layout directory (default ./skiff-image)");
  cmd->add_option("--server", build->server, "skiff-server binary (default: the installed one)");
  cmd->add_option("--plugin-dir", build->plugin_dir,
                  "Plugin directory (default: beside the server)");
  cmd->add_option("--gzip-level", build->gzip_level, "gzip level 1-9 (default 6)");
  cmd->add_option("--include-libs", build->include_libs,
                  "Folder whose shared libraries the image also carries, at their paths: "
                  "dlopen'ed ones ldd cannot see, e.g. a CUDA libtorch's (repeatable)");
  AddOutputOption(cmd, &options);
  cmd->callback([build, &options] { Build(*build, options); });

  auto push = std::make_shared<PushFlags>();
  cmd = image->add_subcommand("push", "Push the layout's images to an OCI registry");
  cmd->add_option("--registry", push->registry, "HOST[:PORT]/REPOSITORY")->required();
  cmd->add_option("--layout", push->layout, "OCI layout directory (default ./skiff-image)");
  cmd->add_option("--image", push->images, "Push only this image name (repeatable)");
  cmd->add_option("--docker-config", push->docker_config,
                  "docker config.json with `auths` (default $DOCKER_CONFIG or ~/.docker)");
  cmd->add_option("--ca-file", push->ca_file, "PEM CA bundle for the registry's certificate");
  cmd->add_option("--mount-from", push->mount_from,
                  "Repository of the same registry to mount shared blobs from (repeatable)");
  cmd->add_flag("--plain-http", push->plain_http, "http:// (loopback registries only)");
  AddOutputOption(cmd, &options);
  cmd->callback([push, &options] { Push(*push, options); });
}

}  // namespace skiff::cli
