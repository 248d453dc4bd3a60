// SPDX-License-Identifier: Apache-2.0
// Writes a TorchScript model with the quickstart MLP's signature (input
// [-1, 4] -> output [-1, 3]) that answers like a healthy model for ordinary
// rows and fails (the server answers 502) when a row's first feature is
// above 5 (it then narrows past the input's width, which torch refuses:
// C++-defined TorchScript cannot name Python's exceptions). rollout_test.cc deploys it as the
// candidate and turns its failure on half-way by what it sends: a real model failing inside the
// real server.
#include <torch/script.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_flaky_model OUT.pt\n";
    return 2;
  }
  torch::jit::Module module("FlakyModel");
  module.define(R"(
def forward(self, input):
    broken = int((input[:, 0] > 5.0).sum())
    return torch.narrow(input, 1, 0, 3 + 10 * broken).contiguous()
)");
  module.save(argv[1]);
  return 0;
}
