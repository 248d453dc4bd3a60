// SPDX-License-Identifier: Apache-2.0
// `skiff model register|list|show|download|delete` (mirrors `az ml model`)
// and `skiff model gc`.
#include <chrono>
#include <iostream>
#include <memory>

#include "cli.h"
#include "service_common.h"
#include "skiff/sdk/model.h"
#include "skiff/store/model_name.h"
#include "status_view.h"

namespace skiff::cli {
namespace {

using sdk::Model;
using sdk::Workspace;

nlohmann::json ModelJson(const store::ModelRecord& r) {
  return nlohmann::json{{"name", r.name},
                        {"version", r.version},
                        {"id", r.id()},
                        {"sha256", r.sha256},
                        {"kind", store::ModelKindName(r.kind)},
                        {"sizeBytes", r.size_bytes},
                        {"description", r.description},
                        {"tags", r.tags},
                        {"properties", r.properties},
                        {"createdTime", r.created_time}};
}


void PrintModels(const GlobalOptions& options, const std::vector<Model>& models, bool as_list) {
  nlohmann::json json = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : models) {
    const auto& r = m.record();
    json.push_back(ModelJson(r));
    rows.push_back({r.name, std::to_string(r.version), store::ModelKindName(r.kind),
                    HumanBytes(r.size_bytes), r.sha256.substr(0, 12), r.created_time,
                    JoinPairs(r.tags)});
  }
  Print(options, as_list ? json : json.at(0),
        {"NAME", "VERSION", "KIND", "SIZE", "SHA256", "CREATED", "TAGS"}, rows);
}

// Which model a command names: -m NAME[:VERSION], or -n NAME [-v VERSION].
struct ModelSelector {
  std::string id;
  std::string name;
  int64_t version = 0;

  void AddTo(CLI::App* cmd) {
    cmd->add_option("-m,--model-id", id, "Model as NAME:VERSION (NAME alone: latest)");
    cmd->add_option("-n,--name", name, "Model name (alternative to -m)");
    cmd->add_option("-v,--version", version, "Model version with -n (default: latest)");
  }
  std::pair<std::string, int64_t> Resolve(bool need_version) const {
    std::pair<std::string, int64_t> out{name, version};
    if (!id.empty()) out = ValueOrThrow(store::ParseModelId(id));
    if (out.first.empty()) {
      throw CliError("no model given; pass -m NAME:VERSION (or -n NAME -v VERSION)");
    }
    if (need_version && out.second <= 0) {
      throw CliError("model '" + out.first +
                     "' needs an explicit version here; pass -m NAME:VERSION");
    }
    return out;
  }
};

struct RegisterArgs {
  std::string name, path, description, metadata_file;
  std::vector<std::string> tags, properties;
};

struct DownloadArgs {
  ModelSelector model;
  std::string target_dir;
  bool overwrite = false;
};

}  // namespace

void AddModelCommands(CLI::App& app, GlobalOptions& options) {
  CLI::App* model = app.add_subcommand("model", "Manage registered models");
  AddDeployCommand(model, options);
  model->require_subcommand(1);

  auto reg = std::make_shared<RegisterArgs>();
  CLI::App* cmd = model->add_subcommand("register", "Register a model file or folder");
  cmd->add_option("-n,--name", reg->name, "Model name")->required();
  cmd->add_option("-p,--path", reg->path, "File or folder to register")->required();
  cmd->add_option("-d,--description", reg->description, "Description");
  cmd->add_option("--tag", reg->tags, "KEY=VALUE tag (repeatable)");
  cmd->add_option("--property", reg->properties, "KEY=VALUE property (repeatable)");
  cmd->add_option("-t,--output-metadata-file", reg->metadata_file,
                  "Write the model's id (modelId NAME:VERSION) and metadata to this JSON file, "
                  "for `service update --model-metadata-file`");
  AddOutputOption(cmd, &options);
  cmd->footer(
      "Example:\n  skiff model register -n resnet -p ./model.onnx --tag stage=dev "
      "--description 'ResNet-50'");
  cmd->callback([reg, &options] {
    auto tags = ParsePairs(reg->tags, "--tag");
    auto properties = ParsePairs(reg->properties, "--property");
    Workspace ws = ValueOrThrow(Workspace::Open(options.workspace));
    Model m = ValueOrThrow(
        Model::register_model(ws, reg->path, reg->name, reg->description, tags, properties));
    if (!reg->metadata_file.empty()) WriteModelMetadataFile(reg->metadata_file, m.record());
    PrintModels(options, {m}, false);
  });

  auto list_name = std::make_shared<std::string>();
  cmd = model->add_subcommand("list", "List registered models");
  cmd->add_option("-n,--name", *list_name, "Only versions of this model");
  AddOutputOption(cmd, &options);
  cmd->footer("Example:\n  skiff model list -n resnet --output json");
  cmd->callback([list_name, &options] {
    Workspace ws = ValueOrThrow(Workspace::Open(options.workspace));
    PrintModels(options, ValueOrThrow(Model::list(ws, *list_name)), true);
  });

  auto show = std::make_shared<ModelSelector>();
  cmd = model->add_subcommand("show", "Show one model version");
  show->AddTo(cmd);
  AddOutputOption(cmd, &options);
  cmd->footer("Example:\n  skiff model show -m resnet:2 --output json");
  cmd->callback([show, &options] {
    auto [name, version] = show->Resolve(false);
    Workspace ws = ValueOrThrow(Workspace::Open(options.workspace));
    PrintModels(options, {ValueOrThrow(Model::get(ws, name, version))}, false);
  });

  auto dl = std::make_shared<DownloadArgs>();
  cmd = model->add_subcommand("download", "Download a model into a directory");
  dl->model.AddTo(cmd);
  cmd->add_option("-t,--target-dir", dl->target_dir, "Directory to write the model into")
      ->required();
  cmd->add_flag("--overwrite", dl->overwrite, "Replace an existing copy in the target dir");
  cmd->footer("Example:\n  skiff model download -m resnet:2 -t ./downloaded");
  cmd->callback([dl, &options] {
    auto [name, version] = dl->model.Resolve(false);
    Workspace ws = ValueOrThrow(Workspace::Open(options.workspace));
    Model m = ValueOrThrow(Model::get(ws, name, version));
    std::cout << ValueOrThrow(m.download(dl->target_dir, dl->overwrite)) << "\n";
  });

  auto del = std::make_shared<ModelSelector>();
  cmd = model->add_subcommand("delete", "Delete a model version");
  del->AddTo(cmd);
  cmd->footer("Example:\n  skiff model delete -m resnet:1");
  cmd->callback([del, &options] {
    auto [name, version] = del->Resolve(true);
    Workspace ws = ValueOrThrow(Workspace::Open(options.workspace));
    ThrowIfError(ValueOrThrow(Model::get(ws, name, version)).delete_model());
    Done(options, "deleted model '" + name + ":" + std::to_string(version) + "'");
  });

  // Deleting a model removes its row only; its artifact goes here, with the
  // temp files a killed `register` leaves behind.
  auto min_age = std::make_shared<int64_t>(3600);
  cmd = model->add_subcommand(
      "gc", "Remove artifacts no model uses and temp files left by interrupted commands");
  cmd->add_option("--min-age-seconds", *min_age,
                  "Only files older than this (default 3600), so commands still running "
                  "elsewhere keep theirs")
      ->check(CLI::NonNegativeNumber);
  AddOutputOption(cmd, &options);
  cmd->footer(
      "Example:\n  skiff model gc --min-age-seconds 0   # when no other skiff command runs");
  cmd->callback([min_age, &options] {
    Workspace ws = ValueOrThrow(Workspace::Open(options.workspace));
    store::GarbageCollectResult r =
        ValueOrThrow(ws.store().GarbageCollect(std::chrono::seconds(*min_age)));
    nlohmann::json json = {{"blobsRemoved", r.blobs_removed},
                           {"tempFilesRemoved", r.temp_files_removed},
                           {"materializedRemoved", r.materialized_removed},
                           {"bytesFreed", r.bytes_freed}};
    Print(options, json, {"BLOBS", "TEMP FILES", "MATERIALIZED", "FREED"},
          {{std::to_string(r.blobs_removed), std::to_string(r.temp_files_removed),
            std::to_string(r.materialized_removed), HumanBytes(r.bytes_freed)}});
  });
}

}  // namespace skiff::cli
