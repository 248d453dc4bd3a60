// SPDX-License-Identifier: Apache-2.0
// Loads libskiff_auth_default.so as the host will and drives it through the
// C descriptor only.
#include "skiff/plugin_abi.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "skiff/authenticator.h"
#include "skiff/build_fingerprint.h"

namespace skiff {
namespace {

class AuthPluginAbiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("SKIFF_BINARY_DIR");
    ASSERT_NE(bin, nullptr) << "SKIFF_BINARY_DIR is not set; run through ctest";
    const std::string path = std::string(bin) + "/lib/skiff/plugins/libskiff_auth_default.so";
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << ::dlerror();
    init_ = reinterpret_cast<skiff_plugin_init_fn>(::dlsym(handle_, SKIFF_PLUGIN_ENTRY_SYMBOL));
    ASSERT_NE(init_, nullptr);
    std::string tmpl = (std::filesystem::temp_directory_path() / "skiff-auth-abi-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  // Libraries stay loaded (no dlclose), as in the host.
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void* handle_ = nullptr;
  skiff_plugin_init_fn init_ = nullptr;
  std::string dir_;
};

TEST_F(AuthPluginAbiTest, DescriptorDescribesAnAuthPlugin) {
  const skiff_plugin_descriptor* d = init_(SKIFF_PLUGIN_ABI_MAJOR, SKIFF_PLUGIN_ABI_MINOR);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->struct_size, sizeof(skiff_plugin_descriptor));
  EXPECT_EQ(d->abi_major, static_cast<uint32_t>(SKIFF_PLUGIN_ABI_MAJOR));
  EXPECT_EQ(d->accepts_host, 1u);
  EXPECT_EQ(d->kind, static_cast<uint32_t>(SKIFF_PLUGIN_KIND_AUTH));
  EXPECT_STREQ(d->name, "default");
  EXPECT_STREQ(d->fingerprint, SKIFF_BUILD_FINGERPRINT);
  EXPECT_EQ(init_(SKIFF_PLUGIN_ABI_MAJOR + 1, 0)->accepts_host, 0u);
  // Only the entry point is exported.
  EXPECT_EQ(::dlsym(handle_, "_ZN5skiff4auth6SignJwtERKNS0_10SigningKeyERKNS0_11TokenClaimsE"),
            nullptr);
}

TEST_F(AuthPluginAbiTest, CreateRefusesBadOptionsWithAnError) {
  const skiff_plugin_descriptor* d = init_(SKIFF_PLUGIN_ABI_MAJOR, SKIFF_PLUGIN_ABI_MINOR);
  void* object = reinterpret_cast<void*>(0x1);
  skiff_error* error = d->create(R"({"workspace":"ws","unknown":true})", &object);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, static_cast<int32_t>(StatusCode::kInvalidArgument));
  EXPECT_NE(std::string(error->message).find("unknown"), std::string::npos);
  EXPECT_EQ(object, nullptr);
  d->error_delete(error);
  error = d->create("not json", &object);
  ASSERT_NE(error, nullptr);
  d->error_delete(error);
}

TEST_F(AuthPluginAbiTest, IssueAndVerifyThroughTheDescriptor) {
  const skiff_plugin_descriptor* d = init_(SKIFF_PLUGIN_ABI_MAJOR, SKIFF_PLUGIN_ABI_MINOR);
  const std::string options = R"({"workspace":"ws","keysDir":")" + dir_ +
                              R"(/signing","algorithm":"ES256","tokenLifetimeSeconds":1200})";
  void* object = nullptr;
  skiff_error* error = d->create(options.c_str(), &object);
  ASSERT_EQ(error, nullptr) << error->message;
  ASSERT_NE(object, nullptr);
  auto* auth = static_cast<Authenticator*>(object);

  ServiceAuthConfig token;
  token.service = "scorer";
  token.mode = AuthMode::kToken;
  ASSERT_TRUE(auth->Configure(token).ok());
  auto cred = auth->Issue({"scorer", 0});
  ASSERT_TRUE(cred.ok()) << cred.status().ToString();
  EXPECT_EQ(cred->expires_on - cred->issued_at, 1200);
  EXPECT_EQ(cred->refresh_by, cred->expires_on - 300);
  EXPECT_TRUE(auth->Verify("scorer", "Bearer " + cred->value).ok());
  EXPECT_EQ(auth->Verify("other", "Bearer " + cred->value).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth->Verify("scorer", "Bearer x" + cred->value).code(), StatusCode::kUnauthenticated);

  auto key = auth->GenerateKey();
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), 43u);
  d->destroy(object);
}

}  // namespace
}  // namespace skiff
