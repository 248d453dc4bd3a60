// SPDX-License-Identifier: Apache-2.0
// Model: a registered model version (mirrors azureml.core.Model).
//
//   auto ws = Workspace::Open("./ws");
//   auto model = Model::register_model(*ws, "model.onnx", "resnet", "ResNet-50",
//                                      {{"stage", "dev"}});
//   auto latest = Model::get(*ws, "resnet");           // Model(ws, name)
//   auto path = latest->download("./out");             // ./out/model.onnx
//
// Threading: a Model is an immutable value plus its Workspace; methods may be
// called concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "skiff/config/deployment_config.h"
#include "skiff/config/inference_config.h"
#include "skiff/sdk/workspace.h"
#include "skiff/status.h"
#include "skiff/store/records.h"

namespace skiff::sdk {

class ComputeTarget;  // skiff/sdk/compute_target.h
class Webservice;     // skiff/sdk/webservice.h

class Model {
 public:
  // Registers the file or folder at `model_path` as name:(latest+1).
  static StatusOr<Model> register_model(const Workspace& ws, const std::string& model_path,
                                        const std::string& model_name,
                                        const std::string& description = "",
                                        const store::StringMap& tags = {},
                                        const store::StringMap& properties = {});
  // azureml's Model.deploy: deploys `models` as service `name` on `target`
  // (defined with Webservice::deploy; include skiff/sdk/webservice.h to use it).
  static StatusOr<Webservice> deploy(const Workspace& ws, const std::string& name,
                                     const std::vector<Model>& models,
                                     const std::string& inference_config_json,
                                     const std::string& deployment_config_json,
                                     const ComputeTarget& target, bool overwrite = false);
  // As above, from typed configs: `inference_config` from
  // InferenceConfigBuilder (skiff/sdk/inference_config_builder.h) or
  // config::ParseInferenceConfigFile, `deployment_config` from
  // AksWebservice::deploy_configuration or config::ParseDeploymentConfigFile.
  // Both are checked by the same rules as the files.
  static StatusOr<Webservice> deploy(const Workspace& ws, const std::string& name,
                                     const std::vector<Model>& models,
                                     const config::InferenceConfig& inference_config,
                                     const config::DeploymentConfig& deployment_config,
                                     const ComputeTarget& target, bool overwrite = false);
  // Every version of every model, or of `name` when non-empty.
  static StatusOr<std::vector<Model>> list(const Workspace& ws, const std::string& name = "");
  // `Model(ws, name, version)` in azureml; version <= 0 means the latest.
  static StatusOr<Model> get(const Workspace& ws, const std::string& name, int64_t version = 0);

  // Writes the model into `target_dir` (created when missing) under the
  // registered file/folder name and returns that path. Refuses to overwrite
  // unless `exist_ok`, in which case an existing copy is replaced.
  StatusOr<std::string> download(const std::string& target_dir = ".", bool exist_ok = false) const;
  // Deletes this version (refused while a service uses it).
  Status delete_model() const;

  const std::string& name() const { return record_.name; }
  int64_t version() const { return record_.version; }
  std::string id() const { return record_.id(); }
  const store::ModelRecord& record() const { return record_; }

 private:
  Model(Workspace ws, store::ModelRecord record) : ws_(std::move(ws)), record_(std::move(record)) {}
  Workspace ws_;
  store::ModelRecord record_;
};

}  // namespace skiff::sdk
