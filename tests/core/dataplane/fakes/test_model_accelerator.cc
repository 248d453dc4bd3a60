// SPDX-License-Identifier: Apache-2.0
// "testmodel": an accelerator whose model the data-plane tests steer with
// the first input value: -1 -> the model fails ("model exploded"), -2 -> it
// takes 500 ms (a slow model, for scoringTimeoutMs), -3 -> Score() throws
// (a misbehaving plugin), -4 -> the process aborts (a plugin that crashes),
// -5 -> it fails naming its artifact's path and a source file (as libtorch
// errors do), otherwise y = 2 * x.
// Signature: input "x" FP32 [-1, 4] -> output "y" FP32 [-1, 4].
// An artifact file may hold settings, one `key=value` a line (the shadow
// traffic tests give two versions different answers and a slow one):
// `scale=F` answers y = F * x instead of 2 * x; `gate=PATH` makes each
// request wait until PATH exists (at most 60 s); `gate_first=V` limits that
// to requests whose first value is V (quick ones first, then one that
// hangs); `fail=1` fails every request ("model exploded").
// Two more models for the OIP tests (oip_binary_test.cc): one whose only
// output is "output0" answers the OIP spec examples' FP32 [3, 2]
// (1.0, 1.1, 2.0, 2.1, 3.0, 3.1); one whose first input is not FP32 echoes
// input i as output i (every datatype end to end).
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <thread>

#include "skiff/accelerator.h"
#include "skiff/plugin_export.h"

namespace {

class TestModel final : public skiff::LoadedModel {
 public:
  TestModel(skiff::Signature sig, std::string artifact)
      : sig_(std::move(sig)), artifact_(std::move(artifact)) {
    // Settings files are a few lines; a real artifact (or a folder) is not read.
    struct stat st {};
    if (::stat(artifact_.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 4096) return;
    std::ifstream in(artifact_);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("scale=", 0) == 0) scale_ = std::strtof(line.c_str() + 6, nullptr);
      if (line.rfind("gate=", 0) == 0) gate_ = line.substr(5);
      if (line.rfind("gate_first=", 0) == 0) {
        gate_first_ = std::strtof(line.c_str() + 11, nullptr);
        gate_first_set_ = true;
      }
      if (line == "fail=1") fail_ = true;
    }
  }
  const skiff::Signature& signature() const override { return sig_; }
  // The metadata's `platform` comes from here (issue 20.4).
  std::string platform() const override { return "skiff_testmodel"; }
  skiff::Status Warmup() override { return skiff::OkStatus(); }
  skiff::StatusOr<std::vector<skiff::Tensor>> Score(
      const std::vector<skiff::Tensor>& inputs) override {
    if (sig_.outputs.size() == 1 && sig_.outputs[0].name == "output0") {
      const float spec[] = {1.0f, 1.1f, 2.0f, 2.1f, 3.0f, 3.1f};
      skiff::Tensor out{
          "output0", skiff::DataType::kFp32, {3, 2}, std::vector<uint8_t>(sizeof spec)};
      std::memcpy(out.data.data(), spec, sizeof spec);
      return std::vector<skiff::Tensor>{std::move(out)};
    }
    if (!inputs.empty() && inputs[0].dtype != skiff::DataType::kFp32) {
      std::vector<skiff::Tensor> echo;
      for (size_t i = 0; i < sig_.outputs.size() && i < inputs.size(); ++i) {
        echo.push_back({sig_.outputs[i].name, inputs[i].dtype, inputs[i].shape, inputs[i].data});
      }
      return echo;
    }
    const auto& x = inputs.at(0);
    std::vector<float> v(x.data.size() / 4);
    std::memcpy(v.data(), x.data.data(), x.data.size());
    if (!v.empty() && v[0] == -1.0f) return skiff::Internal("model exploded");
    if (!v.empty() && v[0] == -2.0f) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (!v.empty() && v[0] == -3.0f) throw std::runtime_error("plugin threw on purpose");
    if (!v.empty() && v[0] == -4.0f) std::abort();
    if (!v.empty() && v[0] == -5.0f) {
      return skiff::Internal("model '" + artifact_ +
                             "' failed (raised from /work/skiff/plugins/accel-gpu/torch_model.cc:140)");
    }
    if (fail_) return skiff::Internal("model exploded");
    if (!gate_.empty() && (!gate_first_set_ || (!v.empty() && v[0] == gate_first_))) {
      struct stat st {};
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (::stat(gate_.c_str(), &st) != 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    for (float& f : v) f *= scale_;
    skiff::Tensor y{"y", skiff::DataType::kFp32, x.shape, std::vector<uint8_t>(x.data.size())};
    std::memcpy(y.data.data(), v.data(), y.data.size());
    return std::vector<skiff::Tensor>{std::move(y)};
  }

 private:
  skiff::Signature sig_;
  std::string artifact_;
  float scale_ = 2.0f;
  std::string gate_;
  float gate_first_ = 0;
  bool gate_first_set_ = false;
  bool fail_ = false;
};

class TestAccelerator final : public skiff::Accelerator {
 public:
  skiff::StatusOr<std::unique_ptr<skiff::LoadedModel>> Load(
      const skiff::ModelLoadOptions& options) override {
    return std::unique_ptr<skiff::LoadedModel>(new TestModel(options.signature, options.artifact_path));
  }
};

skiff::StatusOr<std::unique_ptr<skiff::Accelerator>> Make(const std::string&) {
  return std::unique_ptr<skiff::Accelerator>(new TestAccelerator());
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::Accelerator, "testmodel", "0.1.0", "data-plane test model", Make)
