// SPDX-License-Identifier: Apache-2.0
// PluginHost against real shared libraries: a good fake plugin and one
// variant per refusal reason, laid out in temporary search directories.
#include "skiff/plugin_host/plugin_host.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "skiff/accelerator.h"

namespace skiff {
namespace {

namespace fs = std::filesystem;

std::string Fake(const std::string& name) {
  return std::string(FAKE_PLUGIN_DIR) + "/libskiff_accelerator_" + name + ".so";
}

class PluginHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("skiff-plugin-host-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "a");
    fs::create_directories(root_ / "b");
  }
  void TearDown() override { fs::remove_all(root_); }

  // Copies a built fake into `dir` under `as` (default: its own file name).
  std::string Put(const std::string& fake, const std::string& dir, std::string as = "") {
    fs::path src = Fake(fake);
    fs::path dst = root_ / dir / (as.empty() ? src.filename().string() : as);
    fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
    ::chmod(dst.c_str(), 0755);
    return dst.string();
  }

  PluginHost Host() {
    PluginHost::Options options;
    options.search_path = {(root_ / "a").string(), (root_ / "missing").string(),
                           (root_ / "b").string()};
    return PluginHost(options);
  }

  // The refusal reason recorded for `path`, or "" if it was not refused.
  static std::string ReasonFor(const PluginHost& host, const std::string& path) {
    for (const auto& r : host.refused()) {
      if (r.path == path) return r.reason;
    }
    return "";
  }

  fs::path root_;
};

TEST_F(PluginHostTest, LoadsGoodPluginAndReportsDescriptor) {
  std::string path = Put("fake", "a");
  PluginHost host = Host();
  host.Discover();
  ASSERT_EQ(host.plugins().size(), 1u);
  EXPECT_TRUE(host.refused().empty());
  const auto& p = host.plugins()[0];
  EXPECT_EQ(p->name(), "fake");
  EXPECT_EQ(p->version(), "0.1.0");
  EXPECT_EQ(p->kind(), static_cast<uint32_t>(SKIFF_PLUGIN_KIND_ACCELERATOR));
  EXPECT_EQ(p->abi_major(), static_cast<uint32_t>(SKIFF_PLUGIN_ABI_MAJOR));
  EXPECT_EQ(p->path(), path);
  EXPECT_EQ(p->description(), "test accelerator");
}

TEST_F(PluginHostTest, CreatedObjectScoresThroughThePlugin) {
  Put("fake", "a");
  PluginHost host = Host();
  host.Discover();
  auto accel = host.Create<Accelerator>("fake", "{}");
  ASSERT_TRUE(accel.ok()) << accel.status().ToString();
  auto model = (*accel)->Load(ModelLoadOptions{});
  ASSERT_TRUE(model.ok());
  Tensor x{"x", DataType::kFp32, {2}, {}};
  float in[2] = {1.5f, -3.0f};
  x.data.resize(sizeof(in));
  std::memcpy(x.data.data(), in, sizeof(in));
  auto out = (*model)->Score({x});
  ASSERT_TRUE(out.ok());
  float got[2];
  std::memcpy(got, (*out)[0].data.data(), sizeof(got));
  EXPECT_FLOAT_EQ(got[0], 3.0f);
  EXPECT_FLOAT_EQ(got[1], -6.0f);
}

TEST_F(PluginHostTest, FactoryErrorAndExceptionBecomeStatus) {
  Put("fake", "a");
  Put("throws", "a");
  PluginHost host = Host();
  host.Discover();
  auto refused = host.Create<Accelerator>("fake", "refuse");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "options say refuse");
  auto threw = host.Create<Accelerator>("throws", "{}");
  ASSERT_FALSE(threw.ok());
  EXPECT_EQ(threw.status().code(), StatusCode::kInternal);
  EXPECT_NE(threw.status().message().find("boom from the factory"), std::string::npos);
}

TEST_F(PluginHostTest, UnknownPluginNamesWhatExists) {
  Put("fake", "a");
  PluginHost host = Host();
  host.Discover();
  auto missing = host.Create<Accelerator>("torch", "{}");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("found: fake"), std::string::npos);
}

TEST_F(PluginHostTest, RefusesWrongAbiMajorNamingBothVersions) {
  std::string path = Put("major", "a");
  PluginHost host = Host();
  host.Discover();
  EXPECT_TRUE(host.plugins().empty());
  const std::string major = std::to_string(SKIFF_PLUGIN_ABI_MAJOR);
  const std::string next = std::to_string(SKIFF_PLUGIN_ABI_MAJOR + 1);
  EXPECT_NE(ReasonFor(host, path).find("built for plugin ABI " + next + ".0, host speaks ABI " +
                                       major + ".0"),
            std::string::npos)
      << ReasonFor(host, path);
}

TEST_F(PluginHostTest, RefusesTooNewMinor) {
  std::string path = Put("minor", "a");
  PluginHost host = Host();
  host.Discover();
  EXPECT_NE(ReasonFor(host, path).find("needs plugin ABI " + std::to_string(SKIFF_PLUGIN_ABI_MAJOR) + ".99"), std::string::npos)
      << ReasonFor(host, path);
}

TEST_F(PluginHostTest, RefusesWhenPluginRejectsHost) {
  std::string path = Put("refuser", "a");
  PluginHost host = Host();
  host.Discover();
  EXPECT_NE(ReasonFor(host, path).find("does not accept host ABI"), std::string::npos)
      << ReasonFor(host, path);
}

TEST_F(PluginHostTest, RefusesMissingEntrySymbol) {
  std::string path = Put("noentry", "a");
  PluginHost host = Host();
  host.Discover();
  EXPECT_NE(ReasonFor(host, path).find("missing entry symbol skiff_plugin_init"),
            std::string::npos);
}

TEST_F(PluginHostTest, RefusesFingerprintMismatch) {
  std::string path = Put("badfp", "a");
  PluginHost host = Host();
  host.Discover();
  EXPECT_NE(ReasonFor(host, path).find("build fingerprint 'bogus-fingerprint' differs"),
            std::string::npos)
      << ReasonFor(host, path);
}

TEST_F(PluginHostTest, RefusesNonRegularFile) {
  fs::create_directories(root_ / "a" / "libskiff_accelerator_dir.so");
  PluginHost host = Host();
  host.Discover();
  EXPECT_EQ(ReasonFor(host, (root_ / "a" / "libskiff_accelerator_dir.so").string()),
            "not a regular file");
}

TEST_F(PluginHostTest, RefusesGroupOrWorldWritableFile) {
  std::string group = Put("fake", "a");
  ::chmod(group.c_str(), 0775);
  std::string world = Put("fake", "b", "libskiff_accelerator_fake.so");
  ::chmod(world.c_str(), 0757);
  PluginHost host = Host();
  host.Discover();
  EXPECT_TRUE(host.plugins().empty());
  EXPECT_NE(ReasonFor(host, group).find("group- or world-writable; fix with: chmod go-w"),
            std::string::npos);
  EXPECT_NE(ReasonFor(host, world).find("group- or world-writable"), std::string::npos);
}

TEST_F(PluginHostTest, RefusesFileThatIsNotASharedLibrary) {
  fs::path text = root_ / "a" / "libskiff_accelerator_text.so";
  std::ofstream(text) << "#!/bin/sh\necho not a library\n";
  ::chmod(text.c_str(), 0755);
  PluginHost host = Host();
  host.Discover();
  EXPECT_EQ(ReasonFor(host, text.string()), "not a shared library (no ELF header)");
}

TEST_F(PluginHostTest, RefusesDuplicateKindAndNameKeepingTheFirst) {
  std::string first = Put("fake", "a");
  std::string second = Put("fake", "b");
  PluginHost host = Host();
  host.Discover();
  ASSERT_EQ(host.plugins().size(), 1u);
  EXPECT_EQ(host.plugins()[0]->path(), first);
  EXPECT_EQ(ReasonFor(host, second), "duplicate accelerator 'fake': already loaded from " + first);
}

TEST_F(PluginHostTest, RefusesFileNameThatDisagreesWithDescriptor) {
  std::string path = Put("other", "a");
  PluginHost host = Host();
  host.Discover();
  EXPECT_NE(ReasonFor(host, path).find("but the descriptor says accelerator 'fake2'"),
            std::string::npos)
      << ReasonFor(host, path);
}

TEST_F(PluginHostTest, EveryRefusalIsOneLineAndGoodPluginsStillLoad) {
  Put("fake", "a");
  for (const char* bad : {"major", "minor", "refuser", "noentry", "badfp", "other"}) Put(bad, "b");
  PluginHost host = Host();
  host.Discover();
  EXPECT_EQ(host.plugins().size(), 1u);
  EXPECT_EQ(host.refused().size(), 6u);
  for (const auto& r : host.refused()) {
    EXPECT_FALSE(r.reason.empty());
    EXPECT_EQ(r.reason.find('\n'), std::string::npos) << r.reason;
  }
}

// True while `path` is mapped in this process (RTLD_NOLOAD never loads).
bool IsLoaded(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  ::dlclose(handle);
  return true;
}

TEST_F(PluginHostTest, LibraryStaysLoadedWhileAnObjectItMadeLives) {
  std::string path = Put("fake", "a");
  std::shared_ptr<Accelerator> accel;
  std::shared_ptr<LoadedModel> model;
  {
    PluginHost host = Host();
    host.Discover();
    ASSERT_TRUE(IsLoaded(path));
    auto made = host.Create<Accelerator>("fake", "{}");
    ASSERT_TRUE(made.ok());
    accel = *made;
    auto loaded = accel->Load(ModelLoadOptions{});
    ASSERT_TRUE(loaded.ok());
    model = TieLifetime(std::move(loaded).value(), accel);
  }
  EXPECT_TRUE(IsLoaded(path)) << "host gone, but objects made by the plugin live";
  accel.reset();
  EXPECT_TRUE(IsLoaded(path)) << "a model tied to its accelerator keeps the library";
  Tensor x{"x", DataType::kFp32, {1}, std::vector<uint8_t>(4, 0)};
  EXPECT_TRUE(model->Score({x}).ok());
  model.reset();
  EXPECT_FALSE(IsLoaded(path)) << "the last object gone unloads the library";
}

}  // namespace
}  // namespace skiff
