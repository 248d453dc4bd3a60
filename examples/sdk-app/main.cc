// SPDX-License-Identifier: Apache-2.0
// A program outside the skiff tree that uses the installed SDK: registers a
// model in a workspace and builds the typed configs Model::deploy takes,
// printing results and errors as they are (operator<<).
//
//   sdk_app WORKSPACE_DIR MODEL_FILE
#include <iostream>

#include "skiff/sdk/inference_config_builder.h"
#include "skiff/sdk/model.h"
#include "skiff/sdk/webservice.h"
#include "skiff/sdk/workspace.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: sdk_app WORKSPACE_DIR MODEL_FILE\n";
    return 2;
  }
  using namespace skiff::sdk;
  auto ws = Workspace::Open(argv[1]);
  if (!ws.ok()) {
    std::cerr << "workspace: " << ws << "\n";
    return 1;
  }
  auto model = Model::register_model(*ws, argv[2], "app-model", "registered by examples/sdk-app");
  if (!model.ok()) {
    std::cerr << "register: " << model << "\n";
    return 1;
  }
  std::cout << "registered " << model->id() << "\n";

  // The typed inference config; a mistake is reported as the file's would be.
  auto bad = InferenceConfigBuilder().input("x", skiff::DataType::kFp32, {1, 4}).build();
  std::cout << "without outputs: " << bad << "\n";
  auto ic = InferenceConfigBuilder()
                .accelerator("torch")
                .input("x", skiff::DataType::kFp32, {-1, 4})
                .output("y", skiff::DataType::kFp32, {-1, 3})
                .batching(8, 1000)
                .build();
  if (!ic.ok()) {
    std::cerr << "inference config: " << ic << "\n";
    return 1;
  }
  std::cout << "inference config: " << skiff::config::ToJson(*ic).dump() << "\n";

  AksWebservice::Params params;
  params.num_replicas = 2;
  params.cpu_cores = 0.5;
  auto dc = AksWebservice::deploy_configuration(params);
  std::cout << "deployment config ok: " << dc.ok() << "\n";
  params.cpu_cores = -1;
  std::cout << "negative cpu: " << AksWebservice::deploy_configuration(params) << "\n";

  // Model::deploy(*ws, "app", {*model}, *ic, *dc, target) deploys these on a
  // compute target (examples/sdk-deploy runs one end to end).
  auto listed = Model::list(*ws, "app-model");
  std::cout << "models named app-model: " << (listed.ok() ? listed->size() : 0) << "\n";
  return 0;
}
