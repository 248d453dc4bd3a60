// SPDX-License-Identifier: Apache-2.0
// A tiny accelerator plugin for host tests: its model doubles FP32 inputs.
// FAKE_NAME and (optionally) SKIFF_BUILD_FINGERPRINT / FAKE_THROW are set
// per build by the test CMake to make well-behaved and misbehaving variants.
#include <cstring>
#include <stdexcept>

#include "skiff/accelerator.h"
#include "skiff/plugin_export.h"

namespace {

class DoublingModel final : public skiff::LoadedModel {
 public:
  DoublingModel() {
    signature_.inputs.push_back({"x", skiff::DataType::kFp32, {-1}});
    signature_.outputs.push_back({"y", skiff::DataType::kFp32, {-1}});
  }
  const skiff::Signature& signature() const override { return signature_; }
  skiff::Status Warmup() override { return skiff::OkStatus(); }
  skiff::StatusOr<std::vector<skiff::Tensor>> Score(
      const std::vector<skiff::Tensor>& inputs) override {
    if (inputs.size() != 1) return skiff::InvalidArgument("expected one input");
    skiff::Tensor out = inputs[0];
    out.name = "y";
    auto* values = reinterpret_cast<float*>(out.data.data());
    for (size_t i = 0; i < out.data.size() / sizeof(float); ++i) values[i] *= 2.0f;
    return std::vector<skiff::Tensor>{out};
  }

 private:
  skiff::Signature signature_;
};

class FakeAccelerator final : public skiff::Accelerator {
 public:
  skiff::StatusOr<std::unique_ptr<skiff::LoadedModel>> Load(
      const skiff::ModelLoadOptions&) override {
    return std::unique_ptr<skiff::LoadedModel>(new DoublingModel());
  }
};

skiff::StatusOr<std::unique_ptr<skiff::Accelerator>> Make(const std::string& options) {
#ifdef FAKE_THROW
  throw std::runtime_error("boom from the factory");
#endif
  if (options == "refuse") return skiff::InvalidArgument("options say refuse");
  return std::unique_ptr<skiff::Accelerator>(new FakeAccelerator());
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::Accelerator, FAKE_NAME, "0.1.0", "test accelerator", Make)
