// SPDX-License-Identifier: Apache-2.0
// Test harness for the `skiff` CLI: runs the built binary against a temp
// workspace and captures exit code, stdout and stderr.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace skiff::testing {


namespace fs = std::filesystem;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// $SKIFF_BINARY_DIR/bin/skiff, else the path CMake compiled in.
std::string SkiffBinary() {
  const char* dir = std::getenv("SKIFF_BINARY_DIR");
  if (dir != nullptr && *dir != '\0') return std::string(dir) + "/bin/skiff";
  return SKIFF_CLI;
}

std::string Quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Result {
  int rc = -1;
  std::string out, err;
};

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-cli-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result Skiff(const std::vector<std::string>& args) {
    std::string cmd = env_prefix_ + Quote(SkiffBinary()) + " -w " + Quote(dir_ + "/ws");
    for (const auto& a : args) cmd += " " + Quote(a);
    cmd += " >" + Quote(dir_ + "/out") + " 2>" + Quote(dir_ + "/err");
    int status = std::system(cmd.c_str());
    Result r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(dir_ + "/out");
    r.err = Slurp(dir_ + "/err");
    return r;
  }
  nlohmann::json Json(const std::vector<std::string>& args) {
    Result r = Skiff(args);
    EXPECT_EQ(r.rc, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  // The failure is one "skiff: error: ..." line naming `needle`.
  void ExpectOneLineError(const Result& r, const std::string& needle) {
    EXPECT_NE(r.rc, 0);
    EXPECT_EQ(r.err.rfind("skiff: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  }
  std::string Path(const std::string& rel) const { return dir_ + "/" + rel; }

  std::string dir_;
  // Prepended to every CLI command line (environment assignments).
  std::string env_prefix_;
};

// A workspace with the MLP fixture registered under each of ModelNames() as
// version 1 and the `local` compute target; every service a test started
// (detached processes) is deleted after it.
class LocalWorkflowFixture : public CliFixture {
 protected:
  virtual std::vector<std::string> ModelNames() const { return {"mlp"}; }
  void SetUp() override {
    CliFixture::SetUp();
    const std::string src = std::getenv("SKIFF_SOURCE_DIR");
    model_ = src + "/tests/fixtures/models/mlp.pt";
    ic_ = src + "/examples/quickstart/inferenceconfig.json";
    for (const std::string& name : ModelNames()) {
      ASSERT_EQ(Skiff({"model", "register", "-n", name, "-p", model_}).rc, 0);
    }
    ASSERT_EQ(Skiff({"computetarget", "create", "local", "-n", "local"}).rc, 0);
  }
  void TearDown() override {
    auto list = Json({"service", "list", "-o", "json"});
    if (list.is_array()) {
      for (const auto& s : list) Skiff({"service", "delete", "-n", s["name"].get<std::string>()});
    }
    CliFixture::TearDown();
  }
  // `dc` written to a fresh file; its path.
  std::string Dc(const nlohmann::json& dc) {
    std::string path = Path("dc-" + std::to_string(dc_count_++) + ".json");
    Spit(path, dc.dump());
    return path;
  }

  std::string model_, ic_;
  int dc_count_ = 0;
};

}  // namespace skiff::testing
