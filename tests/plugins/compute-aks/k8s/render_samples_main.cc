// SPDX-License-Identifier: Apache-2.0
// skiff_k8s_render_samples <out-dir>: renders every sample (sample_specs.h)
// to <out-dir>/<sample>.json (an array of objects) and <sample>.yaml.
#include <fstream>
#include <iostream>

#include "k8s/render.h"
#include "k8s/yaml_emitter.h"
#include "registry_pull_secret.h"
#include "sample_specs.h"

int main(int argc, char** argv) {
  using namespace skiff::compute_aks::k8s;
  if (argc != 2) {
    std::cerr << "usage: skiff_k8s_render_samples <out-dir>\n";
    return 2;
  }
  const std::string dir = argv[1];
  auto samples = testing::SampleInputs();
  for (auto& tls : testing::TlsSampleInputs()) samples.push_back(std::move(tls));
  for (auto& grpc : testing::GrpcSampleInputs()) samples.push_back(std::move(grpc));
  for (const auto& sample : samples) {
    auto objects = RenderService(sample.input);
    if (!objects.ok()) {
      std::cerr << sample.name << ": " << objects.status().ToString() << "\n";
      return 1;
    }
    if (!sample.pull_secret.empty()) {
      skiff::compute_aks::AddPullSecret(sample.input.spec.name, sample.pull_secret,
                                        /*redact=*/false, &*objects);
    }
    std::ofstream(dir + "/" + sample.name + ".json") << nlohmann::json(*objects).dump(2) << "\n";
    std::ofstream(dir + "/" + sample.name + ".yaml") << ToYaml(*objects);
    std::cout << sample.name << ": " << objects->size() << " objects\n";
  }
  return 0;
}
