// SPDX-License-Identifier: Apache-2.0
// Issue 16, items 7, 9 and 10 (docs/reliability.md "Issue 16: hardening"),
// through the real CLI on the local target:
//  7. a key rotation is atomic: when it fails (a roll that cannot happen, a
//     full disk) get-keys and the running service both keep the previous
//     keys; when it succeeds both have the new ones;
//  9. --set-key takes @FILE or - (stdin), refuses a literal key and a key
//     with whitespace or control characters, and no key reaches the command
//     line (or environment) of a process skiff spawns;
// 10. regen-signing-key revokes earlier tokens (at once, or after a grace
//     period), and a token for a deleted service is refused by a redeployed
//     service of the same name.
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "cli_harness.h"
#include "http_client.h"
#include "scoring_uri.h"

namespace {

using json = nlohmann::json;
using skiff::testing::HttpClient;
using skiff::testing::Result;
using skiff::testing::Slurp;
using skiff::testing::Spit;
namespace fs = std::filesystem;

const char* kScore = R"({"data": [[0.1, 0.2, 0.3, 0.4]]})";

using skiff::testing::Bearer;
using skiff::testing::ParseUri;
using skiff::testing::Uri;

// Files under `dir` whose name marks an unfinished atomic write.
int TempFilesUnder(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().filename().string().find(".tmp.") != std::string::npos) ++n;
  }
  return n;
}

class KeysAndTokens : public skiff::testing::CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    BeforeWorkspace();
    if (HasFatalFailure() || IsSkipped()) return;
    const std::string src = std::getenv("SKIFF_SOURCE_DIR");
    ic_ = src + "/examples/quickstart/inferenceconfig.json";
    ASSERT_EQ(
        Skiff({"model", "register", "-n", "mlp", "-p", src + "/tests/fixtures/models/mlp.pt"}).rc,
        0);
    ASSERT_EQ(Skiff({"computetarget", "create", "local", "-n", "local"}).rc, 0);
  }
  void TearDown() override {
    auto list = Json({"service", "list", "-o", "json"});
    if (list.is_array()) {
      for (const auto& s : list) Skiff({"service", "delete", "-n", s["name"].get<std::string>()});
    }
    AfterServices();
    CliFixture::TearDown();
  }
  virtual void BeforeWorkspace() {}
  virtual void AfterServices() {}

  Uri Deploy(const std::string& name, const json& dc = json::object()) {
    const std::string path = Path("dc-" + name + ".json");
    Spit(path, dc.dump());
    Result r = Skiff({"model", "deploy", "-n", name, "-m", "mlp:1", "-ct", "local", "-ic", ic_,
                      "-dc", path, "-o", "json"});
    EXPECT_EQ(r.rc, 0) << r.err;
    json shown = json::parse(r.out, nullptr, false);
    if (!shown.is_object() || !shown.contains("scoringUri")) return {};
    return ParseUri(shown["scoringUri"]);
  }
  std::pair<std::string, std::string> Keys(const std::string& name) {
    json k = Json({"service", "get-keys", "-n", name, "-o", "json"});
    if (!k.is_object()) return {};
    return {k["primaryKey"], k["secondaryKey"]};
  }
  std::string Token(const std::string& name) {
    json t = Json({"service", "get-access-token", "-n", name, "-o", "json"});
    return t.is_object() ? t["accessToken"].get<std::string>() : "";
  }
  int Score(const Uri& u, const std::string& credential) {
    HttpClient c(u.port);
    return c.Post(u.path, kScore, Bearer(credential)).status;
  }
  // The CLI with its standard input read from `stdin_path`.
  Result SkiffWithStdin(const std::vector<std::string>& args, const std::string& stdin_path) {
    std::string cmd = skiff::testing::Quote(skiff::testing::SkiffBinary()) + " -w " +
                      skiff::testing::Quote(Path("ws"));
    for (const auto& a : args) cmd += " " + skiff::testing::Quote(a);
    cmd += " <" + skiff::testing::Quote(stdin_path) + " >" + skiff::testing::Quote(Path("out")) +
           " 2>" + skiff::testing::Quote(Path("err"));
    const int status = std::system(cmd.c_str());
    Result r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(Path("out"));
    r.err = Slurp(Path("err"));
    return r;
  }
  // Makes every model artifact fail its hash check (the running server has
  // loaded its model already and keeps serving), so the next roll fails
  // before it reaches the server. Returns a function that undoes it.
  std::function<void()> TamperArtifacts() {
    std::vector<std::pair<std::string, std::string>> originals;
    for (const auto& e : fs::directory_iterator(Path("ws/artifacts/sha256"))) {
      if (!e.is_regular_file()) continue;
      originals.emplace_back(e.path().string(), Slurp(e.path().string()));
      std::ofstream(e.path(), std::ios::app | std::ios::binary) << "tampered";
    }
    return [originals] {
      for (const auto& [path, bytes] : originals) {
        std::ofstream(path, std::ios::trunc | std::ios::binary) << bytes;
      }
    };
  }

  std::string ic_;
};

// ---- 7. key rotation is atomic ---------------------------------------------

TEST_F(KeysAndTokens, RegenKeyThatCannotRollChangesNeitherTheKeysNorTheService) {
  const Uri u = Deploy("svc");
  const auto before = Keys("svc");
  ASSERT_EQ(Score(u, before.first), 200);

  auto restore = TamperArtifacts();
  Result r = Skiff({"service", "regen-key", "-n", "svc", "--key", "Primary"});
  ExpectOneLineError(r, "the keys are unchanged");
  // Before the fix the keys file already held a new primary the service refused.
  EXPECT_EQ(Keys("svc"), before);
  EXPECT_EQ(Score(u, before.first), 200);
  EXPECT_EQ(Score(u, before.second), 200);
  EXPECT_EQ(TempFilesUnder(Path("ws/keys")), 0);
  // The same for keys set through `service update --dc`.
  Spit(Path("dc-keys.json"),
       json({{"keys", {{"primaryKey", "set-by-update-0123456789abcdefghijk"}}}}).dump());
  EXPECT_NE(Skiff({"service", "update", "-n", "svc", "--dc", Path("dc-keys.json")}).rc, 0);
  EXPECT_EQ(Keys("svc"), before);
  EXPECT_EQ(Score(u, before.first), 200);

  restore();
  json regen = Json({"service", "regen-key", "-n", "svc", "--key", "Primary", "-o", "json"});
  ASSERT_TRUE(regen.is_object());
  EXPECT_NE(regen["primaryKey"], before.first);
  EXPECT_EQ(Keys("svc").first, regen["primaryKey"]);
  EXPECT_EQ(Score(u, regen["primaryKey"]), 200);
  EXPECT_EQ(Score(u, before.first), 401);
  EXPECT_EQ(Score(u, before.second), 200);
}

// The workspace on a small tmpfs (scripts/fault-enospc's setting; needs root
// for the mount, skipped otherwise): regen-key with 0, 1, 2, ... pages of
// free space. Whatever write the disk refuses, either both get-keys and the
// service change, or neither does.
class KeysOnAFullDisk : public KeysAndTokens {
 protected:
  void BeforeWorkspace() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs (scripts/fault-enospc)";
    fs::create_directories(Path("ws"));
    if (::mount("tmpfs", Path("ws").c_str(), "tmpfs", 0, "size=16m,mode=0700") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void AfterServices() override {
    if (mounted_) ::umount2(Path("ws").c_str(), MNT_DETACH);
  }
  // Fills the file system, then frees `pages` pages of the filler.
  void FillLeaving(int pages) {
    const std::string filler = Path("ws/filler");
    {
      std::ofstream out(filler, std::ios::app | std::ios::binary);
      const std::string block(4096, 'f');
      while (out.write(block.data(), block.size()) && out.flush()) {
      }
    }
    const auto size = fs::file_size(filler);
    const auto keep = size > uintmax_t(pages) * 4096 ? size - uintmax_t(pages) * 4096 : 0;
    ASSERT_EQ(::truncate(filler.c_str(), static_cast<off_t>(keep)), 0);
  }
  bool mounted_ = false;
};

TEST_F(KeysOnAFullDisk, RegenKeyChangesBothOrNeither) {
  const Uri u = Deploy("svc");
  auto current = Keys("svc");
  ASSERT_EQ(Score(u, current.first), 200);
  int failed = 0, succeeded = 0;
  for (int pages : {0, 1, 2, 3, 4, 5, 6, 8, 12, 16, 32, 64, 256}) {
    FillLeaving(pages);
    Result r = Skiff({"service", "regen-key", "-n", "svc", "--key", "Primary"});
    // What regen-key left, read with room again (reading the store writes).
    fs::remove(Path("ws/filler"));
    const auto shown = Keys("svc");
    const std::string where = "with " + std::to_string(pages) + " free pages: " + r.err;
    if (r.rc == 0) {
      ++succeeded;
      EXPECT_NE(shown.first, current.first) << where;
      EXPECT_EQ(Score(u, shown.first), 200) << where;
      EXPECT_EQ(Score(u, current.first), 401) << where;
    } else {
      ++failed;
      EXPECT_EQ(shown, current) << where;
      EXPECT_EQ(Score(u, current.first), 200) << where;
    }
    EXPECT_EQ(Score(u, shown.second), 200) << where;
    EXPECT_EQ(TempFilesUnder(Path("ws/keys")), 0) << where;
    current = shown;
  }
  EXPECT_GT(failed, 0) << "the disk never refused a write: the test tests nothing";
  EXPECT_GT(succeeded, 0) << "with room, regen-key must work";
}

// ---- 9. secrets never on a command line -----------------------------------

TEST_F(KeysAndTokens, SetKeyReadsAFileOrStdinAndRefusesLiteralsAndBadCharacters) {
  const std::string given = "given-primary-key-0123456789abcdefghijkl";
  const Uri u = Deploy("svc", {{"keys", {{"primaryKey", given}}}});
  ASSERT_EQ(Keys("svc").first, given);

  // No key on the command line or in the environment of anything running:
  // not the CLI's children (skiff-supervisor, skiff-server), not anything.
  const auto before = Keys("svc");
  int ours = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = Slurp("/proc/" + pid + "/cmdline");
    const std::string environ = Slurp("/proc/" + pid + "/environ");
    for (const std::string& key : {before.first, before.second}) {
      EXPECT_EQ(cmdline.find(key), std::string::npos) << "pid " << pid << " argv holds a key";
      EXPECT_EQ(environ.find(key), std::string::npos) << "pid " << pid << " environ holds a key";
    }
    if (cmdline.find(Path("ws")) != std::string::npos) ++ours;
  }
  EXPECT_GE(ours, 2) << "the supervisor and the server should have been checked";

  // @FILE (one trailing newline, as `echo` writes, is dropped).
  const std::string from_file = "from-a-file-0123456789abcdefghijklmnopq";
  Spit(Path("key.txt"), from_file + "\n");
  json r1 = Json({"service", "regen-key", "-n", "svc", "--key", "Primary", "--set-key",
                  "@" + Path("key.txt"), "-o", "json"});
  ASSERT_TRUE(r1.is_object());
  EXPECT_EQ(r1["primaryKey"], from_file);
  EXPECT_EQ(Score(u, from_file), 200);

  // - (standard input).
  const std::string from_stdin = "from-stdin-0123456789abcdefghijklmnopqrs";
  Spit(Path("stdin.txt"), from_stdin);
  Result r2 = SkiffWithStdin(
      {"service", "regen-key", "-n", "svc", "--key", "Secondary", "--set-key", "-", "-o", "json"},
      Path("stdin.txt"));
  ASSERT_EQ(r2.rc, 0) << r2.err;
  EXPECT_EQ(json::parse(r2.out)["secondaryKey"], from_stdin);
  EXPECT_EQ(Score(u, from_stdin), 200);

  // Refused, naming the flag and never echoing the value; nothing changes.
  const std::string literal = "literal-on-the-command-line-0123456789ab";
  Result lit =
      Skiff({"service", "regen-key", "-n", "svc", "--key", "Primary", "--set-key", literal});
  ExpectOneLineError(lit, "--set-key takes @FILE or -");
  EXPECT_EQ(lit.err.find(literal), std::string::npos);
  for (const std::string& bad : {std::string("has a space-0123456789abcdefghijklmnopqrs"),
                                 std::string("has\ta-tab-0123456789abcdefghijklmnopqrstu"),
                                 std::string("has-a-control\x01"
                                             "char-0123456789abcdefghijk"),
                                 std::string("two-newlines-0123456789abcdefghijklmnopq\n\n")}) {
    Spit(Path("bad.txt"), bad);
    Result r = Skiff({"service", "regen-key", "-n", "svc", "--key", "Primary", "--set-key",
                      "@" + Path("bad.txt")});
    ExpectOneLineError(r, "--set-key value holds whitespace or a control character");
    Result s =
        SkiffWithStdin({"service", "regen-key", "-n", "svc", "--key", "Primary", "--set-key", "-"},
                       Path("bad.txt"));
    ExpectOneLineError(s, "--set-key value holds whitespace or a control character");
  }
  Spit(Path("short.txt"), "too-short");
  ExpectOneLineError(Skiff({"service", "regen-key", "-n", "svc", "--key", "Primary", "--set-key",
                            "@" + Path("short.txt")}),
                     "--set-key must be 32 to 8192 characters");
  ExpectOneLineError(Skiff({"service", "regen-key", "-n", "svc", "--key", "Primary", "--set-key",
                            "@" + Path("missing.txt")}),
                     "cannot be read");
  EXPECT_EQ(Keys("svc"), std::make_pair(from_file, from_stdin));
}

// ---- 10. tokens can be revoked ---------------------------------------------

TEST_F(KeysAndTokens, RegenSigningKeyRevokesEarlierTokens) {
  const Uri u = Deploy("tok", {{"authEnabled", false}, {"tokenAuthEnabled", true}});
  const std::string earlier = Token("tok");
  ASSERT_EQ(Score(u, earlier), 200);

  Result r = Skiff({"service", "regen-signing-key", "-n", "tok"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(Score(u, earlier), 401);
  const std::string later = Token("tok");
  EXPECT_EQ(Score(u, later), 200);
  // One set of keys stays: the previous one is gone from disk too.
  int sets = 0;
  for (const auto& e : fs::directory_iterator(Path("ws/signing-keys/tok")))
    sets += e.is_directory();
  EXPECT_EQ(sets, 1);

  ExpectOneLineError(Skiff({"service", "regen-signing-key", "-n", "tok", "--grace-period", "-1"}),
                     "--grace-period");
  Deploy("keyed");
  ExpectOneLineError(Skiff({"service", "regen-signing-key", "-n", "keyed"}),
                     "does not use token auth");
}

TEST_F(KeysAndTokens, GracePeriodKeepsTheOldKeyForVerificationOnly) {
  const Uri u = Deploy("tok", {{"authEnabled", false}, {"tokenAuthEnabled", true}});
  const std::string earlier = Token("tok");
  constexpr int kGrace = 8;
  const auto rotated = std::chrono::steady_clock::now();
  ASSERT_EQ(
      Skiff({"service", "regen-signing-key", "-n", "tok", "--grace-period", std::to_string(kGrace)})
          .rc,
      0);
  const std::string later = Token("tok");
  EXPECT_NE(later.substr(0, later.find('.')), earlier.substr(0, earlier.find('.')))
      << "new tokens carry the new kid";
  // Within the grace period both verify (checked only while surely inside it).
  if (std::chrono::steady_clock::now() - rotated < std::chrono::seconds(kGrace - 2)) {
    EXPECT_EQ(Score(u, earlier), 200);
  }
  EXPECT_EQ(Score(u, later), 200);
  // Then the earlier one is refused: poll with a generous deadline.
  const auto deadline = rotated + std::chrono::seconds(kGrace + 60);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline && (status = Score(u, earlier)) != 401) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(status, 401);
  EXPECT_GE(std::chrono::steady_clock::now() - rotated, std::chrono::seconds(kGrace - 1));
  EXPECT_EQ(Score(u, later), 200);
}

TEST_F(KeysAndTokens, TokenOfADeletedServiceIsRefusedByARedeployedOne) {
  const json dc = {{"authEnabled", false}, {"tokenAuthEnabled", true}};
  const Uri first = Deploy("tok", dc);
  const std::string old_token = Token("tok");
  ASSERT_EQ(Score(first, old_token), 200);
  ASSERT_EQ(Skiff({"service", "delete", "-n", "tok"}).rc, 0);
  EXPECT_FALSE(fs::exists(Path("ws/signing-keys/tok"))) << "delete removes the signing keys";

  const Uri again = Deploy("tok", dc);
  EXPECT_EQ(Score(again, old_token), 401);
  EXPECT_EQ(Score(again, Token("tok")), 200);
}

TEST_F(KeysAndTokens, RegenSigningKeyThatCannotRollKeepsTheOldKey) {
  const Uri u = Deploy("tok", {{"authEnabled", false}, {"tokenAuthEnabled", true}});
  const std::string earlier = Token("tok");
  auto restore = TamperArtifacts();
  ExpectOneLineError(Skiff({"service", "regen-signing-key", "-n", "tok"}),
                     "the signing keys are unchanged");
  EXPECT_EQ(Score(u, earlier), 200);
  EXPECT_EQ(Score(u, Token("tok")), 200) << "tokens are still issued with the key the service has";
  int sets = 0;
  for (const auto& e : fs::directory_iterator(Path("ws/signing-keys/tok")))
    sets += e.is_directory();
  EXPECT_EQ(sets, 1) << "the abandoned set is removed";
  restore();
  ASSERT_EQ(Skiff({"service", "regen-signing-key", "-n", "tok"}).rc, 0);
  EXPECT_EQ(Score(u, earlier), 401);
}

// The endpoint commands share the SDK calls: the same two flags there.
TEST_F(KeysAndTokens, EndpointRegenSigningKeyAndSetKeyFromStdin) {
  Spit(Path("dc-tok.json"), json({{"authEnabled", false}, {"tokenAuthEnabled", true}}).dump());
  Result created = Skiff({"endpoint", "create", "-n", "ept", "-ct", "local", "--version-name",
                          "blue", "-m", "mlp:1", "-ic", ic_, "-dc", Path("dc-tok.json")});
  ASSERT_EQ(created.rc, 0) << created.err;
  const Uri u = ParseUri(Json({"endpoint", "show", "-n", "ept", "-o", "json"})["scoringUri"]);
  const std::string earlier =
      Json({"endpoint", "get-access-token", "-n", "ept", "-o", "json"})["accessToken"];
  ASSERT_EQ(Score(u, earlier), 200);
  ASSERT_EQ(Skiff({"endpoint", "regen-signing-key", "-n", "ept"}).rc, 0);
  EXPECT_EQ(Score(u, earlier), 401);
  EXPECT_EQ(
      Score(u, Json({"endpoint", "get-access-token", "-n", "ept", "-o", "json"})["accessToken"]),
      200);

  Spit(Path("dc-key.json"), "{}");
  ASSERT_EQ(Skiff({"endpoint", "create", "-n", "epk", "-ct", "local", "--version-name", "blue",
                   "-m", "mlp:1", "-ic", ic_, "-dc", Path("dc-key.json")})
                .rc,
            0);
  const Uri k = ParseUri(Json({"endpoint", "show", "-n", "epk", "-o", "json"})["scoringUri"]);
  const std::string given = "endpoint-key-from-stdin-0123456789abcdef";
  Spit(Path("ep-key.txt"), given + "\n");
  Result r =
      SkiffWithStdin({"endpoint", "regen-key", "-n", "epk", "--key", "Primary", "--set-key", "-"},
                     Path("ep-key.txt"));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(Score(k, given), 200);
  ExpectOneLineError(
      Skiff({"endpoint", "regen-key", "-n", "epk", "--key", "Primary", "--set-key", given}),
      "--set-key takes @FILE or -");
}

}  // namespace
