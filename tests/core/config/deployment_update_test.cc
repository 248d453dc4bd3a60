// SPDX-License-Identifier: Apache-2.0
// ApplyDeploymentUpdate: `service update -dc` semantics.
#include <gtest/gtest.h>

#include <string>

#include "skiff/config/deployment_config.h"

namespace skiff::config {
namespace {

using nlohmann::json;

DeploymentConfig Base() {
  auto c = ParseDeploymentConfig(R"({
    "autoScaler": {"minReplicas": 2, "maxReplicas": 4},
    "scoringTimeoutMs": 30000,
    "tags": {"team": "vision", "stage": "dev"},
    "port": 8890
  })");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

TEST(ConfigDeploymentUpdateTest, GivenKeysOverrideOthersStay) {
  const DeploymentConfig current = Base();
  auto updated = ApplyDeploymentUpdate(current, R"({"scoringTimeoutMs": 90000})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->scoring_timeout_ms, 90000);
  json expected = ToJson(current);
  expected["scoringTimeoutMs"] = 90000;
  EXPECT_EQ(ToJson(*updated), expected);
}

TEST(ConfigDeploymentUpdateTest, NestedObjectsMergeKeyByKey) {
  auto updated = ApplyDeploymentUpdate(Base(), R"({"autoScaler": {"maxReplicas": 8}})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->auto_scaler.max_replicas, 8);
  EXPECT_EQ(updated->auto_scaler.min_replicas, 2);
  EXPECT_TRUE(updated->auto_scaler.autoscale_enabled);
}

TEST(ConfigDeploymentUpdateTest, TagsMergeAndNullDeletes) {
  auto updated =
      ApplyDeploymentUpdate(Base(), R"({"tags": {"stage": null, "owner": "ml-platform"}})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->tags,
            (std::map<std::string, std::string>{{"team", "vision"}, {"owner", "ml-platform"}}));
}

TEST(ConfigDeploymentUpdateTest, NullResetsToDefault) {
  auto updated = ApplyDeploymentUpdate(Base(), R"({"scoringTimeoutMs": null, "port": null})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->scoring_timeout_ms, 60000);
  EXPECT_FALSE(updated->port.has_value());
}

TEST(ConfigDeploymentUpdateTest, NumReplicasTurnsAutoscaleOff) {
  auto updated = ApplyDeploymentUpdate(Base(), R"({"numReplicas": 3})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->num_replicas, 3);
  EXPECT_FALSE(updated->auto_scaler.autoscale_enabled);
}

TEST(ConfigDeploymentUpdateTest, AutoscaleOnDropsFixedReplicas) {
  auto fixed = ApplyDeploymentUpdate(Base(), R"({"numReplicas": 3})");
  ASSERT_TRUE(fixed.ok());
  auto updated = ApplyDeploymentUpdate(*fixed, R"({"autoScaler": {"autoscaleEnabled": true}})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_TRUE(updated->auto_scaler.autoscale_enabled);
  EXPECT_FALSE(updated->num_replicas.has_value());
}

TEST(ConfigDeploymentUpdateTest, NullNumReplicasReturnsToAutoscaling) {
  auto fixed = ApplyDeploymentUpdate(Base(), R"({"numReplicas": 3})");
  ASSERT_TRUE(fixed.ok());
  auto updated = ApplyDeploymentUpdate(*fixed, R"({"numReplicas": null})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_TRUE(updated->auto_scaler.autoscale_enabled);
  EXPECT_FALSE(updated->num_replicas.has_value());
}

TEST(ConfigDeploymentUpdateTest, BothAutoscaleAndReplicasInUpdateIsAnError) {
  auto updated = ApplyDeploymentUpdate(
      Base(), R"({"numReplicas": 3, "autoScaler": {"autoscaleEnabled": true}})");
  ASSERT_FALSE(updated.ok());
  EXPECT_NE(updated.status().message().find(
                "`$.numReplicas` cannot be given while `$.autoScaler.autoscaleEnabled` is true"),
            std::string::npos)
      << updated.status().message();
}

// The current config's authEnabled counts as given in an update, so switching
// to tokens names it; `null` resets it to the default, which yields to tokens.
TEST(ConfigDeploymentUpdateTest, NullAuthEnabledWithTokensSwitchesToTokenAuth) {
  auto updated =
      ApplyDeploymentUpdate(Base(), R"({"tokenAuthEnabled": true, "authEnabled": null})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_FALSE(updated->auth_enabled);
  EXPECT_TRUE(updated->token_auth_enabled);
}

// The stored config says `gpu`; an update in Azure's spelling replaces it.
TEST(ConfigDeploymentUpdateTest, GpuCoresReplacesStoredGpu) {
  auto updated =
      ApplyDeploymentUpdate(Base(), R"({"containerResourceRequirements": {"gpuCores": 1}})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->container_resource_requirements.gpu, 1);
  EXPECT_EQ(updated->container_resource_requirements.cpu, 0.1);
}

struct UpdateErrorRow {
  const char* name;
  const char* patch;
  const char* expected;
};
void PrintTo(const UpdateErrorRow& row, std::ostream* os) { *os << row.name; }

class ConfigDeploymentUpdateErrorTest : public ::testing::TestWithParam<UpdateErrorRow> {};

TEST_P(ConfigDeploymentUpdateErrorTest, RejectedAndCurrentUntouched) {
  const DeploymentConfig current = Base();
  const json before = ToJson(current);
  auto updated = ApplyDeploymentUpdate(current, GetParam().patch);
  ASSERT_FALSE(updated.ok()) << GetParam().patch;
  EXPECT_EQ(updated.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(updated.status().message().rfind("deployment update: ", 0), 0u)
      << updated.status().message();
  EXPECT_NE(updated.status().message().find(GetParam().expected), std::string::npos)
      << "message: " << updated.status().message() << "\nexpected: " << GetParam().expected;
  EXPECT_EQ(ToJson(current), before);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, ConfigDeploymentUpdateErrorTest,
    ::testing::Values(
        UpdateErrorRow{"MinAboveMergedMax", R"({"autoScaler": {"minReplicas": 5}})",
                       "`$.autoScaler.minReplicas` (5) must be <= `$.autoScaler.maxReplicas` (4)"},
        UpdateErrorRow{"TokenAuthWhileKeyAuthOn", R"({"tokenAuthEnabled": true})",
                       "`$.tokenAuthEnabled` and `$.authEnabled` are both true"},
        UpdateErrorRow{"UnknownKey", R"({"autoScaler": {"maxReplica": 5}})",
                       "unknown key `$.autoScaler.maxReplica`; did you mean `maxReplicas`?"},
        UpdateErrorRow{"WrongType", R"({"scoringTimeoutMs": "fast"})",
                       "`$.scoringTimeoutMs` must be an integer, got string"},
        UpdateErrorRow{"ComputeTypeChange", R"({"computeType": "aks"})",
                       "`$.computeType` cannot be changed by an update"},
        UpdateErrorRow{"NotAnObject", "[]",
                       "`$` must be an object of the keys to change, got array"},
        UpdateErrorRow{"Malformed", "{\"numReplicas\": }", "malformed JSON at line 1, column 17"},
        UpdateErrorRow{"PortOutOfRange", R"({"port": 0})",
                       "`$.port` must be between 1 and 65535, got 0"}),
    [](const ::testing::TestParamInfo<UpdateErrorRow>& info) { return info.param.name; });

TEST(ConfigDeploymentUpdateTest, SameComputeTypeIsAllowed) {
  auto updated = ApplyDeploymentUpdate(Base(), R"({"computeType": "local"})");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->compute_type, ComputeType::kLocal);
}

TEST(ConfigDeploymentUpdateTest, EmptyUpdateIsIdentity) {
  const DeploymentConfig current = Base();
  auto updated = ApplyDeploymentUpdate(current, "{}");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(ToJson(*updated), ToJson(current));
}

}  // namespace
}  // namespace skiff::config
