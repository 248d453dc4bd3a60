// SPDX-License-Identifier: Apache-2.0
// The host reference of the mlp_dense kernel (reference_mlp.h) against the
// same MLP in libtorch: the bundled mlp.pt (Linear 4->16, ReLU, Linear 16->3)
// and a deeper torch::nn::Linear stack built here.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include "reference_mlp.h"

namespace skiff::accel_fpga {
namespace {

std::vector<float> ToVector(const at::Tensor& t) {
  const at::Tensor c = t.contiguous().to(at::kFloat);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

void ExpectClose(const std::vector<float>& got, const at::Tensor& want) {
  const std::vector<float> w = ToVector(want);
  ASSERT_EQ(got.size(), w.size());
  for (size_t i = 0; i < w.size(); ++i)
    EXPECT_NEAR(got[i], w[i], 1e-5f + 1e-5f * std::abs(w[i])) << i;
}

TEST(ReferenceMlpVsTorch, MatchesTheBundledMlpFixture) {
  torch::jit::Module module = torch::jit::load(std::string(SKIFF_TEST_FIXTURE_DIR) + "/mlp.pt");
  module.eval();
  std::map<std::string, at::Tensor> params;
  for (const auto& p : module.named_parameters()) params[p.name] = p.value;
  ASSERT_EQ(params.count("fc1.weight"), 1u);
  FpgaArtifact a;
  a.layers = {{4, 16, true}, {16, 3, false}};
  a.weights = {ToVector(params["fc1.weight"]), ToVector(params["fc2.weight"])};
  a.biases = {ToVector(params["fc1.bias"]), ToVector(params["fc2.bias"])};

  torch::manual_seed(7);
  const at::Tensor x = torch::randn({9, 4});
  torch::NoGradGuard no_grad;
  const at::Tensor want = module.forward({x}).toTensor();
  ExpectClose(ReferenceMlp(a, ToVector(x), 9), want);
}

TEST(ReferenceMlpVsTorch, MatchesADeeperLinearStack) {
  torch::manual_seed(11);
  torch::nn::Linear l1(12, 32), l2(32, 20), l3(20, 5);
  FpgaArtifact a;
  a.layers = {{12, 32, true}, {32, 20, true}, {20, 5, false}};
  for (torch::nn::Linear* l : {&l1, &l2, &l3}) {
    a.weights.push_back(ToVector((*l)->weight.detach()));
    a.biases.push_back(ToVector((*l)->bias.detach()));
  }
  const at::Tensor x = torch::randn({33, 12});
  torch::NoGradGuard no_grad;
  const at::Tensor want = l3(torch::relu(l2(torch::relu(l1(x)))));
  ExpectClose(ReferenceMlp(a, ToVector(x), 33), want);
}

TEST(ReferenceMlpVsTorch, ReluClampsOnlyNegatives) {
  const float in[2] = {1.0f, -1.0f}, w[2] = {2.0f, 1.0f}, b[1] = {-0.5f};
  float out[2];
  ReferenceDense(in, w, b, out, 1, 2, 1, true);  // 2 - 1 - 0.5 = 0.5
  EXPECT_FLOAT_EQ(out[0], 0.5f);
  const float neg_b[1] = {-5.0f};
  ReferenceDense(in, w, neg_b, out, 1, 2, 1, true);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  ReferenceDense(in, w, neg_b, out, 1, 2, 1, false);
  EXPECT_FLOAT_EQ(out[0], -4.0f);
}

}  // namespace
}  // namespace skiff::accel_fpga
