// SPDX-License-Identifier: Apache-2.0
// hello: the smallest useful skiff accelerator. Its "model" is an affine map
// y = scale * x + offset over an FP32 vector, where scale and offset come from
// a two-line text artifact. It shows every part a real accelerator has: a
// factory validated at creation, a load step that reads the artifact and can
// fail cleanly, a signature, warm-up and scoring.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "skiff/accelerator.h"
#include "skiff/plugin_export.h"

namespace hello {

class AffineModel final : public skiff::LoadedModel {
 public:
  AffineModel(float scale, float offset) : scale_(scale), offset_(offset) {
    signature_.inputs.push_back({"x", skiff::DataType::kFp32, {-1}});
    signature_.outputs.push_back({"y", skiff::DataType::kFp32, {-1}});
  }

  const skiff::Signature& signature() const override { return signature_; }

  skiff::Status Warmup() override { return skiff::OkStatus(); }

  skiff::StatusOr<std::vector<skiff::Tensor>> Score(
      const std::vector<skiff::Tensor>& inputs) override {
    if (inputs.size() != 1 || inputs[0].dtype != skiff::DataType::kFp32) {
      return skiff::InvalidArgument("hello expects one FP32 input 'x'");
    }
    skiff::Tensor y{"y", skiff::DataType::kFp32, inputs[0].shape, inputs[0].data};
    auto* v = reinterpret_cast<float*>(y.data.data());
    for (size_t i = 0; i < y.data.size() / sizeof(float); ++i) v[i] = scale_ * v[i] + offset_;
    return std::vector<skiff::Tensor>{std::move(y)};
  }

 private:
  float scale_;
  float offset_;
  skiff::Signature signature_;
};

class HelloAccelerator final : public skiff::Accelerator {
 public:
  skiff::StatusOr<std::unique_ptr<skiff::LoadedModel>> Load(
      const skiff::ModelLoadOptions& options) override {
    std::ifstream in(options.artifact_path);
    float scale = 0, offset = 0;
    if (!(in >> scale >> offset)) {
      return skiff::InvalidArgument("hello: artifact '" + options.artifact_path +
                                    "' must hold two numbers: scale and offset");
    }
    return std::unique_ptr<skiff::LoadedModel>(new AffineModel(scale, offset));
  }
};

skiff::StatusOr<std::unique_ptr<skiff::Accelerator>> Make(const std::string& /*options_json*/) {
  return std::unique_ptr<skiff::Accelerator>(new HelloAccelerator());
}

}  // namespace hello

SKIFF_DEFINE_PLUGIN(skiff::Accelerator, "hello", "1.0.0", "affine map y = scale*x + offset",
                    hello::Make)
