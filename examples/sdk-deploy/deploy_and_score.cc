// SPDX-License-Identifier: Apache-2.0
// Deploy and score a model with the skiff C++ SDK only (mirrors the Azure ML
// Python SDK: Workspace, Model.register, LocalCompute, Model.deploy,
// wait_for_deployment, run, get_keys, delete).
//
//   deploy_and_score WORKSPACE_DIR MODEL.pt INFERENCECONFIG.json
#include <iostream>

#include "skiff/sdk/compute_target.h"
#include "skiff/sdk/model.h"
#include "skiff/sdk/webservice.h"
#include "skiff/sdk/workspace.h"

namespace {

template <typename T>
T Check(skiff::StatusOr<T> result, const char* what) {
  if (!result.ok()) {
    std::cerr << what << ": " << result << "\n";
    std::exit(1);
  }
  return std::move(result).value();
}

void Check(const skiff::Status& status, const char* what) {
  if (!status.ok()) {
    std::cerr << what << ": " << status << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: deploy_and_score WORKSPACE_DIR MODEL.pt INFERENCECONFIG.json\n";
    return 2;
  }
  using namespace skiff::sdk;
  Workspace ws = Check(Workspace::Open(argv[1]), "workspace");
  Model model = Check(Model::register_model(ws, argv[2], "sdk-example-mlp", "from the SDK example"),
                      "register");
  std::cout << "registered " << model.id() << "\n";

  auto target = ComputeTarget::get(ws, "local");
  if (!target.ok()) target = LocalCompute::create(ws, "local");
  ComputeTarget local = Check(std::move(target), "compute target");

  AksWebservice::Params params;
  params.num_replicas = 1;
  params.auth_enabled = true;
  params.description = "deployed by examples/sdk-deploy";
  skiff::config::DeploymentConfig dc = Check(AksWebservice::deploy_configuration(params),
                                             "deploy_configuration");
  skiff::config::InferenceConfig ic =
      Check(skiff::config::ParseInferenceConfigFile(argv[3]), "inference config");

  Webservice service =
      Check(Model::deploy(ws, "sdk-example", {model}, ic, dc, local, /*overwrite=*/true), "deploy");
  auto status = Check(service.wait_for_deployment(std::chrono::seconds(300),
                                                  [](skiff::ServiceState s, auto elapsed) {
                                                    std::cout << "  " << elapsed.count() << " ms "
                                                              << skiff::ServiceStateName(s) << "\n";
                                                  }),
                      "wait_for_deployment");
  if (status.state != skiff::ServiceState::kHealthy) {
    std::cerr << "deployment failed: " << status.error << "\n";
    return 1;
  }
  service = Check(Webservice::get(ws, "sdk-example"), "get");
  std::cout << "scoring uri: " << service.scoring_uri() << "\n";
  auto keys = Check(service.get_keys(), "get_keys");
  std::cout << "primary key: " << keys.first.substr(0, 6) << "...\n";
  std::string result = Check(service.run(R"({"data": [[0.1, 0.2, 0.3, 0.4]]})"), "run");
  std::cout << "result: " << result << "\n";
  Check(service.delete_service(), "delete");
  std::cout << "deleted\n";
  return result.find("\"result\"") != std::string::npos ? 0 : 1;
}
