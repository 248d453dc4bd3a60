// SPDX-License-Identifier: Apache-2.0
// ListenSocket: the port skiff-supervisor holds for its server.
#include "listen_socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace skiff::compute_local {
namespace {

TEST(ComputeLocalListenSocketTest, BindsAFreePortAndServesThatPortOrAny) {
  ListenSocket s;
  ASSERT_TRUE(s.Open("127.0.0.1", 0).ok());
  ASSERT_TRUE(s.is_open());
  EXPECT_NE(s.port(), 0);
  EXPECT_TRUE(s.Serves("127.0.0.1", 0));
  EXPECT_TRUE(s.Serves("127.0.0.1", s.port()));
  EXPECT_FALSE(s.Serves("127.0.0.1", s.port() == 65535 ? 65534 : s.port() + 1));
  EXPECT_FALSE(s.Serves("0.0.0.0", s.port()));

  // It accepts: a client connects while nobody has called accept().
  const int c = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(s.port());
  EXPECT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(c);

  s.Close();
  EXPECT_FALSE(s.is_open());
  EXPECT_FALSE(s.Serves("127.0.0.1", 0));
}

TEST(ComputeLocalListenSocketTest, APortInUseIsAClearError) {
  ListenSocket first;
  ASSERT_TRUE(first.Open("127.0.0.1", 0).ok());
  ListenSocket second;
  Status s = second.Open("127.0.0.1", first.port());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << s.message();
  EXPECT_FALSE(second.is_open());
}

TEST(ComputeLocalListenSocketTest, ANameInsteadOfAnAddressIsAClearError) {
  ListenSocket s;
  Status st = s.Open("localhost", 0);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("listen address 'localhost' is not an IPv4 or IPv6 address"),
            std::string::npos)
      << st.message();
  EXPECT_FALSE(s.Open("127.0.0.1", 70000).ok());
}

TEST(ComputeLocalListenSocketTest, Ipv6Loopback) {
  ListenSocket s;
  Status st = s.Open("::1", 0);
  if (!st.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << st.message();
  EXPECT_NE(s.port(), 0);
}

}  // namespace
}  // namespace skiff::compute_local
