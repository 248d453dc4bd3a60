// SPDX-License-Identifier: Apache-2.0
// "fuzzmodel": the accelerator the http_routing fuzz target serves. Every
// output of the signature is the first input's bytes (resized to the
// output's shape): quick, deterministic and never failing, so any 5xx other
// than 503/504 the target sees is the data plane's doing.
#include <cstring>

#include "skiff/accelerator.h"
#include "skiff/plugin_export.h"

namespace {

class FuzzModel final : public skiff::LoadedModel {
 public:
  explicit FuzzModel(skiff::Signature sig) : sig_(std::move(sig)) {}
  const skiff::Signature& signature() const override { return sig_; }
  skiff::Status Warmup() override { return skiff::OkStatus(); }
  skiff::StatusOr<std::vector<skiff::Tensor>> Score(
      const std::vector<skiff::Tensor>& inputs) override {
    std::vector<skiff::Tensor> out;
    for (const auto& spec : sig_.outputs) {
      skiff::Tensor t{spec.name, inputs.at(0).dtype, inputs.at(0).shape, inputs.at(0).data};
      out.push_back(std::move(t));
    }
    return out;
  }

 private:
  skiff::Signature sig_;
};

class FuzzAccelerator final : public skiff::Accelerator {
 public:
  skiff::StatusOr<std::unique_ptr<skiff::LoadedModel>> Load(
      const skiff::ModelLoadOptions& options) override {
    return std::unique_ptr<skiff::LoadedModel>(new FuzzModel(options.signature));
  }
};

skiff::StatusOr<std::unique_ptr<skiff::Accelerator>> Make(const std::string&) {
  return std::unique_ptr<skiff::Accelerator>(new FuzzAccelerator());
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::Accelerator, "fuzzmodel", "0.1.0", "http_routing fuzz model", Make)
