// SPDX-License-Identifier: Apache-2.0
// The memory baseline for a model server: a bare process that loads libtorch
// and one TorchScript model, runs one forward() on one thread, and prints its
// peak resident set (VmHWM from /proc/self/status). bench/run.sh compares
// skiff-server's peak RSS with this.
//
//   skiff_bench_bare_libtorch MODEL.pt DIM [DIM...]     e.g. mlp.pt 1 4
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: skiff_bench_bare_libtorch MODEL.pt DIM [DIM...]\n");
    return 2;
  }
  at::set_num_threads(1);
  at::set_num_interop_threads(1);
  std::vector<int64_t> shape;
  for (int i = 2; i < argc; ++i) shape.push_back(std::atoll(argv[i]));
  torch::jit::Module module = torch::jit::load(argv[1]);
  module.eval();
  {
    c10::InferenceMode guard;
    torch::Tensor out = module.forward({torch::zeros(shape)}).toTensor();
    std::printf("output_elements %lld\n", static_cast<long long>(out.numel()));
  }
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0 || line.rfind("VmRSS:", 0) == 0) {
      std::printf("%s\n", line.c_str());
    }
  }
  return 0;
}
