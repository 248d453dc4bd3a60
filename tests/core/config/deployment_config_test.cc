// SPDX-License-Identifier: Apache-2.0
#include "skiff/config/deployment_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config_test_util.h"

namespace skiff::config {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------
// Every default, one row each: JSON pointer into ToJson(Parse("{}")) and the
// documented value.
struct DefaultRow {
  const char* pointer;
  json expected;
};
void PrintTo(const DefaultRow& row, std::ostream* os) { *os << row.pointer; }

class ConfigDeploymentDefaultTest : public ::testing::TestWithParam<DefaultRow> {};

TEST_P(ConfigDeploymentDefaultTest, EmptyDocumentGetsDocumentedDefault) {
  auto config = ParseDeploymentConfig("{}");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const json out = ToJson(*config);
  const json::json_pointer pointer(GetParam().pointer);
  ASSERT_TRUE(out.contains(pointer)) << out.dump(2);
  EXPECT_EQ(out.at(pointer), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, ConfigDeploymentDefaultTest,
    ::testing::Values(
        DefaultRow{"/computeType", "local"}, DefaultRow{"/containerResourceRequirements/cpu", 0.1},
        DefaultRow{"/containerResourceRequirements/memoryInGB", 0.5},
        DefaultRow{"/containerResourceRequirements/gpu", 0},
        DefaultRow{"/autoScaler/autoscaleEnabled", true}, DefaultRow{"/autoScaler/minReplicas", 1},
        DefaultRow{"/autoScaler/maxReplicas", 10},
        DefaultRow{"/autoScaler/refreshPeriodInSeconds", 1},
        DefaultRow{"/autoScaler/targetUtilization", 70}, DefaultRow{"/authEnabled", true},
        DefaultRow{"/tokenAuthEnabled", false}, DefaultRow{"/appInsightsEnabled", false},
        DefaultRow{"/scoringTimeoutMs", 60000}, DefaultRow{"/maxConcurrentRequestsPerContainer", 1},
        DefaultRow{"/maxQueueWaitMs", 500},
        DefaultRow{"/livenessProbeRequirements/periodSeconds", 10},
        DefaultRow{"/livenessProbeRequirements/initialDelaySeconds", 310},
        DefaultRow{"/livenessProbeRequirements/timeoutSeconds", 2},
        DefaultRow{"/livenessProbeRequirements/successThreshold", 1},
        DefaultRow{"/livenessProbeRequirements/failureThreshold", 3},
        DefaultRow{"/dataCollection/storageEnabled", false}, DefaultRow{"/tags", json::object()},
        DefaultRow{"/properties", json::object()}, DefaultRow{"/description", ""},
        DefaultRow{"/maxRequestBodyBytes", 104857600}));

TEST(ConfigDeploymentDefaultsTest, OptionalFieldsAreUnsetByDefault) {
  auto config = ParseDeploymentConfig("{}");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->container_resource_requirements.cpu_limit.has_value());
  EXPECT_FALSE(config->container_resource_requirements.memory_in_gb_limit.has_value());
  EXPECT_FALSE(config->num_replicas.has_value());
  EXPECT_FALSE(config->keys.primary_key.has_value());
  EXPECT_FALSE(config->keys.secondary_key.has_value());
  EXPECT_FALSE(config->kubernetes_namespace.has_value());
  EXPECT_FALSE(config->port.has_value());
  const json out = ToJson(*config);
  for (const char* key : {"numReplicas", "keys", "namespace", "port"}) {
    EXPECT_FALSE(out.contains(key)) << key;
  }
  EXPECT_FALSE(out["containerResourceRequirements"].contains("cpuLimit"));
  EXPECT_FALSE(out["containerResourceRequirements"].contains("memoryInGBLimit"));
}

TEST(ConfigDeploymentDefaultsTest, StructDefaultsMatchParsedDefaults) {
  // A default-constructed struct and a parsed "{}" must agree.
  auto parsed = ParseDeploymentConfig("{}");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(ToJson(DeploymentConfig{}), ToJson(*parsed));
  EXPECT_TRUE(ValidateDeploymentConfig(DeploymentConfig{}).ok());
}

TEST(ConfigDeploymentDefaultsTest, NumReplicasTurnsAutoscaleOffByDefault) {
  auto config = ParseDeploymentConfig(R"({"numReplicas": 3})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->auto_scaler.autoscale_enabled);
  EXPECT_EQ(config->num_replicas, 3);
}

TEST(ConfigDeploymentDefaultsTest, ExplicitAutoscaleFalseWithoutReplicas) {
  auto config = ParseDeploymentConfig(R"({"autoScaler": {"autoscaleEnabled": false}})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->auto_scaler.autoscale_enabled);
  EXPECT_FALSE(config->num_replicas.has_value());
}

TEST(ConfigDeploymentDefaultsTest, ExplicitAutoscaleFalseWithReplicasIsFine) {
  auto config =
      ParseDeploymentConfig(R"({"autoScaler": {"autoscaleEnabled": false}, "numReplicas": 2})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->auto_scaler.autoscale_enabled);
  EXPECT_EQ(config->num_replicas, 2);
}

TEST(ConfigDeploymentDefaultsTest, TokenAuthWithKeyAuthOff) {
  auto config = ParseDeploymentConfig(R"({"authEnabled": false, "tokenAuthEnabled": true})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->auth_enabled);
  EXPECT_TRUE(config->token_auth_enabled);
}

// Azure ML's snippet `{"tokenAuthEnabled": true}` deploys with token auth: the
// default authEnabled=true yields to tokens unless authEnabled is given.
TEST(ConfigDeploymentDefaultsTest, TokenAuthAloneTurnsKeyAuthOff) {
  auto config = ParseDeploymentConfig(R"({"tokenAuthEnabled": true})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->auth_enabled);
  EXPECT_TRUE(config->token_auth_enabled);
  // The stored form names both flags, and reads back the same.
  const json stored = ToJson(*config);
  EXPECT_EQ(stored["authEnabled"], false);
  auto again = ParseDeploymentConfig(stored.dump());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ToJson(*again), stored);
}

TEST(ConfigDeploymentDefaultsTest, TokenAuthFalseKeepsKeyAuthDefault) {
  auto config = ParseDeploymentConfig(R"({"tokenAuthEnabled": false})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->auth_enabled);
  EXPECT_FALSE(config->token_auth_enabled);
}

// Azure ML documents the GPU count as `gpuCores` (the SDK's gpu_cores): its
// snippets work here, and the config is stored and shown with skiff's `gpu`.
TEST(ConfigDeploymentParseTest, GpuCoresIsAzureNameForGpu) {
  auto config = ParseDeploymentConfig(R"({"containerResourceRequirements": {"gpuCores": 2}})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->container_resource_requirements.gpu, 2);
  const json stored = ToJson(*config);
  EXPECT_EQ(stored["containerResourceRequirements"]["gpu"], 2);
  EXPECT_FALSE(stored["containerResourceRequirements"].contains("gpuCores"));
}

// ---------------------------------------------------------------------------
// Every rule, one row each: input, and a substring of the error that names the
// JSON path (and, where there is one, the fix).
struct ErrorRow {
  const char* name;
  std::string json_text;
  std::string expected;
};
void PrintTo(const ErrorRow& row, std::ostream* os) { *os << row.name; }

std::string RowName(const ::testing::TestParamInfo<ErrorRow>& info) { return info.param.name; }

class ConfigDeploymentErrorTest : public ::testing::TestWithParam<ErrorRow> {};

TEST_P(ConfigDeploymentErrorTest, IsRejectedWithPathAndFix) {
  auto config = ParseDeploymentConfig(GetParam().json_text);
  ASSERT_FALSE(config.ok()) << "accepted: " << GetParam().json_text;
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(GetParam().expected), std::string::npos)
      << "message: " << config.status().message() << "\nexpected: " << GetParam().expected;
  EXPECT_EQ(config.status().message().rfind("deployment config: ", 0), 0u)
      << config.status().message();
}

const std::string kLongKey(32, 'k');

INSTANTIATE_TEST_SUITE_P(
    Rules, ConfigDeploymentErrorTest,
    ::testing::Values(
        // Auth.
        ErrorRow{"KeyAndTokenAuthBothExplicit",
                 R"({"authEnabled": true, "tokenAuthEnabled": true})",
                 "`$.tokenAuthEnabled` and `$.authEnabled` are both true, but key and token "
                 "authentication are exclusive; set `authEnabled` to false (or leave it out)"},
        // Scaling.
        ErrorRow{"AutoscaleWithNumReplicas",
                 R"({"autoScaler": {"autoscaleEnabled": true}, "numReplicas": 2})",
                 "`$.numReplicas` cannot be given while `$.autoScaler.autoscaleEnabled` is true; "
                 "remove numReplicas"},
        ErrorRow{"MinAboveMax", R"({"autoScaler": {"minReplicas": 5, "maxReplicas": 2}})",
                 "`$.autoScaler.minReplicas` (5) must be <= `$.autoScaler.maxReplicas` (2); "
                 "lower minReplicas or raise maxReplicas"},
        ErrorRow{"MinAboveDefaultMax", R"({"autoScaler": {"minReplicas": 11}})",
                 "`$.autoScaler.minReplicas` (11) must be <= `$.autoScaler.maxReplicas` (10)"},
        ErrorRow{"MinReplicasZero", R"({"autoScaler": {"minReplicas": 0}})",
                 "`$.autoScaler.minReplicas` must be between 1 and 2147483647, got 0"},
        ErrorRow{"MaxReplicasZero", R"({"autoScaler": {"maxReplicas": 0}})",
                 "`$.autoScaler.maxReplicas` must be between 1 and 2147483647, got 0"},
        ErrorRow{"RefreshPeriodZero", R"({"autoScaler": {"refreshPeriodInSeconds": 0}})",
                 "`$.autoScaler.refreshPeriodInSeconds` must be between 1 and 2147483647, got 0"},
        ErrorRow{"TargetUtilizationZero", R"({"autoScaler": {"targetUtilization": 0}})",
                 "`$.autoScaler.targetUtilization` must be between 1 and 100, got 0"},
        ErrorRow{"TargetUtilizationAbove100", R"({"autoScaler": {"targetUtilization": 101}})",
                 "`$.autoScaler.targetUtilization` must be between 1 and 100, got 101"},
        ErrorRow{"NumReplicasZero", R"({"numReplicas": 0})",
                 "`$.numReplicas` must be between 1 and 2147483647, got 0"},
        ErrorRow{"NumReplicasAboveInt32", R"({"numReplicas": 3000000000})",
                 "`$.numReplicas` must be between 1 and 2147483647, got 3000000000"},
        // Resources.
        ErrorRow{"CpuZero", R"({"containerResourceRequirements": {"cpu": 0}})",
                 "`$.containerResourceRequirements.cpu` must be greater than 0, got 0"},
        ErrorRow{"CpuNegative", R"({"containerResourceRequirements": {"cpu": -0.5}})",
                 "`$.containerResourceRequirements.cpu` must be greater than 0, got -0.5"},
        ErrorRow{"MemoryZero", R"({"containerResourceRequirements": {"memoryInGB": 0}})",
                 "`$.containerResourceRequirements.memoryInGB` must be greater than 0, got 0"},
        ErrorRow{"GpuNegative", R"({"containerResourceRequirements": {"gpu": -1}})",
                 "`$.containerResourceRequirements.gpu` must be between 0 and 2147483647, got -1"},
        ErrorRow{"GpuFraction", R"({"containerResourceRequirements": {"gpu": 0.5}})",
                 "`$.containerResourceRequirements.gpu` must be an integer, got 0.5"},
        ErrorRow{"GpuAndGpuCoresBoth",
                 R"({"containerResourceRequirements": {"gpu": 1, "gpuCores": 1}})",
                 "`$.containerResourceRequirements.gpu` and "
                 "`$.containerResourceRequirements.gpuCores` are two names for the GPUs per "
                 "replica; give only one of them"},
        ErrorRow{"GpuCoresNegative", R"({"containerResourceRequirements": {"gpuCores": -1}})",
                 "`$.containerResourceRequirements.gpuCores` must be between 0 and 2147483647, "
                 "got -1"},
        ErrorRow{"CpuLimitZero", R"({"containerResourceRequirements": {"cpuLimit": 0}})",
                 "`$.containerResourceRequirements.cpuLimit` must be greater than 0, got 0"},
        ErrorRow{"CpuLimitBelowCpu",
                 R"({"containerResourceRequirements": {"cpu": 2, "cpuLimit": 1.5}})",
                 "`$.containerResourceRequirements.cpuLimit` (1.5) must be >= `cpu` (2.0); raise "
                 "cpuLimit or lower cpu"},
        ErrorRow{"CpuLimitBelowDefaultCpu",
                 R"({"containerResourceRequirements": {"cpuLimit": 0.05}})",
                 "`$.containerResourceRequirements.cpuLimit` (0.05) must be >= `cpu` (0.1)"},
        ErrorRow{"MemoryLimitZero", R"({"containerResourceRequirements": {"memoryInGBLimit": 0}})",
                 "`$.containerResourceRequirements.memoryInGBLimit` must be greater than 0, got 0"},
        ErrorRow{"MemoryLimitBelowMemory",
                 R"({"containerResourceRequirements": {"memoryInGBLimit": 0.25}})",
                 "`$.containerResourceRequirements.memoryInGBLimit` (0.25) must be >= "
                 "`memoryInGB` (0.5); raise memoryInGBLimit or lower memoryInGB"},
        // Timeouts and queues.
        ErrorRow{"ScoringTimeoutZero", R"({"scoringTimeoutMs": 0})",
                 "`$.scoringTimeoutMs` must be between 1 and 300000, got 0"},
        ErrorRow{"ScoringTimeoutAboveFiveMinutes", R"({"scoringTimeoutMs": 300001})",
                 "`$.scoringTimeoutMs` must be between 1 and 300000, got 300001"},
        ErrorRow{"MaxConcurrentZero", R"({"maxConcurrentRequestsPerContainer": 0})",
                 "`$.maxConcurrentRequestsPerContainer` must be between 1 and 2147483647, got 0"},
        ErrorRow{"MaxQueueWaitZero", R"({"maxQueueWaitMs": 0})",
                 "`$.maxQueueWaitMs` must be between 1 and 2147483647, got 0"},
        ErrorRow{"MaxRequestBodyZero", R"({"maxRequestBodyBytes": 0})",
                 "`$.maxRequestBodyBytes` must be at least 1, got 0"},
        ErrorRow{"MaxRequestBodyAboveInt64", R"({"maxRequestBodyBytes": 18446744073709551615})",
                 "`$.maxRequestBodyBytes` must be at least 1, got 18446744073709551615"},
        // Liveness probe.
        ErrorRow{"ProbePeriodZero", R"({"livenessProbeRequirements": {"periodSeconds": 0}})",
                 "`$.livenessProbeRequirements.periodSeconds` must be between 1 and 2147483647, "
                 "got 0"},
        ErrorRow{"ProbeInitialDelayZero",
                 R"({"livenessProbeRequirements": {"initialDelaySeconds": 0}})",
                 "`$.livenessProbeRequirements.initialDelaySeconds` must be between 1 and "
                 "2147483647, got 0"},
        ErrorRow{"ProbeTimeoutZero", R"({"livenessProbeRequirements": {"timeoutSeconds": 0}})",
                 "`$.livenessProbeRequirements.timeoutSeconds` must be between 1 and 2147483647, "
                 "got 0"},
        ErrorRow{"ProbeSuccessZero", R"({"livenessProbeRequirements": {"successThreshold": 0}})",
                 "`$.livenessProbeRequirements.successThreshold` must be between 1 and "
                 "2147483647, got 0"},
        ErrorRow{"ProbeFailureZero", R"({"livenessProbeRequirements": {"failureThreshold": 0}})",
                 "`$.livenessProbeRequirements.failureThreshold` must be between 1 and "
                 "2147483647, got 0"},
        // Namespace.
        ErrorRow{"NamespaceUppercase", R"({"namespace": "Prod"})",
                 "`$.namespace` \"Prod\" contains 'P'; use a DNS-1123 label"},
        ErrorRow{"NamespaceUnderscore", R"({"namespace": "my_ns"})",
                 "`$.namespace` \"my_ns\" contains '_'"},
        ErrorRow{"NamespaceLeadingDash", R"({"namespace": "-prod"})",
                 "`$.namespace` \"-prod\" must start and end with a letter or digit"},
        ErrorRow{"NamespaceTrailingDash", R"({"namespace": "prod-"})",
                 "`$.namespace` \"prod-\" must start and end with a letter or digit"},
        ErrorRow{"NamespaceTooLong", "{\"namespace\": \"" + std::string(64, 'a') + "\"}",
                 "`$.namespace` is 64 characters long; use a DNS-1123 label"},
        ErrorRow{"NamespaceEmpty", R"({"namespace": ""})", "`$.namespace` must not be empty"},
        // Keys.
        ErrorRow{"PrimaryKeyShort", R"({"keys": {"primaryKey": "short"}})",
                 "`$.keys.primaryKey` must be at least 32 characters, got 5; use a random key"},
        ErrorRow{"SecondaryKeyShort",
                 "{\"keys\": {\"primaryKey\": \"" + kLongKey + "\", \"secondaryKey\": \"abc\"}}",
                 "`$.keys.secondaryKey` must be at least 32 characters, got 3"},
        // Compute type and port.
        ErrorRow{"ComputeTypeUnknown", R"({"computeType": "AKS"})",
                 "`$.computeType` must be a compute plugin's name (\"local\", \"aks\" or "
                 "another installed libskiff_compute_<name>.so"},
        ErrorRow{"PortZero", R"({"port": 0})", "`$.port` must be between 1 and 65535, got 0"},
        ErrorRow{"PortTooLarge", R"({"port": 65536})",
                 "`$.port` must be between 1 and 65535, got 65536"},
        ErrorRow{"PortOnAks", R"({"computeType": "aks", "port": 8080})",
                 "`$.port` applies only to computeType \"local\"; remove it for \"aks\""},
        // Wrong types.
        ErrorRow{"RootNotObject", "[1, 2]", "`$` must be an object, got array"},
        ErrorRow{"TimeoutAsString", R"({"scoringTimeoutMs": "60000"})",
                 "`$.scoringTimeoutMs` must be an integer, got string"},
        ErrorRow{"TimeoutNonIntegral", R"({"scoringTimeoutMs": 2.5})",
                 "`$.scoringTimeoutMs` must be an integer, got 2.5"},
        ErrorRow{"TimeoutBoolean", R"({"scoringTimeoutMs": true})",
                 "`$.scoringTimeoutMs` must be an integer, got boolean"},
        ErrorRow{"AuthEnabledAsString", R"({"authEnabled": "true"})",
                 "`$.authEnabled` must be a boolean (true or false), got string"},
        ErrorRow{"CpuAsString", R"({"containerResourceRequirements": {"cpu": "1"}})",
                 "`$.containerResourceRequirements.cpu` must be a number, got string"},
        ErrorRow{"AutoScalerAsArray", R"({"autoScaler": []})",
                 "`$.autoScaler` must be an object, got array"},
        ErrorRow{"KeysAsString", R"({"keys": "abc"})", "`$.keys` must be an object, got string"},
        ErrorRow{"PrimaryKeyAsNumber", R"({"keys": {"primaryKey": 5}})",
                 "`$.keys.primaryKey` must be a string, got integer"},
        ErrorRow{"NamespaceNull", R"({"namespace": null})",
                 "`$.namespace` must be a string, got null"},
        ErrorRow{"DescriptionNumber", R"({"description": 5})",
                 "`$.description` must be a string, got integer"},
        ErrorRow{"StorageEnabledNumber", R"({"dataCollection": {"storageEnabled": 1}})",
                 "`$.dataCollection.storageEnabled` must be a boolean (true or false), got "
                 "integer"},
        ErrorRow{"TagsArray", R"({"tags": ["a"]})", "`$.tags` must be an object, got array"},
        ErrorRow{"TagValueNumber", R"({"tags": {"team": 1}})",
                 "`$.tags.team` must be a string, got integer"},
        ErrorRow{"TagKeyWithSpace", R"({"tags": {"cost center": 1}})",
                 "`$.tags[\"cost center\"]` must be a string, got integer"},
        ErrorRow{"PropertyValueObject", R"({"properties": {"owner": {}}})",
                 "`$.properties.owner` must be a string, got object"},
        // Unknown keys.
        ErrorRow{"UnknownNestedKeyTypo", R"({"autoScaler": {"minReplica": 1}})",
                 "unknown key `$.autoScaler.minReplica`; did you mean `minReplicas`?"},
        ErrorRow{"UnknownKeyWrongCase", R"({"scoringTimeoutMS": 1000})",
                 "unknown key `$.scoringTimeoutMS`; did you mean `scoringTimeoutMs`?"},
        ErrorRow{"UnknownResourceKey", R"({"containerResourceRequirements": {"memoryInGb": 1}})",
                 "unknown key `$.containerResourceRequirements.memoryInGb`; did you mean "
                 "`memoryInGB`?"},
        ErrorRow{"UnknownProbeKey", R"({"livenessProbeRequirements": {"periodSecond": 5}})",
                 "unknown key `$.livenessProbeRequirements.periodSecond`; did you mean "
                 "`periodSeconds`?"},
        ErrorRow{"UnknownKeyNoSuggestion", R"({"dataCollection": {"enabled": true}})",
                 "unknown key `$.dataCollection.enabled`; allowed keys here: storageEnabled"},
        ErrorRow{"UnknownTopLevelKey", R"({"replicas": 2, "numReplicas": 2})",
                 "unknown key `$.replicas`"},
        ErrorRow{"UnknownKeysKey", R"({"keys": {"tertiaryKey": "x"}})",
                 "unknown key `$.keys.tertiaryKey`"},
        // Malformed JSON.
        ErrorRow{"MalformedUnterminated", "{", "malformed JSON at line 1, column 2 (byte 1)"},
        ErrorRow{"MalformedSecondLine", "{\n  \"numReplicas\": ,\n}",
                 "malformed JSON at line 2, column 18 (byte 19)"},
        ErrorRow{"MalformedEmpty", "", "malformed JSON at line 1, column 1 (byte 0)"},
        ErrorRow{"MalformedTrailingGarbage", "{} x", "malformed JSON at line 1, column 4"},
        // Found by fuzz/deployment_config_fuzzer.cc: used to throw out of the parser.
        ErrorRow{"NumberTooLargeForDouble", R"({"containerResourceRequirements": {"cpu": 5e308}})",
                 "malformed JSON: number overflow parsing '5e308'; numbers must fit in a double"},
        ErrorRow{"DuplicateKey", R"({"numReplicas": 1, "numReplicas": 2})",
                 "duplicate key \"numReplicas\" in one JSON object"}),
    RowName);

// ---------------------------------------------------------------------------
// Accepted edge values.

TEST(ConfigDeploymentParseTest, IntegralFloatIsAnInteger) {
  auto config = ParseDeploymentConfig(R"({"numReplicas": 3.0, "scoringTimeoutMs": 1e3})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->num_replicas, 3);
  EXPECT_EQ(config->scoring_timeout_ms, 1000);
}

TEST(ConfigDeploymentParseTest, BoundaryValuesAreAccepted) {
  auto config = ParseDeploymentConfig(
      R"({"scoringTimeoutMs": 300000, "port": 65535, "namespace": ")" + std::string(63, 'a') +
      R"(", "autoScaler": {"minReplicas": 4, "maxReplicas": 4, "targetUtilization": 100},
          "containerResourceRequirements": {"cpu": 2, "cpuLimit": 2, "gpu": 0}})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->scoring_timeout_ms, 300000);
  EXPECT_EQ(config->port, 65535);
  EXPECT_EQ(config->kubernetes_namespace->size(), 63u);
  EXPECT_EQ(config->auto_scaler.min_replicas, 4);
  EXPECT_EQ(config->auto_scaler.target_utilization, 100);
  EXPECT_EQ(config->container_resource_requirements.cpu_limit, 2.0);
}

TEST(ConfigDeploymentParseTest, UnknownTopLevelKeyListsAllowedKeysWhenNoneIsClose) {
  auto config = ParseDeploymentConfig(R"({"zzzzzzzz": 1})");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "deployment config: unknown key `$.zzzzzzzz`; allowed keys here: computeType, "
            "containerResourceRequirements, autoScaler, authEnabled, tokenAuthEnabled, "
            "appInsightsEnabled, scoringTimeoutMs, maxConcurrentRequestsPerContainer, "
            "maxQueueWaitMs, numReplicas, keys, livenessProbeRequirements, namespace, "
            "dataCollection, tags, properties, description, port, maxRequestBodyBytes, routingKey, cors, "
            "grpc, shadowQueueSize, logFormat, logLevel");
}

// Issue 23: `logFormat` and `logLevel`, the words skiff-server's
// --log-format/--log-level take; defaults not written back (stored configs
// read as before); a wrong word names the key and the words allowed.
TEST(ConfigDeploymentParseTest, LogSettingsAreCheckedAndRoundTrip) {
  auto plain = ParseDeploymentConfig("{}");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->log_format, log::Format::kText);
  EXPECT_EQ(plain->log_level, log::Level::kInfo);
  EXPECT_FALSE(ToJson(*plain).contains("logFormat"));
  EXPECT_FALSE(ToJson(*plain).contains("logLevel"));

  auto set = ParseDeploymentConfig(R"({"logFormat": "json", "logLevel": "warning"})");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->log_format, log::Format::kJson);
  EXPECT_EQ(set->log_level, log::Level::kWarning);
  EXPECT_EQ(ToJson(*set)["logFormat"], "json");
  EXPECT_EQ(ToJson(*set)["logLevel"], "warning");

  auto format = ParseDeploymentConfig(R"({"logFormat": "xml"})");
  ASSERT_FALSE(format.ok());
  EXPECT_EQ(format.status().message(),
            "deployment config: `$.logFormat` must be \"text\" or \"json\", got \"xml\"");
  auto level = ParseDeploymentConfig(R"({"logLevel": "verbose"})");
  ASSERT_FALSE(level.ok());
  EXPECT_EQ(level.status().message(),
            "deployment config: `$.logLevel` must be \"debug\", \"info\", \"warning\" or "
            "\"error\", got \"verbose\"");
  EXPECT_FALSE(ParseDeploymentConfig(R"({"logLevel": 3})").ok());

  // An update may set one and reset it with null.
  auto updated = ApplyDeploymentUpdate(*plain, R"({"logLevel": "debug"})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->log_level, log::Level::kDebug);
  auto reset = ApplyDeploymentUpdate(*updated, R"({"logLevel": null})");
  ASSERT_TRUE(reset.ok()) << reset.status().ToString();
  EXPECT_EQ(reset->log_level, log::Level::kInfo);
}

// Issue 20 item 3: the skiff extension `grpc` ({"enabled": true}); off by
// default and then not written back.
TEST(ConfigDeploymentParseTest, GrpcExtensionIsOffByDefaultAndRoundTrips) {
  auto off = ParseDeploymentConfig("{}");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_FALSE(off->grpc_enabled);
  EXPECT_FALSE(ToJson(*off).contains("grpc"));
  auto on = ParseDeploymentConfig(R"({"grpc": {"enabled": true}})");
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->grpc_enabled);
  EXPECT_EQ(ToJson(*on)["grpc"], nlohmann::json({{"enabled", true}}));
  auto typo = ParseDeploymentConfig(R"({"grpc": {"enable": true}})");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean `enabled`?"), std::string::npos)
      << typo.status().message();
}

// A config with every field set away from its default.
const char kFullConfig[] = R"({
  "computeType": "aks",
  "containerResourceRequirements": {"cpu": 1.5, "memoryInGB": 4, "gpu": 1,
                                    "cpuLimit": 2, "memoryInGBLimit": 8},
  "autoScaler": {"autoscaleEnabled": true, "minReplicas": 2, "maxReplicas": 6,
                 "refreshPeriodInSeconds": 5, "targetUtilization": 50},
  "authEnabled": false,
  "tokenAuthEnabled": true,
  "appInsightsEnabled": true,
  "scoringTimeoutMs": 120000,
  "maxConcurrentRequestsPerContainer": 4,
  "maxQueueWaitMs": 2000,
  "keys": {"primaryKey": "0123456789abcdef0123456789abcdef",
           "secondaryKey": "fedcba9876543210fedcba9876543210"},
  "livenessProbeRequirements": {"periodSeconds": 20, "initialDelaySeconds": 60,
                                "timeoutSeconds": 5, "successThreshold": 2,
                                "failureThreshold": 6},
  "namespace": "skiff-prod",
  "dataCollection": {"storageEnabled": true},
  "tags": {"team": "vision", "cost center": "42"},
  "properties": {"owner": "ml-platform"},
  "description": "iris classifier",
  "maxRequestBodyBytes": 1048576,
  "cors": {"allowedOrigins": ["https://app.example.com", "http://localhost:3000"]},
  "grpc": {"enabled": true},
  "logFormat": "json",
  "logLevel": "debug"
})";

// Issue 17 item 3: the compute type is a plugin's name, not a closed set.
TEST(ConfigDeploymentParseTest, ComputeTypeIsAnyComputePluginName) {
  auto c = ParseDeploymentConfig(R"({"computeType": "my-cloud_2"})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->compute_type.name, "my-cloud_2");
  EXPECT_EQ(ToJson(*c)["computeType"], "my-cloud_2");
  auto port = ParseDeploymentConfig(R"({"computeType": "my-cloud_2", "port": 8080})");
  EXPECT_NE(port.status().message().find("only to computeType \"local\""), std::string::npos)
      << port.status().message();
  EXPECT_FALSE(ParseDeploymentConfig(R"({"computeType": "../x"})").ok());
}

TEST(ConfigDeploymentParseTest, EveryFieldIsRead) {
  auto c = ParseDeploymentConfig(kFullConfig);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->compute_type, ComputeType::kAks);
  EXPECT_EQ(c->container_resource_requirements.cpu, 1.5);
  EXPECT_EQ(c->container_resource_requirements.memory_in_gb, 4.0);
  EXPECT_EQ(c->container_resource_requirements.gpu, 1);
  EXPECT_EQ(c->container_resource_requirements.cpu_limit, 2.0);
  EXPECT_EQ(c->container_resource_requirements.memory_in_gb_limit, 8.0);
  EXPECT_TRUE(c->auto_scaler.autoscale_enabled);
  EXPECT_EQ(c->auto_scaler.min_replicas, 2);
  EXPECT_EQ(c->auto_scaler.max_replicas, 6);
  EXPECT_EQ(c->auto_scaler.refresh_period_in_seconds, 5);
  EXPECT_EQ(c->auto_scaler.target_utilization, 50);
  EXPECT_FALSE(c->auth_enabled);
  EXPECT_TRUE(c->token_auth_enabled);
  EXPECT_TRUE(c->app_insights_enabled);
  EXPECT_EQ(c->scoring_timeout_ms, 120000);
  EXPECT_EQ(c->max_concurrent_requests_per_container, 4);
  EXPECT_EQ(c->max_queue_wait_ms, 2000);
  EXPECT_FALSE(c->num_replicas.has_value());
  EXPECT_EQ(c->keys.primary_key, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(c->keys.secondary_key, "fedcba9876543210fedcba9876543210");
  EXPECT_EQ(c->liveness_probe_requirements.period_seconds, 20);
  EXPECT_EQ(c->liveness_probe_requirements.initial_delay_seconds, 60);
  EXPECT_EQ(c->liveness_probe_requirements.timeout_seconds, 5);
  EXPECT_EQ(c->liveness_probe_requirements.success_threshold, 2);
  EXPECT_EQ(c->liveness_probe_requirements.failure_threshold, 6);
  EXPECT_EQ(c->kubernetes_namespace, "skiff-prod");
  EXPECT_TRUE(c->data_collection.storage_enabled);
  EXPECT_EQ(c->tags,
            (std::map<std::string, std::string>{{"team", "vision"}, {"cost center", "42"}}));
  EXPECT_EQ(c->properties, (std::map<std::string, std::string>{{"owner", "ml-platform"}}));
  EXPECT_EQ(c->description, "iris classifier");
  EXPECT_FALSE(c->port.has_value());
  EXPECT_EQ(c->max_request_body_bytes, 1048576);
  EXPECT_EQ(c->cors.allowed_origins,
            (std::vector<std::string>{"https://app.example.com", "http://localhost:3000"}));
  EXPECT_EQ(c->log_format, log::Format::kJson);
  EXPECT_EQ(c->log_level, log::Level::kDebug);
}

// The server compares origins with the Origin header byte for byte: one
// written any other way would silently never match, so it is refused.
TEST(ConfigDeploymentParseTest, CorsOriginsAreWrittenAsBrowsersSendThem) {
  EXPECT_TRUE(ParseDeploymentConfig(R"({"cors": {"allowedOrigins": ["*"]}})").ok());
  EXPECT_TRUE(ParseDeploymentConfig(R"({"cors": {"allowedOrigins": ["http://[::1]:8080"]}})").ok());
  auto slash = ParseDeploymentConfig(R"({"cors": {"allowedOrigins": ["https://a.example/"]}})");
  EXPECT_NE(slash.status().message().find("`$.cors.allowedOrigins[0]` is \"https://a.example/\""),
            std::string::npos)
      << slash.status().message();
  EXPECT_NE(slash.status().message().find("did you mean \"https://a.example\"?"),
            std::string::npos);
  auto port = ParseDeploymentConfig(R"({"cors": {"allowedOrigins": ["https://a.example:443"]}})");
  EXPECT_NE(port.status().message().find("did you mean \"https://a.example\"?"),
            std::string::npos);
  EXPECT_FALSE(ParseDeploymentConfig(R"({"cors": {"allowedOrigins": ["a.example"]}})").ok());
  EXPECT_FALSE(ParseDeploymentConfig(R"({"cors": {"allowedOrigins": "https://a.example"}})").ok());
  auto typo = ParseDeploymentConfig(R"({"cors": {"allowedOrigin": ["*"]}})");
  EXPECT_NE(typo.status().message().find("allowedOrigins"), std::string::npos);
}

TEST(ConfigDeploymentRoundTripTest, FullConfigRoundTrips) {
  auto first = ParseDeploymentConfig(kFullConfig);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const json out = ToJson(*first);
  EXPECT_EQ(out, json::parse(kFullConfig));  // Every field set, so nothing is added.
  auto second = ParseDeploymentConfig(out.dump());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(ToJson(*second), out);
}

TEST(ConfigDeploymentRoundTripTest, DefaultsAndFixedReplicasRoundTrip) {
  for (const char* text : {"{}", R"({"numReplicas": 3, "port": 8080})",
                           R"({"autoScaler": {"autoscaleEnabled": false}})"}) {
    auto first = ParseDeploymentConfig(text);
    ASSERT_TRUE(first.ok()) << text << ": " << first.status().ToString();
    auto second = ParseDeploymentConfig(ToJson(*first).dump());
    ASSERT_TRUE(second.ok()) << text << ": " << second.status().ToString();
    EXPECT_EQ(ToJson(*second), ToJson(*first)) << text;
    EXPECT_EQ(second->num_replicas, first->num_replicas) << text;
    EXPECT_EQ(second->auto_scaler.autoscale_enabled, first->auto_scaler.autoscale_enabled);
  }
}

TEST(ConfigDeploymentValidateTest, RejectsHandBuiltConfigBreakingARule) {
  DeploymentConfig config;
  config.auto_scaler.min_replicas = 3;
  config.auto_scaler.max_replicas = 2;
  const Status status = ValidateDeploymentConfig(config);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("`$.autoScaler.minReplicas` (3) must be <="), std::string::npos)
      << status.message();
}

// ---------------------------------------------------------------------------
// Files.

TEST(ConfigDeploymentFileTest, MissingFileIsNotFoundAndNamesThePath) {
  const std::string path = ::testing::TempDir() + "no_such_dir/deploymentconfig.json";
  auto config = ParseDeploymentConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_NE(config.status().message().find("'" + path + "' does not exist"), std::string::npos)
      << config.status().message();
}

TEST(ConfigDeploymentFileTest, DirectoryIsRejectedNamingThePath) {
  const std::string path = ::testing::TempDir();
  auto config = ParseDeploymentConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(path), std::string::npos) << config.status().message();
}

TEST(ConfigDeploymentFileTest, ErrorNamesFileAndJsonPath) {
  const std::string path = testing::WriteTempFile("dc.json", R"({"numReplicas": 0})");
  auto config = ParseDeploymentConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "deployment config '" + path +
                                           "': `$.numReplicas` must be between 1 and "
                                           "2147483647, got 0");
}

TEST(ConfigDeploymentFileTest, ValidFileParses) {
  const std::string path = testing::WriteTempFile("dc.json", R"({"numReplicas": 2})");
  auto config = ParseDeploymentConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->num_replicas, 2);
}

TEST(ConfigDeploymentFileTest, ExampleParses) {
  auto config =
      ParseDeploymentConfigFile(testing::SourcePath("examples/configs/deploymentconfig.json"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->compute_type, ComputeType::kLocal);
  EXPECT_EQ(config->port, 8890);
  EXPECT_TRUE(config->auth_enabled);
}

TEST(ConfigDeploymentDocsTest, EveryKeyIsDocumented) {
  const std::string doc = testing::ReadAll(testing::SourcePath("docs/deployment-config.md"));
  ASSERT_FALSE(doc.empty());
  auto config = ParseDeploymentConfig(kFullConfig);
  ASSERT_TRUE(config.ok());
  config->port.reset();
  json out = ToJson(*config);
  out["port"] = 1;
  out["numReplicas"] = 1;
  std::vector<std::string> keys;
  for (const auto& item : out.items()) {
    keys.push_back(item.key());
    if (item.value().is_object() && item.key() != "tags" && item.key() != "properties") {
      for (const auto& inner : item.value().items()) keys.push_back(inner.key());
    }
  }
  for (const std::string& key : keys) {
    EXPECT_NE(doc.find("`" + key + "`"), std::string::npos) << "undocumented key " << key;
  }
}

}  // namespace
}  // namespace skiff::config
