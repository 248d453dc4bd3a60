// SPDX-License-Identifier: Apache-2.0
// The core toolbox (skiff/util/{file,base64,url,service_name}.h): one
// implementation each, so the plugins, the SDK and the tests that used to
// carry their own copies now agree. Each case below was a disagreement
// between two of those copies.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "skiff/util/base64.h"
#include "skiff/util/file.h"
#include "skiff/util/service_name.h"
#include "skiff/util/url.h"
#include "temp_dir.h"

namespace skiff {
namespace {

class UtilFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
};

TEST_F(UtilFileTest, ReadsWholeFilesAndSaysNotFound) {
  const std::string path = Write("a", std::string(100000, 'x') + "end");
  EXPECT_EQ(*ReadFile(path), std::string(100000, 'x') + "end");
  EXPECT_EQ(ReadFile(dir_ + "/missing").status().code(), StatusCode::kNotFound);
}

// compute-local's and accel-fpga's readers had no bound: a wrong path to a
// device node or a huge file was read into memory whole.
TEST_F(UtilFileTest, RefusesAFileLargerThanTheBound) {
  const std::string path = Write("big", std::string(4096, 'x'));
  auto read = ReadFile(path, 1000);
  EXPECT_EQ(read.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(read.status().message().find(path), std::string::npos);
  EXPECT_EQ(ReadFile("/dev/zero", 1 << 16).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(UtilFileTest, PrivateReadRefusesReadableByOthersLinksAndNeverEchoesTheSecret) {
  const std::string secret = "primary-key-0123456789-abcdefghijklmnopqrstuv";
  const std::string path = Write("keys.json", secret);
  EXPECT_EQ(*ReadPrivateFile(path), secret);

  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto refused = ReadPrivateFile(path);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("chmod 600"), std::string::npos);
  EXPECT_EQ(refused.status().message().find(secret), std::string::npos);
  PrivateReadOptions relaxed;
  relaxed.owner_only = false;
  EXPECT_EQ(*ReadPrivateFile(path, relaxed), secret);  // only writes by others matter here

  ASSERT_EQ(::symlink(path.c_str(), (dir_ + "/link").c_str()), 0);
  auto linked = ReadPrivateFile(dir_ + "/link");
  EXPECT_EQ(linked.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(linked.status().message().find("symbolic link"), std::string::npos);
  EXPECT_EQ(ReadPrivateFile(dir_ + "/nope").status().code(), StatusCode::kNotFound);
}

TEST(UtilFdTest, ClosesOnceAndMoves) {
  int raw = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(raw, 0);
  {
    Fd a(raw);
    Fd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), raw);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed by b, and only by b
}

TEST(UtilBase64Test, BothAlphabetsRoundTrip) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xfb\xff\x00\x01"}) {
    for (auto alphabet : {Base64Alphabet::kStandard, Base64Alphabet::kUrl}) {
      auto back = Base64Decode(Base64Encode(s, alphabet), alphabet);
      ASSERT_TRUE(back.has_value()) << s;
      EXPECT_EQ(*back, s);
    }
  }
  EXPECT_EQ(Base64Encode("foobar", Base64Alphabet::kStandard), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo", Base64Alphabet::kStandard), "Zm8=");
  EXPECT_EQ(Base64Encode("f", Base64Alphabet::kStandard), "Zg==");
  EXPECT_EQ(Base64Encode("\xfb\xff", Base64Alphabet::kStandard), "+/8=");
  EXPECT_EQ(Base64Encode("\xfb\xff", Base64Alphabet::kUrl), "-_8");
}

// compute-aks's old decoder took padding anywhere, missing padding, and
// non-zero trailing bits, so many texts decoded to one kubeconfig.
TEST(UtilBase64Test, StandardIsStrict) {
  const auto decode = [](const char* text) {
    return Base64Decode(text, Base64Alphabet::kStandard);
  };
  EXPECT_EQ(*decode("Y3JlZGVudGlhbFZhbHVlMQ=="), "credentialValue1");
  EXPECT_FALSE(decode("Zg").has_value());        // padding required
  EXPECT_FALSE(decode("Zg=").has_value());       // not a multiple of 4
  EXPECT_FALSE(decode("Zh==").has_value());      // non-zero trailing bits
  EXPECT_FALSE(decode("Z===").has_value());      // impossible length
  EXPECT_FALSE(decode("Zg==Zg==").has_value());  // data after padding
  EXPECT_FALSE(decode("Zm9 v").has_value());     // whitespace
  EXPECT_FALSE(decode("Zm-_").has_value());      // url alphabet
  EXPECT_FALSE(Base64Decode("Zm+/", Base64Alphabet::kUrl).has_value());
  EXPECT_FALSE(Base64Decode("Zg==", Base64Alphabet::kUrl).has_value());
}

// A YAML value folded over lines (Azure's kubeconfigs, Kubernetes' `*-data`)
// decodes with the whitespace option, and only the whitespace is forgiven.
TEST(UtilBase64Test, FoldedValuesDecodeWithTheWhitespaceOption) {
  const auto folded = [](const char* text) {
    return Base64Decode(text, Base64Alphabet::kStandard, Base64Whitespace::kSkipAsciiWhitespace);
  };
  EXPECT_EQ(*folded("Y3JlZGVudGlh\n  bFZhbHVlMQ==\r\n"), "credentialValue1");
  EXPECT_EQ(*folded("YW Jj\t"), "abc");
  EXPECT_FALSE(folded("a*b").has_value());
  EXPECT_FALSE(folded("Zg").has_value()) << "still strict about padding";
  EXPECT_FALSE(Base64Decode("YW Jj", Base64Alphabet::kStandard).has_value()) << "off by default";
}

// The SDK's old parser split "[::1]:8080" at the last colon and asked the
// resolver for "[::1]".
TEST(UtilUrlTest, ParsesIpv6HostsPortsAndTargets) {
  auto v6 = ParseUrl("http://[::1]:8080/api/v1/service/svc/score?x=1");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "8080");
  EXPECT_EQ(v6->target, "/api/v1/service/svc/score?x=1");
  EXPECT_EQ(v6->Origin(), "http://[::1]:8080");
  EXPECT_TRUE(IsLoopbackHost(v6->host));

  auto plain = ParseUrl("HTTPS://management.azure.com");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->scheme, "https");
  EXPECT_EQ(plain->port, "443");
  EXPECT_EQ(plain->target, "/");
  EXPECT_EQ(ParseUrl("http://127.0.0.1?q")->target, "/?q");

  EXPECT_FALSE(ParseUrl("ftp://host/").ok());
  EXPECT_FALSE(ParseUrl("http://[::1/").ok());
  EXPECT_FALSE(ParseUrl("http://user@host/").ok());
  EXPECT_FALSE(ParseUrl("http://host:80a/").ok());
  EXPECT_FALSE(ParseUrl("host/path").ok());
  EXPECT_FALSE(IsLoopbackHost("128.0.0.1"));
}

// Four rules disagreed: the SDK took 3-32 characters, the auth plugin 1-63
// (starting with a digit), the local target up to 255 with '_' and '.', the
// AKS target DNS-1035. A name one accepted could fail half-way in another.
TEST(UtilServiceNameTest, OneRuleFitsAzureMlAndKubernetes) {
  for (const char* good : {"svc", "my-service-1", "a23456789012345678901234567890ab"}) {
    EXPECT_TRUE(ValidateServiceName(good).ok()) << good;
  }
  for (const char* bad : {"", "a", "ab", "1svc", "-svc", "svc-", "My-svc", "my_svc", "my.svc",
                          "a234567890123456789012345678901ab", "../etc"}) {
    auto s = ValidateServiceName(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("3-32 lowercase letters"), std::string::npos) << s.message();
  }
  EXPECT_NE(ValidateServiceName("V1", "version name").message().find("version name 'V1'"),
            std::string::npos);
}

// Azure ML's AksEndpoint version names (and skiff's --help examples) include
// "v1": the service rule's 3-character minimum does not apply to them.
TEST(UtilServiceNameTest, VersionNamesFollowAzureRule) {
  for (const char* good : {"v", "v1", "blue", "a23456789012345678901234567890ab"}) {
    EXPECT_TRUE(ValidateVersionName(good).ok()) << good;
  }
  for (const char* bad :
       {"", "1", "1v", "-v", "v-", "V1", "v_1", "v.1", "a234567890123456789012345678901ab"}) {
    auto s = ValidateVersionName(bad, "--version-name");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("--version-name '" + std::string(bad) +
                               "' is invalid: use 1-32 lowercase letters, digits or '-', "
                               "starting with a letter"),
              std::string::npos)
        << s.message();
  }
}

}  // namespace
}  // namespace skiff
