// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace skiff::compute_local {
namespace {

TEST(ComputeLocalOptionsTest, AcceptsExecutables) {
  // /bin/true stands in: the check is "exists and is executable".
  auto o = ParseOptions(R"({"serverBinary":"/bin/true","supervisorBinary":"/bin/true",
                            "pluginPath":"/p","workspaceDir":"/ws"})");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->plugin_path, "/p");
  EXPECT_EQ(o->workspace_dir, "/ws");
}

// Issue 21 item 7: where the services listen, a literal only.
TEST(ComputeLocalOptionsTest, AddressIsALiteralDefaultingToLoopback) {
  const std::string bins = R"("serverBinary":"/bin/true","supervisorBinary":"/bin/true")";
  EXPECT_EQ(ParseOptions("{" + bins + "}")->address, "127.0.0.1");
  EXPECT_EQ(ParseOptions("{" + bins + R"(,"address":"::")" + "}")->address, "::");
  auto name = ParseOptions("{" + bins + R"(,"address":"localhost")" + "}");
  EXPECT_EQ(name.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(name.status().message().find("`address` 'localhost' is not an IPv4 or IPv6 address"),
            std::string::npos)
      << name.status().message();
  EXPECT_EQ(*ParseTargetAddress(""), "127.0.0.1");
  EXPECT_EQ(*ParseTargetAddress(R"({"address":"0.0.0.0"})"), "0.0.0.0");
  EXPECT_NE(ParseTargetAddress(R"({"adress":"0.0.0.0"})").status().message().find("address"),
            std::string::npos);
}

TEST(ComputeLocalOptionsTest, ErrorsNameTheField) {
  auto missing = ParseOptions(R"({"supervisorBinary":"/bin/true"})");
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("`serverBinary` is required"), std::string::npos);

  auto absent = ParseOptions(R"({"serverBinary":"/bin/true","supervisorBinary":"/nope/sup"})");
  EXPECT_NE(absent.status().message().find("`supervisorBinary` '/nope/sup' does not exist"),
            std::string::npos)
      << absent.status().message();

  const std::string plain =
      (std::filesystem::temp_directory_path() / ("skiff-cl-opt-" + std::to_string(::getpid())))
          .string();
  std::ofstream(plain) << "not a program";
  ::chmod(plain.c_str(), 0644);
  auto not_exec =
      ParseOptions(R"({"serverBinary":")" + plain + R"(","supervisorBinary":"/bin/true"})");
  std::filesystem::remove(plain);
  EXPECT_NE(not_exec.status().message().find("`serverBinary` '" + plain + "' is not an executable"),
            std::string::npos)
      << not_exec.status().message();

  auto dir = ParseOptions(R"({"serverBinary":"/bin","supervisorBinary":"/bin/true"})");
  EXPECT_NE(dir.status().message().find("not an executable file"), std::string::npos);

  auto unknown = ParseOptions(R"({"serverBinary":"/bin/true","supervisorBinary":"/bin/true",
                                  "severBinary":"x"})");
  EXPECT_NE(unknown.status().message().find("unknown key `severBinary`"), std::string::npos);

  auto type = ParseOptions(R"({"serverBinary":1,"supervisorBinary":"/bin/true"})");
  EXPECT_NE(type.status().message().find("`serverBinary` must be a string"), std::string::npos);

  EXPECT_FALSE(ParseOptions("not json").ok());
}

// Issue 17 item 2: the target's options were read with a private parser
// that kept the last of two equal keys and suggested nothing for a typo.
TEST(ComputeLocalOptionsTest, DuplicateKeysAreRefusedAndTyposGetTheClosestKey) {
  auto dup = ParseOptions(R"({"serverBinary":"/bin/true","supervisorBinary":"/bin/true",
                              "serverBinary":"/bin/false"})");
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dup.status().message().find("duplicate key \"serverBinary\""), std::string::npos)
      << dup.status().message();
  auto typo = ParseOptions(R"({"serverBinary":"/bin/true","supervisorBinary":"/bin/true",
                               "pluginPth":"/p"})");
  EXPECT_NE(typo.status().message().find("unknown key `pluginPth`; did you mean `pluginPath`?"),
            std::string::npos)
      << typo.status().message();
}

}  // namespace
}  // namespace skiff::compute_local
