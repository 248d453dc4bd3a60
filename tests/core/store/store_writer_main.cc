// SPDX-License-Identifier: Apache-2.0
// store_writer WORKSPACE SCRATCH SEED: registers models (alternating files
// and small folders of random content) and creates compute targets in a loop,
// printing "ACK <name>:<version> <sha256>" / "ACKCT <name>" after each call
// returns OK. Killed at random points by store_crash_test.cc.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "skiff/store/workspace_store.h"
#include "test_util.h"

using skiff::store::testing::WriteFile;

namespace {

void Ack(const std::string& line) {
  // One write() below PIPE_BUF: the parent never sees half a line.
  std::string out = line + "\n";
  if (::write(STDOUT_FILENO, out.data(), out.size()) < 0) std::_Exit(3);
}

std::string RandomBytes(std::mt19937_64& rng, size_t max) {
  std::string bytes(1 + rng() % max, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: store_writer WORKSPACE SCRATCH SEED\n");
    return 2;
  }
  const std::string scratch = argv[2];
  const unsigned long seed = std::strtoul(argv[3], nullptr, 10);
  std::mt19937_64 rng(seed);
  auto store = skiff::store::WorkspaceStore::Open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  std::string last;  // reused now and then so dedupe is exercised
  for (int i = 0; i < 1000; ++i) {
    skiff::store::RegisterModelRequest request;
    request.name = "m" + std::to_string(rng() % 4);
    request.tags["iteration"] = std::to_string(i);
    const std::string src = scratch + "/" + std::to_string(seed) + "-" + std::to_string(i);
    switch (i % 3) {
      case 0: {
        if (last.empty() || rng() % 4 != 0) last = RandomBytes(rng, 32 * 1024);
        WriteFile(src, last);
        request.path = src;
        break;
      }
      case 1: {
        int files = 1 + static_cast<int>(rng() % 3);
        for (int f = 0; f < files; ++f) {
          WriteFile(src + "/sub" + std::to_string(f % 2) + "/f" + std::to_string(f),
                    RandomBytes(rng, 4096));
        }
        request.path = src;
        break;
      }
      default: {
        skiff::store::ComputeTargetRecord target;
        target.name = "ct-" + std::to_string(seed) + "-" + std::to_string(i);
        target.type = "local";
        target.config_json = R"({"i":)" + std::to_string(i) + "}";
        target.state = "Succeeded";
        skiff::Status s = (*store)->CreateComputeTarget(target);
        if (!s.ok()) {
          std::fprintf(stderr, "%s\n", s.ToString().c_str());
          return 1;
        }
        Ack("ACKCT " + target.name);
        continue;
      }
    }
    auto record = (*store)->RegisterModel(request);
    if (!record.ok()) {
      std::fprintf(stderr, "%s\n", record.status().ToString().c_str());
      return 1;
    }
    Ack("ACK " + record->id() + " " + record->sha256);
  }
  return 0;
}
