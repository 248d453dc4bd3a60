// SPDX-License-Identifier: Apache-2.0
// server.json (skiff/config/server_config.h): read with the one typed
// reader, so unknown and duplicate keys are refused like in every config.
#include "skiff/config/server_config.h"

#include <gtest/gtest.h>

#include <tuple>
#include <vector>

#include <string>

namespace skiff::config {
namespace {

using nlohmann::json;

json Base() {
  json inference = {{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
                    {"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}}};
  return {
      {"service", "svc"},
      {"deploymentConfig", {{"authEnabled", false}}},
      {"versions", {{{"name", "blue"}, {"artifactPath", "/m"}, {"inferenceConfig", inference}}}}};
}

std::string ErrorOf(const std::string& text) {
  auto parsed = ParseServerConfig(text);
  EXPECT_FALSE(parsed.ok()) << text;
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << text;
  return parsed.status().message();
}

// Issue 17 item 1: a misspelt hardening key ("maxConnection") used to be
// ignored without a word, leaving the limit at its default.
TEST(ServerConfig, UnknownKeysAreRefusedWithThePathAndTheClosestKey) {
  json top = Base();
  top["maxConnection"] = 10;
  EXPECT_NE(ErrorOf(top.dump())
                .find("unknown key `$.maxConnection`; did you mean "
                      "`maxConnections`?"),
            std::string::npos);
  json version = Base();
  version["versions"][0]["sha265"] = std::string(64, 'a');
  EXPECT_NE(ErrorOf(version.dump())
                .find("unknown key `$.versions[0].sha265`; did you mean "
                      "`sha256`?"),
            std::string::npos);
  json auth = Base();
  auth["auth"] = {{"plugin", "default"}, {"keySha265", json::array()}};
  EXPECT_NE(ErrorOf(auth.dump()).find("unknown key `$.auth.keySha265`; did you mean `keySha256`?"),
            std::string::npos);
}

// nlohmann keeps the last of two equal keys; a server config that says
// one thing to a reviewer and another to the server is refused instead.
TEST(ServerConfig, DuplicateKeysAreRefused) {
  std::string text = Base().dump();
  text.insert(1, R"("requestLogKeep": 2, "requestLogKeep": 50, )");
  EXPECT_NE(ErrorOf(text).find("duplicate key \"requestLogKeep\""), std::string::npos);
  std::string nested = Base().dump();
  const size_t at = nested.find("\"name\":\"blue\"");
  ASSERT_NE(at, std::string::npos);
  nested.insert(at, R"("name": "green", )");
  EXPECT_NE(ErrorOf(nested).find("duplicate key \"name\""), std::string::npos);
}

TEST(ServerConfig, KeepsItsOwnValidationMessages) {
  json j = Base();
  j["requestLogKeep"] = 0;
  EXPECT_NE(ErrorOf(j.dump()).find("`$.requestLogKeep` must be 1-100"), std::string::npos);
  j = Base();
  j["port"] = "80";
  EXPECT_NE(ErrorOf(j.dump()).find("`$.port` must be an integer, got string"), std::string::npos);
  j = Base();
  j["versions"][0].erase("inferenceConfig");
  EXPECT_NE(ErrorOf(j.dump()).find("`$.versions[0].inferenceConfig` is required"),
            std::string::npos);
  j = Base();
  j["versions"][0]["upstream"] = "https://x/v2";
  j["versions"][0].erase("artifactPath");
  EXPECT_NE(ErrorOf(j.dump()).find("must be http://HOST[:PORT]/PATH"), std::string::npos);
}

// ToJson writes what ParseServerConfig reads: the SDK and the compute
// targets write server.json only through it.
TEST(ServerConfig, ToJsonRoundTrips) {
  json j = Base();
  j["generation"] = 7;
  j["port"] = 8080;
  j["routingSeed"] = uint64_t{18446744073709551615u};
  j["scaleWorkers"] = true;
  j["localScoreRoute"] = true;
  j["maxConnections"] = 100;
  j["idleTimeoutMs"] = 1000;
  j["headerTimeoutMs"] = 2000;
  j["bodyTimeoutMs"] = 3000;
  j["maxBodyBytesInFlight"] = 200000000;
  j["requestLog"] = "/l/requests.jsonl";
  j["requestLogMaxBytes"] = 0;
  j["requestLogKeep"] = 9;
  j["dataCollectionDir"] = "/d";
  j["portFile"] = "/p";
  j["metricsAddress"] = "0.0.0.0";
  j["metricsPort"] = 9090;
  j["metricsPortFile"] = "/m";
  j["deploymentConfig"] = {{"authEnabled", true}};
  j["auth"] = {{"plugin", "default"},
               {"options", {{"workspace", "w"}}},
               {"keySha256", {std::string(64, 'a')}}};
  j["versions"][0]["sha256"] = std::string(64, 'b');
  j["versions"][0]["model"] = {{"name", "mlp"}, {"version", 3}};
  auto first = ParseServerConfig(j.dump());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const json written = ToJson(*first);
  auto second = ParseServerConfig(written.dump());
  ASSERT_TRUE(second.ok()) << second.status().ToString() << "\n" << written.dump(2);
  EXPECT_EQ(ToJson(*second), written);
  EXPECT_EQ(second->routing_seed, uint64_t{18446744073709551615u});
  EXPECT_TRUE(second->scale_workers);
  EXPECT_FALSE(ServerConfig().scale_workers) << "off unless the target asks (Kubernetes: the HPA)";
  EXPECT_EQ(second->request_log_keep, 9);
  EXPECT_EQ(second->max_body_bytes_in_flight, 200000000u);
  EXPECT_EQ(second->versions[0].sha256, std::string(64, 'b'));
  EXPECT_EQ(second->versions[0].model_name, "mlp");
  EXPECT_EQ(second->versions[0].model_version, 3);
  EXPECT_EQ(second->auth_options, json({{"workspace", "w"}}));
  EXPECT_EQ(second->metrics_address, "0.0.0.0");
  EXPECT_EQ(second->metrics_port, 9090);
  EXPECT_EQ(second->metrics_port_file, "/m");
}

// Issue 23.3: the log keys round-trip, default to text/info/no access log,
// and a value they do not take is refused naming the key and the values.
TEST(ServerConfig, LogKeysRoundTripAndRefuseWhatTheyDoNotTake) {
  const ServerConfig defaults = ParseServerConfig(Base().dump()).value();
  EXPECT_EQ(defaults.log_format, log::Format::kText);
  EXPECT_EQ(defaults.log_level, log::Level::kInfo);
  EXPECT_EQ(defaults.access_log, "");
  EXPECT_FALSE(ToJson(defaults).contains("logFormat")) << "defaults are not written";
  json j = Base();
  j["logFormat"] = "json";
  j["logLevel"] = "warning";
  j["accessLog"] = "stdout";
  j["accessLogMaxBytes"] = 1024;
  j["accessLogKeep"] = 3;
  auto first = ParseServerConfig(j.dump());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->log_format, log::Format::kJson);
  EXPECT_EQ(first->log_level, log::Level::kWarning);
  EXPECT_EQ(first->access_log, "stdout");
  EXPECT_EQ(first->access_log_max_bytes, 1024u);
  EXPECT_EQ(first->access_log_keep, 3);
  auto second = ParseServerConfig(ToJson(*first).dump());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(ToJson(*second), ToJson(*first));
  for (const auto& [key, value, says] :
       std::vector<std::tuple<std::string, json, std::string>>{
           {"logFormat", "xml", "`$.logFormat` must be \"text\" or \"json\""},
           {"logLevel", "loud", "`$.logLevel` must be \"debug\", \"info\""},
           {"accessLogKeep", 0, "`$.accessLogKeep` must be 1-100"}}) {
    json bad = Base();
    bad[key] = value;
    auto refused = ParseServerConfig(bad.dump());
    ASSERT_FALSE(refused.ok()) << key;
    EXPECT_NE(refused.status().message().find(says), std::string::npos)
        << refused.status().message();
  }
}

// Issue 19.3: metrics have a listener of their own, loopback unless the
// config says otherwise, so the public port never serves them.
TEST(ServerConfig, MetricsListenOnLoopbackByDefaultAndThePortIsChecked) {
  auto parsed = ParseServerConfig(Base().dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->metrics_address, "127.0.0.1");
  EXPECT_EQ(parsed->metrics_port, 0);
  EXPECT_TRUE(parsed->metrics_port_file.empty());
  json j = Base();
  j["metricsPort"] = 70000;
  EXPECT_NE(ErrorOf(j.dump()).find("`$.metricsPort` must be 0-65535"), std::string::npos);
  j = Base();
  j["metricPort"] = 1;
  EXPECT_NE(ErrorOf(j.dump()).find("metricsPort"), std::string::npos) << "did-you-mean names it";
}

// Issue 21.4: an endpoint version's own deployment config travels in
// server.json and is validated like a deploymentconfig.json.
TEST(ServerConfig, AVersionsOwnDeploymentConfigRoundTripsAndIsValidated) {
  json j = Base();
  j["versions"][0]["deploymentConfig"] = {{"numReplicas", 2},
                                          {"maxConcurrentRequestsPerContainer", 3}};
  auto parsed = ParseServerConfig(j.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_TRUE(parsed->versions[0].deployment.has_value());
  EXPECT_EQ(parsed->versions[0].deployment->max_concurrent_requests_per_container, 3);
  EXPECT_EQ(parsed->versions[0].Effective(parsed->deployment).num_replicas, 2);
  auto again = ParseServerConfig(ToJson(*parsed).dump());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ToJson(*again), ToJson(*parsed));
  // Without one, a version runs the server's.
  j = Base();
  auto plain = ParseServerConfig(j.dump());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->versions[0].deployment.has_value());
  j["versions"][0]["deploymentConfig"] = {{"numReplicas", 0}};
  const std::string error = ErrorOf(j.dump());
  EXPECT_NE(error.find("versions[0].deploymentConfig"), std::string::npos) << error;
  EXPECT_NE(error.find("numReplicas"), std::string::npos) << error;
}

TEST(ServerConfig, AMissingFileIsNotFoundAndNamed) {
  auto read = ReadServerConfigFile("/nonexistent/server.json");
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("/nonexistent/server.json"), std::string::npos);
}

// Issue 19 item 1: the `tls` block, typed, round-tripped and checked.
TEST(ServerConfig, TlsBlockRoundTripsAndNamesItsFields) {
  json with = Base();
  with["tls"] = {{"certFile", "/c.pem"}, {"keyFile", "/k.pem"}, {"handshakeTimeoutMs", 5000}};
  auto parsed = ParseServerConfig(with.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_TRUE(parsed->tls.has_value());
  EXPECT_EQ(parsed->tls->cert_file, "/c.pem");
  EXPECT_EQ(parsed->tls->key_file, "/k.pem");
  EXPECT_EQ(parsed->tls->handshake_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(parsed->tls->reload_check, std::chrono::milliseconds(2000));
  EXPECT_EQ(parsed->tls->max_handshakes, 1024);
  auto again = ParseServerConfig(ToJson(*parsed).dump());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ToJson(*again), ToJson(*parsed));
  EXPECT_FALSE(ParseServerConfig(Base().dump())->tls.has_value()) << "absent: plain http";
  EXPECT_FALSE(ToJson(*ParseServerConfig(Base().dump())).contains("tls"));

  json no_key = Base();
  no_key["tls"] = {{"certFile", "/c.pem"}};
  EXPECT_NE(ErrorOf(no_key.dump()).find("`$.tls.keyFile` is required"), std::string::npos);
  json typo = Base();
  typo["tls"] = {{"certFile", "/c.pem"}, {"keyFile", "/k.pem"}, {"handshakeTimeout", 1}};
  EXPECT_NE(ErrorOf(typo.dump()).find("did you mean `handshakeTimeoutMs`?"), std::string::npos);
  json fast = Base();
  fast["tls"] = {{"certFile", "/c.pem"}, {"keyFile", "/k.pem"}, {"handshakeTimeoutMs", 1}};
  EXPECT_NE(ErrorOf(fast.dump()).find("`$.tls.handshakeTimeoutMs` must be 100-600000"),
            std::string::npos);
}

// Issue 20 item 3: the `grpc` block, typed, round-tripped, off by default,
// its message limit defaulting to the HTTP body limit.
TEST(ServerConfig, GrpcBlockRoundTripsDefaultsAndNamesItsFields) {
  EXPECT_FALSE(ParseServerConfig(Base().dump())->grpc.has_value()) << "absent: no gRPC";
  EXPECT_FALSE(ToJson(*ParseServerConfig(Base().dump())).contains("grpc"));
  json with = Base();
  with["deploymentConfig"] = {{"authEnabled", false}, {"maxRequestBodyBytes", 4096}};
  with["grpc"] = {{"port", 0}, {"portFile", "/run/grpc-port"}};
  auto parsed = ParseServerConfig(with.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_TRUE(parsed->grpc.has_value());
  EXPECT_EQ(parsed->grpc->port_file, "/run/grpc-port");
  EXPECT_EQ(parsed->grpc->max_concurrent_streams, 100);
  EXPECT_EQ(parsed->grpc->max_calls_in_flight, 1024);
  EXPECT_EQ(parsed->grpc_max_message_bytes(), 4096) << "defaults to maxRequestBodyBytes";
  auto again = ParseServerConfig(ToJson(*parsed).dump());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ToJson(*again), ToJson(*parsed));
  with["grpc"]["maxMessageBytes"] = 1000;
  EXPECT_EQ(ParseServerConfig(with.dump())->grpc_max_message_bytes(), 1000);

  json typo = Base();
  typo["grpc"] = {{"maxMessageByte", 1}};
  EXPECT_NE(ErrorOf(typo.dump()).find("did you mean `maxMessageBytes`?"), std::string::npos);
  json zero = Base();
  zero["grpc"] = {{"maxCallsInFlight", 0}};
  EXPECT_NE(ErrorOf(zero.dump()).find("`$.grpc.maxCallsInFlight` must be 1-1000000"),
            std::string::npos);
  json port = Base();
  port["grpc"] = {{"port", 70000}};
  EXPECT_NE(ErrorOf(port.dump()).find("`$.grpc.port` must be 0-65535"), std::string::npos);
}

}  // namespace
}  // namespace skiff::config

namespace skiff::config {
namespace {

// inlineScoring (run to completion): "auto" by default, the three words
// round-trip, anything else is refused naming the field and the choices.
TEST(ServerConfig, InlineScoringTakesAutoOnOrOffAndNamesTheFieldOtherwise) {
  auto parsed = ParseServerConfig(Base().dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->inline_scoring, ServerConfig::InlineScoring::kAuto);
  for (const auto& [word, mode] :
       {std::pair{"auto", ServerConfig::InlineScoring::kAuto},
        std::pair{"on", ServerConfig::InlineScoring::kOn},
        std::pair{"off", ServerConfig::InlineScoring::kOff}}) {
    json j = Base();
    j["inlineScoring"] = word;
    auto one = ParseServerConfig(j.dump());
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    EXPECT_EQ(one->inline_scoring, mode) << word;
    EXPECT_EQ(ToJson(*one)["inlineScoring"], word);
  }
  json bad = Base();
  bad["inlineScoring"] = "sometimes";
  EXPECT_NE(ErrorOf(bad.dump()).find(
                R"(`$.inlineScoring` must be "auto", "on" or "off" (got "sometimes"))"),
            std::string::npos)
      << ErrorOf(bad.dump());
}

}  // namespace
}  // namespace skiff::config
