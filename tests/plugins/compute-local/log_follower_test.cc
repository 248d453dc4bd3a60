// SPDX-License-Identifier: Apache-2.0
// Issue 23.3: LogFollower (`get-logs --follow` on the local target) hands out
// whole lines appended after Start, across rotation (the rest of the renamed
// file first, then the new one from its start) and truncation.
#include "log_follower.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace skiff::compute_local {
namespace {

namespace fs = std::filesystem;

void Append(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << text;
}

TEST(ComputeLocalLogFollower, WholeNewLinesAcrossRotationAndTruncation) {
  const fs::path dir = fs::temp_directory_path() / ("skiff-follow-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path server = dir / "server.log", access = dir / "access.jsonl";
  Append(server, "old line\n");
  LogFollower follower({server.string(), access.string()});  // access.jsonl not there yet
  follower.Start();
  EXPECT_EQ(follower.Poll(), "") << "only what comes after Start";

  Append(server, "one\ntw");
  EXPECT_EQ(follower.Poll(), "one\n") << "a line still being written waits";
  Append(server, "o\n");
  Append(access, "{\"status\":200}\n");
  EXPECT_EQ(follower.Poll(), "two\n{\"status\":200}\n") << "a file made later is read from its start";

  // Rotation: the renamed file's last lines, then the new file.
  Append(access, "{\"status\":401}\n");
  fs::rename(access, dir / "access.jsonl.1");
  Append(access, "{\"status\":404}\n");
  EXPECT_EQ(follower.Poll(), "{\"status\":401}\n{\"status\":404}\n");

  // Truncated in place: read again from its start.
  std::ofstream(server, std::ios::trunc) << "";
  Append(server, "after\n");
  EXPECT_EQ(follower.Poll(), "after\n");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace skiff::compute_local
