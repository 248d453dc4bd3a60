// SPDX-License-Identifier: Apache-2.0
// The scoring request's stages (request_stages.h) one at a time, without a
// server: each takes what it needs and returns the answer that ends the
// request, or nothing.
#include "skiff/dataplane/request_stages.h"

#include <gtest/gtest.h>

#include "skiff/dataplane/auth_responses.h"
#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"
#include "skiff/metrics/metrics_registry.h"

namespace skiff::dataplane {
namespace {

// Accepts exactly "Bearer good".
class OneKeyAuthenticator final : public Authenticator {
 public:
  StatusOr<std::string> GenerateKey() override { return Unimplemented("test"); }
  StatusOr<Credential> Issue(const IssueRequest&) override { return Unimplemented("test"); }
  Status Configure(const ServiceAuthConfig&) override { return OkStatus(); }
  Status Verify(std::string_view, std::string_view authorization) const override {
    if (authorization == "Bearer good") return OkStatus();
    return Unauthenticated("wrong key");
  }
};

http::request_header<> Header(const std::string& authorization) {
  http::request_header<> h;
  h.method(http::verb::post);
  h.target("/v2/models/svc/infer");
  if (!authorization.empty()) h.set(http::field::authorization, authorization);
  return h;
}

Signature OneInOneOut() {
  Signature sig;
  sig.inputs = {TensorSpec{"x", DataType::kFp32, {-1, 2}}};
  sig.outputs = {TensorSpec{"y", DataType::kFp32, {-1}}};
  return sig;
}

class DataPlaneGuard : public ::testing::Test {
 protected:
  DataPlaneGuard() : limiter_(Options()) {}
  static FailureLimiter::Options Options() {
    FailureLimiter::Options o;
    o.max_failures = 2;
    return o;
  }
  std::optional<HttpResponse> Guard(const Authenticator* auth, const std::string& authorization) {
    return GuardAuth(auth, "svc", Header(authorization), "10.0.0.1", &limiter_, &metrics_);
  }
  OneKeyAuthenticator auth_;
  FailureLimiter limiter_;
  metrics::MetricsRegistry registry_;
  metrics::DataPlaneMetrics metrics_{&registry_};
};

TEST_F(DataPlaneGuard, NoAuthenticatorAdmitsEveryone) {
  EXPECT_FALSE(Guard(nullptr, "").has_value());
}

TEST_F(DataPlaneGuard, WrongKeyIs401ThenBlocked429ButTheRightKeyStillPasses) {
  EXPECT_FALSE(Guard(&auth_, "Bearer good").has_value());
  auto first = Guard(&auth_, "Bearer bad");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->result(), http::status::unauthorized);
  EXPECT_EQ(first->body(), kUnauthorizedBody);
  EXPECT_NE(first->find(kWwwAuthenticateHeader), first->end());
  EXPECT_EQ(Guard(&auth_, "")->result(), http::status::unauthorized);
  // Two failures block the client: the next wrong guess is 429...
  auto blocked = Guard(&auth_, "Bearer bad");
  ASSERT_TRUE(blocked.has_value());
  EXPECT_EQ(blocked->result(), http::status::too_many_requests);
  EXPECT_NE(blocked->find(http::field::retry_after), blocked->end());
  // ...but the credential is checked first: a valid key from the same
  // address is never locked out.
  EXPECT_FALSE(Guard(&auth_, "Bearer good").has_value());
  EXPECT_NE(registry_.RenderPrometheusText().find("svc"), std::string::npos);
}

// Counts the checks it makes; accepts exactly "Bearer good".
class CountingAuthenticator final : public Authenticator {
 public:
  StatusOr<std::string> GenerateKey() override { return Unimplemented("test"); }
  StatusOr<Credential> Issue(const IssueRequest&) override { return Unimplemented("test"); }
  Status Configure(const ServiceAuthConfig&) override { return OkStatus(); }
  Status Verify(std::string_view, std::string_view authorization) const override {
    ++checks;
    if (authorization == "Bearer good") return OkStatus();
    return Unauthenticated("wrong key");
  }
  mutable int checks = 0;
};

// Issue 20, sixth session: a keep-alive connection that presents the value
// it had accepted, under the same key set, is not checked (hashed) again;
// anything else is, and failures still count against the client.
TEST_F(DataPlaneGuard, AConnectionsAcceptedKeyIsCheckedOncePerKeySet) {
  CountingAuthenticator auth;
  ConnectionMemo memo;
  auto guard = [&](const std::string& authorization, uint64_t key_set) {
    return GuardAuth(&auth, "svc", Header(authorization), "10.0.0.1", &limiter_, &metrics_, &memo,
                     key_set);
  };
  EXPECT_FALSE(guard("Bearer good", 1).has_value());
  EXPECT_FALSE(guard("Bearer good", 1).has_value());
  EXPECT_FALSE(guard("Bearer good", 1).has_value());
  EXPECT_EQ(auth.checks, 1) << "the same value on the same connection is checked once";
  // A different value is checked (and refused); the remembered one stays.
  EXPECT_EQ(guard("Bearer goof", 1)->result(), http::status::unauthorized);
  EXPECT_EQ(auth.checks, 2);
  EXPECT_EQ(guard("", 1)->result(), http::status::unauthorized);
  EXPECT_EQ(guard("Bearer goof", 1)->result(), http::status::too_many_requests)
      << "failures still reach the limiter";
  EXPECT_EQ(auth.checks, 4);
  EXPECT_FALSE(guard("Bearer good", 1).has_value());
  EXPECT_EQ(auth.checks, 4);
  // A newer key set: checked again, then remembered under it.
  EXPECT_FALSE(guard("Bearer good", 2).has_value());
  EXPECT_FALSE(guard("Bearer good", 2).has_value());
  EXPECT_EQ(auth.checks, 5);
  // Without a memo (token mode, gRPC) every request is checked.
  EXPECT_FALSE(
      GuardAuth(&auth, "svc", Header("Bearer good"), "10.0.0.1", &limiter_, &metrics_, nullptr, 2)
          .has_value());
  EXPECT_EQ(auth.checks, 6);
}

// A refused value is never remembered: the next request with it is
// checked (and refused) again.
TEST_F(DataPlaneGuard, ARefusedKeyIsNeverRemembered) {
  CountingAuthenticator auth;
  ConnectionMemo memo;
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(
        GuardAuth(&auth, "svc", Header("Bearer bad"), "10.0.0.2", &limiter_, &metrics_, &memo, 1)
            .has_value());
  }
  EXPECT_EQ(auth.checks, 2);
  EXPECT_EQ(memo.auth_generation, 0u);
  EXPECT_TRUE(memo.accepted_authorization.empty());
}

TEST(DataPlaneStages, ErrorsForRemoteClientsKeepOnlyFileNames) {
  EXPECT_EQ(WithoutServerPaths("cannot load '/srv/ws/blobs/ab/model.pt': bad magic"),
            "cannot load 'model.pt': bad magic");
  EXPECT_EQ(WithoutServerPaths("raised from /work/skiff/plugins/x/y.cc:140 (z)"),
            "raised from y.cc:140 (z)");
  EXPECT_EQ(WithoutServerPaths("/opt/models/dir/ is empty"), "dir is empty");
  EXPECT_EQ(WithoutServerPaths("(at /a/b)"), "(at b)");
  // Not file paths: URLs (a router's upstream), one-segment words, ratios.
  EXPECT_EQ(WithoutServerPaths("upstream http://10.0.0.7:8080/v2/models/m/infer timed out"),
            "upstream http://10.0.0.7:8080/v2/models/m/infer timed out");
  EXPECT_EQ(WithoutServerPaths("3/4 rows; /score only"), "3/4 rows; /score only");
  EXPECT_EQ(WithoutServerPaths(""), "");
}

TEST(DataPlaneStages, DrainGuardAnswers503WithRetryAfter) {
  EXPECT_FALSE(GuardDrain(false).has_value());
  auto r = GuardDrain(true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->result(), http::status::service_unavailable);
  EXPECT_EQ(r->at(http::field::retry_after), "1");
  EXPECT_EQ(r->body(), protocol::EncodeError("the server is shutting down"));
}

TEST(DataPlaneStages, PickOnAnEmptyEndpointIs503AndUnknownPinIs404) {
  Endpoint endpoint("svc", 1);
  std::shared_ptr<ModelVersion> picked;
  auto none = PickVersion(endpoint, "", Header(""), &picked);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->result(), http::status::service_unavailable);
  EXPECT_EQ(none->at(http::field::retry_after), "1");
  EXPECT_EQ(picked, nullptr);
}

TEST(DataPlaneStages, DecodeOipKeepsIdAndRequestedOutputs) {
  DecodedScore decoded;
  const std::string body =
      R"({"id":"7","inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1,2]}],)"
      R"("outputs":[{"name":"y"}]})";
  EXPECT_FALSE(
      DecodeScoreRequest(ScoreProtocol::kOip, body, OneInOneOut(), 1 << 20, &decoded).has_value());
  ASSERT_EQ(decoded.inputs.size(), 1u);
  EXPECT_EQ(decoded.inputs[0].shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(decoded.id, std::optional<std::string>("7"));
  EXPECT_EQ(decoded.requested, std::vector<std::string>{"y"});
}

TEST(DataPlaneStages, DecodeAzureAndItsErrorsAre400NamingTheField) {
  DecodedScore decoded;
  EXPECT_FALSE(DecodeScoreRequest(ScoreProtocol::kAzure, R"({"data":[[1,2]]})", OneInOneOut(),
                                  1 << 20, &decoded)
                   .has_value());
  ASSERT_EQ(decoded.inputs.size(), 1u);
  auto bad = DecodeScoreRequest(ScoreProtocol::kOip,
                                R"({"inputs":[{"name":"nope","datatype":"FP32","shape":[1],)"
                                R"("data":[1]}]})",
                                OneInOneOut(), 1 << 20, &decoded);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->result(), http::status::bad_request);
  EXPECT_NE(bad->body().find("unknown input 'nope'"), std::string::npos) << bad->body();
}

// Issue 20: the binary tensor extension's header, read once.
TEST(DataPlaneStages, InferenceHeaderIsReadOnceAndRefusedTwice) {
  http::request_header<> h;
  std::optional<std::string_view> value;
  EXPECT_FALSE(ReadInferenceHeader(h, &value).has_value());
  EXPECT_FALSE(value.has_value());
  h.insert("Inference-Header-Content-Length", "12");
  EXPECT_FALSE(ReadInferenceHeader(h, &value).has_value());
  EXPECT_EQ(value, std::optional<std::string_view>("12"));
  h.insert("inference-header-content-length", "30");
  auto twice = ReadInferenceHeader(h, &value);
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(twice->result(), http::status::bad_request);
  EXPECT_NE(twice->body().find("appears more than once"), std::string::npos) << twice->body();
}

TEST(DataPlaneStages, RespondSendsAskedForOutputsAsBinary) {
  DecodedScore request;
  request.binary = {"y"};
  ScoreResult ok;
  Tensor y{"y", DataType::kFp32, {1}, std::vector<uint8_t>{0, 0, 0x80, 0x3F}};
  ok.outputs = {y};
  HttpResponse r = RespondScored(ScoreProtocol::kOip, "svc", "blue", request, ok);
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r.at(http::field::content_type), "application/octet-stream");
  const size_t n = std::stoul(std::string(r.at("Inference-Header-Content-Length")));
  EXPECT_EQ(r.body().substr(n), std::string("\0\0\x80\x3F", 4));
  auto decoded = protocol::DecodeInferResponse(r.body(), OneInOneOut(), {}, std::to_string(n));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->outputs[0].data, y.data);
}

TEST(DataPlaneStages, DecodeBoundsTheDecodedSize) {
  // 8 x the body limit: a 4-byte limit allows 32 bytes of tensors (8 floats).
  DecodedScore decoded;
  std::string data = "[1";
  for (int i = 1; i < 10; ++i) data += ",1";
  auto r = DecodeScoreRequest(
      ScoreProtocol::kOip,
      R"({"inputs":[{"name":"x","datatype":"FP32","shape":[5,2],"data":)" + data + "]}]}",
      OneInOneOut(), 4, &decoded);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->result(), http::status::bad_request);
}

TEST(DataPlaneStages, RespondEncodesOutputsOrMapsTheError) {
  DecodedScore request;
  request.id = "9";
  ScoreResult ok;
  Tensor y;
  y.name = "y";
  y.dtype = DataType::kFp32;
  y.shape = {1};
  y.data.resize(4, 0);
  ok.outputs = {y};
  HttpResponse r = RespondScored(ScoreProtocol::kOip, "svc", "blue", request, ok);
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r.at(kVersionHeader), "blue");
  auto decoded = protocol::DecodeInferResponse(r.body(), OneInOneOut());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->model_version, "blue");
  EXPECT_EQ(decoded->id, std::optional<std::string>("9"));

  ScoreResult busy;
  busy.status = Unavailable("queue full");
  r = RespondScored(ScoreProtocol::kAzure, "svc", "blue", request, busy);
  EXPECT_EQ(r.result(), http::status::service_unavailable);
  EXPECT_EQ(r.at(http::field::retry_after), "1");
  EXPECT_EQ(r.body(), protocol::EncodeError("queue full"));
  ScoreResult slow;
  slow.status = DeadlineExceeded("too slow");
  EXPECT_EQ(RespondScored(ScoreProtocol::kOip, "svc", "blue", request, slow).result(),
            http::status::gateway_timeout);
  ScoreResult broken;
  broken.status = Internal("model threw");
  EXPECT_EQ(RespondScored(ScoreProtocol::kOip, "svc", "blue", request, broken).result(),
            http::status::bad_gateway);
}

// Each answer is built in place and its fields inserted rather than set
// (issue 20, eighth session): the header bytes a client gets, field order
// included, are what they were for every kind of answer.
TEST(DataPlaneStages, ScoredAnswersKeepTheirHeaderFieldsInOrder) {
  Tensor y{"y", DataType::kFp32, {1}, std::vector<uint8_t>{0, 0, 0x80, 0x3F}};
  ScoreResult ok;
  ok.outputs = {y};
  // The header section, its Content-Length cut off (the body is not what is
  // tested here).
  const auto head = [](const HttpResponse& answer) {
    HttpResponse r = answer;
    WithServerFirst(&r);  // the server's name, as the HTTP server sends it
    r.prepare_payload();
    std::string out;
    EXPECT_TRUE(SerializeResponseHeader(r, &out));
    const std::string length = "Content-Length: " + std::to_string(r.body().size()) + "\r\n\r\n";
    EXPECT_EQ(out.substr(out.size() - std::min(out.size(), length.size())), length);
    return out.substr(0, out.size() - std::min(out.size(), length.size()));
  };
  DecodedScore json;
  EXPECT_EQ(head(RespondScored(ScoreProtocol::kOip, "svc", "blue", json, ok)),
            "HTTP/1.1 200 OK\r\nServer: skiff\r\nContent-Type: application/json\r\n"
            "azureml-model-deployment: blue\r\n");
  EXPECT_EQ(head(RespondScored(ScoreProtocol::kAzure, "svc", "blue", json, ok)),
            "HTTP/1.1 200 OK\r\nServer: skiff\r\nContent-Type: application/json\r\n"
            "azureml-model-deployment: blue\r\n");
  DecodedScore binary;
  binary.binary = {"y"};
  const HttpResponse b = RespondScored(ScoreProtocol::kOip, "svc", "blue", binary, ok);
  EXPECT_EQ(head(b),
            "HTTP/1.1 200 OK\r\nServer: skiff\r\nContent-Type: application/octet-stream\r\n"
            "Inference-Header-Content-Length: " +
                std::to_string(b.body().size() - 4) + "\r\nazureml-model-deployment: blue\r\n");
  ScoreResult busy;
  busy.status = Unavailable("queue full");
  EXPECT_EQ(head(RespondScored(ScoreProtocol::kOip, "svc", "blue", json, busy)),
            "HTTP/1.1 503 Service Unavailable\r\nServer: skiff\r\n"
            "Content-Type: application/json\r\nRetry-After: 1\r\n"
            "azureml-model-deployment: blue\r\n");
}

}  // namespace
}  // namespace skiff::dataplane
