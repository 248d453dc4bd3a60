// SPDX-License-Identifier: Apache-2.0
// GrpcCodeFor: the data plane's HTTP answers as gRPC status codes, the table
// of docs/protocols.md § gRPC (Triton's mapping).
#include <gtest/gtest.h>

#include "skiff/grpc/grpc_server.h"

namespace skiff::dataplane {
namespace {

// grpc::StatusCode's values (grpcpp/support/status_code_enum.h), spelled out
// so the test needs no gRPC header.
enum Code {
  kOk = 0,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kUnauthenticated = 16,
  kUnknown = 2,
};

TEST(GrpcCodeFor, MapsEveryDataPlaneStatusAsDocumented) {
  EXPECT_EQ(GrpcCodeFor(200), kOk);
  EXPECT_EQ(GrpcCodeFor(400), kInvalidArgument);
  EXPECT_EQ(GrpcCodeFor(401), kUnauthenticated);
  EXPECT_EQ(GrpcCodeFor(403), kPermissionDenied);
  EXPECT_EQ(GrpcCodeFor(404), kNotFound);
  EXPECT_EQ(GrpcCodeFor(405), kUnimplemented);
  EXPECT_EQ(GrpcCodeFor(501), kUnimplemented);
  EXPECT_EQ(GrpcCodeFor(413), kResourceExhausted);
  EXPECT_EQ(GrpcCodeFor(429), kResourceExhausted);
  EXPECT_EQ(GrpcCodeFor(431), kResourceExhausted);
  EXPECT_EQ(GrpcCodeFor(503), kUnavailable);
  EXPECT_EQ(GrpcCodeFor(504), kDeadlineExceeded);
  EXPECT_EQ(GrpcCodeFor(502), kInternal);
  EXPECT_EQ(GrpcCodeFor(500), kInternal);
  EXPECT_EQ(GrpcCodeFor(418), kUnknown);
}

}  // namespace
}  // namespace skiff::dataplane
