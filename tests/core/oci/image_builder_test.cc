// SPDX-License-Identifier: Apache-2.0
// The image builder against real parts: skiff-server and a plugin from this
// build, the host's libraries, and umoci (the OCI reference unpacker) to read
// the layout back. Issue 18 item 1 (image without Docker) and item 2 (the
// model as its own layer).
#include "skiff/oci/image_builder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "oci_test_tools.h"
#include "temp_dir.h"

namespace skiff::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::MustRun;

ImageBuildOptions Options() {
  ImageBuildOptions o;
  o.skiff_server = SKIFF_TEST_SERVER_BINARY;
  o.plugins = {SKIFF_TEST_AUTH_PLUGIN};
  o.version = "test";
  o.layer.mtime = 1700000000;
  o.layer.gzip_level = 1;  // speed; determinism does not depend on the level
  return o;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<ModelLayerSource> Models(const skiff::testing::TempDir& dir, const std::string& bytes) {
  WriteText(dir / "model.pt", bytes);
  fs::create_directories(dir / "folder/sub");
  WriteText(dir / "folder/a.txt", "a");
  WriteText(dir / "folder/sub/b.txt", "b");
  return {{"m-1", "m:1", std::string(64, 'a'), dir / "model.pt", false},
          {"f-2", "f:2", std::string(64, 'b'), dir / "folder", true}};
}

StatusOr<std::vector<BuiltImage>> Build(const std::string& dir,
                                        const std::vector<ModelLayerSource>& models) {
  SKIFF_ASSIGN_OR_RETURN(OciLayout layout, OciLayout::Create(dir));
  return BuildImages(Options(), models, layout);
}

TEST(OciImageBuilderTest, SameInputsSameDigestsAndAChangedModelChangesOnlyItsImage) {
  skiff::testing::TempDir tmp;
  const auto models = Models(tmp, "weights-1");
  auto first = Build(tmp / "one", models);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = Build(tmp / "two", models);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(first->size(), 3u);
  for (size_t i = 0; i < first->size(); ++i) {
    EXPECT_EQ((*first)[i].manifest.digest, (*second)[i].manifest.digest) << (*first)[i].ref_name;
  }
  // index.json is byte-identical too.
  EXPECT_EQ(MustRun({"cat", tmp / "one/index.json"}), MustRun({"cat", tmp / "two/index.json"}));

  // Base layers shared by every image; each model is one layer of its own.
  const auto& base = (*first)[0];
  for (const auto& image : *first) {
    ASSERT_GE(image.layers.size(), 2u);
    EXPECT_EQ(image.layers[0].descriptor.digest, base.layers[0].descriptor.digest);
    EXPECT_EQ(image.layers[1].descriptor.digest, base.layers[1].descriptor.digest);
  }
  EXPECT_EQ((*first)[1].layers.size(), 3u);

  const auto changed_models = Models(tmp, "weights-2");
  auto changed = Build(tmp / "three", changed_models);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ((*changed)[0].manifest.digest, base.manifest.digest);
  EXPECT_NE((*changed)[1].manifest.digest, (*first)[1].manifest.digest);
  EXPECT_NE((*changed)[1].layers[2].descriptor.digest, (*first)[1].layers[2].descriptor.digest);
  EXPECT_EQ((*changed)[2].manifest.digest, (*first)[2].manifest.digest);
}

// Two versions registered from the same bytes share one model layer: a
// registry stores (and a push uploads) the model once.
TEST(OciImageBuilderTest, VersionsOfOneArtifactShareItsLayer) {
  skiff::testing::TempDir tmp;
  WriteText(tmp / "model.pt", "same weights");
  const std::string sha(64, 'c');
  auto built = Build(tmp / "layout", {{"m-1", "m:1", sha, tmp / "model.pt", false},
                                      {"m-2", "m:2", sha, tmp / "model.pt", false}});
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  ASSERT_EQ(built->size(), 3u);
  EXPECT_EQ((*built)[1].layers[2].descriptor.digest, (*built)[2].layers[2].descriptor.digest);
  // The images differ only in their config's label (io.skiff.model).
  EXPECT_NE((*built)[1].manifest.digest, (*built)[2].manifest.digest);
}

TEST(OciImageBuilderTest, UmociUnpacksARootfsThatRunsSkiffServerAsUid10001) {
  skiff::testing::TempDir tmp;
  auto built = Build(tmp / "layout", Models(tmp, "weights"));
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  MustRun({"umoci", "unpack", "--image", tmp / "layout:m-1", tmp / "bundle"});
  const std::string rootfs = tmp / "bundle/rootfs";
  struct stat st {};
  ASSERT_EQ(::stat((rootfs + kImageServerBinary).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);  // code is root's: the server cannot rewrite itself
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  ASSERT_EQ(::stat((rootfs + "/var/run/skiff").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 10001u);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string model = rootfs + ModelPathInImage(std::string(64, 'a'), false);
  ASSERT_EQ(::stat(model.c_str(), &st), 0) << model;
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_EQ(MustRun({"cat", model}), "weights");
  EXPECT_TRUE(fs::exists(rootfs + std::string(kImagePluginDir) + "/" +
                         fs::path(SKIFF_TEST_AUTH_PLUGIN).filename().string()));
  EXPECT_TRUE(fs::exists(rootfs + std::string(kImageCaBundle)));
  EXPECT_NE(MustRun({"cat", rootfs + "/etc/passwd"}).find("skiff:x:10001:10001:"),
            std::string::npos);
  // The config says who runs what.
  const json config = json::parse(MustRun({"cat", tmp / "bundle/config.json"}));
  EXPECT_EQ(config["process"]["user"]["uid"], 10001);
  EXPECT_EQ(config["process"]["args"][0], kImageServerBinary);

  // The closure is complete: the loader finds every library inside the
  // rootfs (chroot, no network, as uid 10001), and the server gets as far as
  // reading its config.
  auto ran = RunAndCapture({"chroot", "--userspec=10001:10001", rootfs, kImageServerBinary,
                            "--config", "/nonexistent.json"});
  const std::string text = ran.ok() ? *ran : ran.status().message();
  EXPECT_EQ(text.find("error while loading shared libraries"), std::string::npos) << text;
  EXPECT_NE(text.find("nonexistent.json"), std::string::npos) << text;
  // A folder model: its paths pass 100 bytes, so they travel in PAX headers.
  MustRun({"umoci", "unpack", "--image", tmp / "layout:f-2", tmp / "folder-bundle"});
  const std::string in_image = ModelPathInImage(std::string(64, 'b'), true);
  ASSERT_GT((in_image + "/sub/b.txt").size() - 1, 100u);  // without the leading '/'
  const std::string folder = tmp / "folder-bundle/rootfs" + in_image;
  EXPECT_EQ(MustRun({"cat", folder + "/sub/b.txt"}), "b");
  EXPECT_EQ(MustRun({"cat", folder + "/a.txt"}), "a");

  // The init container's tools run too.
  EXPECT_EQ(MustRun({"chroot", "--userspec=10001:10001", rootfs, "/bin/sh", "-c",
                     "mkdir -p /tmp/x && cp /etc/group /tmp/x/ && echo ok"}),
            "ok\n");
}

// Issue 18 item 6: a second build with the same inputs reuses every layer
// (same digests, nothing written); a changed plugin rebuilds only the skiff
// layer, another artifact only its model layer.
TEST(OciImageBuilderTest, LayerCacheReusesUnchangedLayersOnly) {
  skiff::testing::TempDir tmp;
  auto layout = OciLayout::Create(tmp / "layout");
  ASSERT_TRUE(layout.ok());
  fs::copy_file(SKIFF_TEST_AUTH_PLUGIN, tmp / "libskiff_auth_default.so");
  ImageBuildOptions o = Options();
  o.plugins = {tmp / "libskiff_auth_default.so"};
  o.layer_cache = tmp / "layout/skiff-layer-cache.json";
  const auto models = Models(tmp, "weights-1");
  auto first = BuildImages(o, models, *layout);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)[0].reused_layers, 0);
  auto again = BuildImages(o, models, *layout);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  for (size_t i = 0; i < first->size(); ++i) {
    EXPECT_EQ((*again)[i].manifest.digest, (*first)[i].manifest.digest);
    EXPECT_EQ((*again)[i].reused_layers, static_cast<int>((*first)[i].layers.size()));
  }

  // Another plugin file (a rebuilt one): the skiff layer only.
  std::ofstream(tmp / "libskiff_auth_default.so", std::ios::app) << "rebuilt";
  auto rebuilt = BuildImages(o, models, *layout);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ((*rebuilt)[0].reused_layers, 1);
  EXPECT_EQ((*rebuilt)[0].layers[0].descriptor.digest, (*first)[0].layers[0].descriptor.digest);
  EXPECT_NE((*rebuilt)[0].layers[1].descriptor.digest, (*first)[0].layers[1].descriptor.digest);
  EXPECT_EQ((*rebuilt)[1].reused_layers, 2) << "the base's system layer and the model's own";

  // Another artifact: its model layer only.
  auto changed = Models(tmp, "weights-2");
  changed[0].sha256 = std::string(64, 'c');
  auto other = BuildImages(o, changed, *layout);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ((*other)[0].reused_layers, 2);
  EXPECT_EQ((*other)[1].reused_layers, 2) << "a new artifact: its layer is written";
  EXPECT_EQ((*other)[2].reused_layers, 3) << "the folder model did not change";

  // A cache whose blob left the layout: rebuilt, not trusted.
  fs::remove(layout->BlobPath((*other)[1].layers[2].descriptor.digest));
  auto healed = BuildImages(o, changed, *layout);
  ASSERT_TRUE(healed.ok()) << healed.status().ToString();
  EXPECT_EQ((*healed)[1].reused_layers, 2);
  EXPECT_TRUE(fs::exists(layout->BlobPath((*healed)[1].layers[2].descriptor.digest)));
}

// Issue 18 item 7: libraries ldd cannot see (dlopen) from a folder, at their
// paths, symlinks as links; and issue 23 item 7: the licence label.
TEST(OciImageBuilderTest, IncludedLibrariesLandAtTheirPathsAndTheLabelsAreSet) {
  skiff::testing::TempDir tmp;
  auto layout = OciLayout::Create(tmp / "layout");
  ASSERT_TRUE(layout.ok());
  fs::create_directories(tmp / "libs/sub");
  WriteText(tmp / "libs/sub/libfake_cuda.so.9", "not really a library");
  fs::create_symlink("libfake_cuda.so.9", tmp / "libs/sub/libfake_cuda.so");
  WriteText(tmp / "libs/README.txt", "no library");
  ImageBuildOptions o = Options();
  o.include_library_dirs = {tmp / "libs"};
  o.source = "https://example.org/skiff";
  o.revision = "0123abcd";
  auto built = BuildImages(o, {}, *layout);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  MustRun({"umoci", "unpack", "--image", tmp / "layout:server", tmp / "bundle"});
  const std::string root = tmp / "bundle/rootfs";
  const std::string lib = root + std::string(tmp / "libs/sub/libfake_cuda.so.9");
  EXPECT_EQ(MustRun({"cat", lib}), "not really a library");
  const fs::path link = root + std::string(tmp / "libs/sub/libfake_cuda.so");
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(fs::read_symlink(link), "libfake_cuda.so.9");
  EXPECT_FALSE(fs::exists(root + std::string(tmp / "libs/README.txt")));

  auto manifest = layout->ReadSmallBlob((*built)[0].manifest.digest);
  ASSERT_TRUE(manifest.ok());
  auto config =
      layout->ReadSmallBlob(json::parse(*manifest)["config"]["digest"].get<std::string>());
  ASSERT_TRUE(config.ok());
  const json labels = json::parse(*config)["config"]["Labels"];
  EXPECT_EQ(labels["org.opencontainers.image.licenses"], "Apache-2.0");
  EXPECT_EQ(labels["org.opencontainers.image.source"], "https://example.org/skiff");
  EXPECT_EQ(labels["org.opencontainers.image.revision"], "0123abcd");
  EXPECT_EQ(labels["org.opencontainers.image.version"], "test");

  o.include_library_dirs = {tmp / "no-such-dir"};
  auto missing = BuildImages(o, {}, *layout);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no-such-dir"), std::string::npos);
}

TEST(OciImageBuilderTest, AMissingInputIsNamed) {
  skiff::testing::TempDir tmp;
  auto layout = OciLayout::Create(tmp / "layout");
  ASSERT_TRUE(layout.ok());
  ImageBuildOptions o = Options();
  o.plugins.push_back(tmp / "libskiff_missing.so");
  auto built = BuildImages(o, {}, *layout);
  ASSERT_FALSE(built.ok());
  EXPECT_NE(built.status().message().find("libskiff_missing.so"), std::string::npos)
      << built.status().ToString();
}

}  // namespace
}  // namespace skiff::oci

namespace skiff::oci {
namespace {

// A tool that writes a lot to stderr before its answer on stdout (the old
// reader waited on stdout while the child blocked on a full stderr pipe).
TEST(OciRunAndCaptureTest, ReadsBothPipesAtOnce) {
  auto out = RunAndCapture({"sh", "-c", "head -c 300000 /dev/zero >&2; echo ok"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "ok\n");
  auto failed = RunAndCapture({"sh", "-c", "echo why >&2; exit 3"});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("why"), std::string::npos);
}

}  // namespace
}  // namespace skiff::oci
