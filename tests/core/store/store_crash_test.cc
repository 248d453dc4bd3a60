// SPDX-License-Identifier: Apache-2.0
// Crash consistency: store_writer is SIGKILLed at random points, hundreds of
// times, against one growing workspace. Whatever the timing, every write it
// acknowledged must be there, every row's artifact must be intact, and the
// database must pass integrity_check. Kill delays are random so kills land
// mid-write, but no assertion depends on when the kill lands.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "skiff/store/workspace_store.h"
#include "test_util.h"

namespace skiff::store {
namespace {

using testing::TempDir;

constexpr int kKills = 220;

// $SKIFF_BINARY_DIR/tests/store_writer, else the path CMake compiled in
// (skiff_add_test's ENVIRONMENT currently loses SKIFF_BINARY_DIR).
std::string WriterPath() {
  const char* dir = std::getenv("SKIFF_BINARY_DIR");
  if (dir != nullptr && *dir != '\0') return std::string(dir) + "/tests/store_writer";
  return SKIFF_STORE_WRITER;
}

// Starts the writer with its stdout on a pipe; returns its pid and sets
// *out_fd to the pipe's read end.
pid_t SpawnWriter(const std::string& ws, const std::string& scratch, unsigned seed, int* out_fd) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const std::string writer = WriterPath();
  const std::string seed_arg = std::to_string(seed);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(writer.c_str(), writer.c_str(), ws.c_str(), scratch.c_str(), seed_arg.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  *out_fd = fds[0];
  return pid;
}

// Runs the writer, kills it after `delay`, returns everything it printed.
std::string RunAndKill(const std::string& ws, const std::string& scratch, unsigned seed,
                       std::chrono::microseconds delay) {
  int fds[1];
  const pid_t pid = SpawnWriter(ws, scratch, seed, &fds[0]);
  std::this_thread::sleep_for(delay);
  ::kill(pid, SIGKILL);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  // Killed, or finished its loop: anything else is a writer error.
  EXPECT_TRUE((WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) ||
              (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0))
      << "writer failed, status " << wstatus;
  return out;
}

// How long the writer takes to acknowledge its first write on this machine
// (a sanitizer build or a loaded machine starts it far slower than 60 ms):
// the kill delays are drawn up to that plus 60 ms, so kills keep landing
// mid-write whatever the build.
std::chrono::microseconds TimeToFirstAck(const std::string& ws, const std::string& scratch) {
  int fds[1];
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = SpawnWriter(ws, scratch, 999, &fds[0]);
  std::string out;
  char buf[256];
  while (out.find("ACK ") == std::string::npos) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  ::kill(pid, SIGKILL);
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  return took;
}

std::string IntegrityCheck(const std::string& db_path) {
  sqlite3* db = nullptr;
  std::string result = "cannot open";
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr);
    result.clear();
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      result += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return result;
}

TEST(StoreCrash, KilledWriterNeverLosesAcknowledgedWritesOrCorruptsTheStore) {
  ASSERT_EQ(::access(WriterPath().c_str(), X_OK), 0) << WriterPath() << " not built";
  TempDir dir;
  const std::string ws = dir / "ws";
  const std::string scratch = dir / "scratch";
  std::filesystem::create_directories(scratch);
  std::mt19937 rng(12345);
  // Spans "killed before Open" to "several writes done".
  const auto first_ack = TimeToFirstAck(dir / "calibrate", scratch);
  std::uniform_int_distribution<int> delay_us(0, static_cast<int>(first_ack.count()) + 60000);
  RecordProperty("first_ack_us", static_cast<int>(first_ack.count()));
  std::map<std::string, std::string> acked_models;  // "name:version" -> sha256
  std::set<std::string> acked_targets;
  std::set<std::string> verified;
  for (int i = 0; i < kKills; ++i) {
    std::string out = RunAndKill(ws, scratch, static_cast<unsigned>(i + 1),
                                 std::chrono::microseconds(delay_us(rng)));
    std::istringstream lines(out);
    std::string tag, id, sha;
    while (lines >> tag) {
      if (tag == "ACK" && (lines >> id >> sha)) acked_models[id] = sha;
      if (tag == "ACKCT" && (lines >> id)) acked_targets.insert(id);
    }

    ASSERT_EQ(IntegrityCheck(ws + "/workspace.db"), "ok") << "after kill " << i;
    auto store = WorkspaceStore::Open(ws);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto models = (*store)->ListModels();
    ASSERT_TRUE(models.ok()) << models.status().ToString();
    std::map<std::string, std::string> rows;
    std::map<std::string, int64_t> last_version;
    for (const auto& m : *models) {
      rows[m.id()] = m.sha256;
      // ListModels orders by name, version: versions must run 1, 2, 3, ...
      ASSERT_EQ(m.version, last_version[m.name] + 1) << m.id() << " after kill " << i;
      last_version[m.name] = m.version;
    }
    for (const auto& [acked, acked_sha] : acked_models) {
      ASSERT_EQ(rows.count(acked), 1u) << "acknowledged " << acked << " lost after kill " << i;
      ASSERT_EQ(rows[acked], acked_sha) << acked;
    }
    // Verifying every row after every kill would be quadratic: verify the
    // rows not seen before (all of them are verified again at the end).
    for (const auto& m : *models) {
      if (!verified.insert(m.id()).second) continue;
      ASSERT_TRUE((*store)->VerifyArtifact(m).ok()) << m.id() << " after kill " << i;
    }
    for (const auto& target : acked_targets) {
      ASSERT_TRUE((*store)->GetComputeTarget(target).ok()) << target << " after kill " << i;
    }
  }
  auto store = WorkspaceStore::Open(ws);
  ASSERT_TRUE(store.ok());
  auto gc = (*store)->GarbageCollect(std::chrono::seconds(0));
  ASSERT_TRUE(gc.ok()) << gc.status().ToString();
  auto models = (*store)->ListModels();
  ASSERT_TRUE(models.ok());
  for (const auto& m : *models) {
    ASSERT_TRUE((*store)->VerifyArtifact(m).ok()) << m.id() << " after GarbageCollect";
  }
  EXPECT_GE(acked_models.size(), 50u) << "kills landed too early to test anything";
  RecordProperty("acked_models", static_cast<int>(acked_models.size()));
  RecordProperty("rows", static_cast<int>(models->size()));
  std::printf("kills=%d acked_models=%zu rows=%zu acked_targets=%zu gc_blobs=%lld gc_temps=%lld\n",
              kKills, acked_models.size(), models->size(), acked_targets.size(),
              static_cast<long long>(gc->blobs_removed),
              static_cast<long long>(gc->temp_files_removed));
}

}  // namespace
}  // namespace skiff::store
