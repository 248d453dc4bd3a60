// SPDX-License-Identifier: Apache-2.0
// Fault: the disk fills while `skiff model register` writes the artifact,
// simulated with RLIMIT_FSIZE on the CLI process (docs/reliability.md). The
// command fails with a clear one-line error and the workspace keeps its
// previous state: the same models, every blob intact, no temp file left.
#include <sys/resource.h>
#include <unistd.h>

#include "cli_harness.h"
#include "sha256_hex.h"

namespace {

using skiff::testing::Result;
using skiff::testing::Slurp;
using skiff::testing::Spit;
namespace fs = std::filesystem;

class FaultDiskFull : public skiff::testing::CliFixture {
 protected:
  // Runs the CLI with its file-size limit at `max_file_bytes`.
  Result SkiffLimited(rlim_t max_file_bytes, const std::vector<std::string>& args) {
    const std::string out = Path("limited.out"), err = Path("limited.err");
    std::vector<std::string> argv_s = {skiff::testing::SkiffBinary(), "-w", Path("ws")};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    const pid_t pid = ::fork();
    if (pid == 0) {
      rlimit limit{max_file_bytes, max_file_bytes};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(125);
      if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr)) {
        ::_exit(126);
      }
      std::vector<char*> argv;
      for (auto& a : argv_s) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    Result r;
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = Slurp(out);
    r.err = Slurp(err);
    return r;
  }

  std::vector<std::string> BlobFiles() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(Path("ws/artifacts/sha256"))) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
};

TEST_F(FaultDiskFull, RegisterPastTheFileSizeLimitFailsClearlyAndKeepsThePreviousState) {
  const std::string small(1000, 's');
  Spit(Path("small.bin"), small);
  ASSERT_EQ(Skiff({"model", "register", "-n", "m", "-p", Path("small.bin")}).rc, 0);
  const auto before_models = Json({"model", "list", "-o", "json"});
  const auto before_blobs = BlobFiles();

  std::string big(4 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + (i >> 12));
  Spit(Path("big.bin"), big);
  Result r = SkiffLimited(1 << 20, {"model", "register", "-n", "m", "-p", Path("big.bin")});
  ExpectOneLineError(r, "File too large");
  EXPECT_NE(r.err.find("free space"), std::string::npos) << r.err;

  // The previous state, untouched: same rows, same blobs, no temp file.
  EXPECT_EQ(Json({"model", "list", "-o", "json"}), before_models);
  EXPECT_EQ(BlobFiles(), before_blobs);
  ASSERT_EQ(Skiff({"model", "download", "-m", "m:1", "-t", Path("dl")}).rc, 0);
  EXPECT_EQ(Slurp(Path("dl/small.bin")), small);

  // With room again, the same command succeeds as the next version.
  auto v2 = Json({"model", "register", "-n", "m", "-p", Path("big.bin"), "-o", "json"});
  EXPECT_EQ(v2["version"], 2);
  EXPECT_EQ(v2["sha256"], skiff::testing::Sha256Hex(big));
}

TEST_F(FaultDiskFull, FolderRegisterPastTheFileSizeLimitLeavesNoRowAndNoTempFile) {
  Spit(Path("small.bin"), "x");
  ASSERT_EQ(Skiff({"model", "register", "-n", "m", "-p", Path("small.bin")}).rc, 0);
  const auto before_blobs = BlobFiles();
  Spit(Path("folder/a.bin"), std::string(1000, 'a'));
  Spit(Path("folder/b.bin"), std::string(2 << 20, 'b'));
  Result r = SkiffLimited(1 << 20, {"model", "register", "-n", "f", "-p", Path("folder")});
  ExpectOneLineError(r, "File too large");
  EXPECT_EQ(Skiff({"model", "show", "-m", "f:1"}).rc, 3);  // not found (az: 3)
  // a.bin's blob may be kept (complete, content-addressed, unreferenced:
  // `skiff model gc` takes it); nothing partial or temporary is.
  for (const auto& name : BlobFiles()) {
    EXPECT_NE(name.rfind(".tmp-", 0), 0u) << name;
    EXPECT_EQ(skiff::testing::Sha256Hex(Slurp(Path("ws/artifacts/sha256/" + name))), name);
  }
  EXPECT_GE(BlobFiles().size(), before_blobs.size());
}

}  // namespace
