// SPDX-License-Identifier: Apache-2.0
// Issue 23 (docs/reliability.md "Issue 23: CLI polish"): `-o tsv` and
// `--query` on `endpoint rollout start|status` and `endpoint report` work as
// on every other command (docs/cli.md), through the real `skiff` binary on
// the local target: the query picks before the format, tsv is the values
// tab-separated, one line per row, no header.
#include <string>

#include "cli_harness.h"

namespace {

using json = nlohmann::json;
using skiff::testing::Result;

class CliOutputRolloutReport : public skiff::testing::LocalWorkflowFixture {};

TEST_F(CliOutputRolloutReport, TsvAndQueryWorkOnRolloutStatusAndReport) {
  ASSERT_EQ(Skiff({"endpoint", "create", "-n", "ep-out", "-ct", "local", "--version-name", "v1",
                   "-m", "mlp:1", "-ic", ic_})
                .rc,
            0);
  ASSERT_EQ(Skiff({"endpoint", "create-version", "-n", "ep-out", "--version-name", "v2", "-m",
                   "mlp:1", "-ic", ic_, "--traffic-percentile", "0"})
                .rc,
            0);
  // An hour per step: the rollout stays on its first step while the test reads it.
  // A multiselect hash is one row (a list would be one value per line, as az).
  const std::string query = "{e: endpoint, v: version, s: status, t: trafficPercentile}";
  Result started =
      Skiff({"endpoint", "rollout", "start", "-n", "ep-out", "--version-name", "v2", "--steps",
             "20,100", "--step-interval", "1h", "-o", "tsv", "--query", query});
  ASSERT_EQ(started.rc, 0) << started.err;
  EXPECT_EQ(started.out, "ep-out\tv2\tRunning\t20\n");
  Result status =
      Skiff({"endpoint", "rollout", "status", "-n", "ep-out", "-o", "tsv", "--query", query});
  ASSERT_EQ(status.rc, 0) << status.err;
  EXPECT_EQ(status.out, "ep-out\tv2\tRunning\t20\n");
  Result list = Skiff({"endpoint", "rollout", "status", "-n", "ep-out", "-o", "tsv", "--query",
                       "[version, status]"});
  ASSERT_EQ(list.rc, 0) << list.err;
  EXPECT_EQ(list.out, "v2\nRunning\n");
  // --query with the default output: a table of the query's values.
  Result table = Skiff({"endpoint", "rollout", "status", "-n", "ep-out", "--query", "{s: status}"});
  ASSERT_EQ(table.rc, 0) << table.err;
  EXPECT_NE(table.out.find("Running"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("CONTROLLER"), std::string::npos) << "the query's columns, not the "
                                                                "command's: "
                                                             << table.out;
  // A query that does not parse is a usage error, as everywhere.
  EXPECT_EQ(Skiff({"endpoint", "rollout", "status", "-n", "ep-out", "--query", "[bad"}).rc, 2);
  ASSERT_EQ(Skiff({"endpoint", "rollout", "abort", "-n", "ep-out", "-o", "none"}).rc, 0);

  // report: the same rows as its JSON, one tsv line per version.
  const std::string rows = "versions[].[name, requests]";
  const json report = Json({"endpoint", "report", "-n", "ep-out", "-o", "json", "--query", rows});
  ASSERT_TRUE(report.is_array()) << report.dump();
  ASSERT_EQ(report.size(), 2u) << report.dump();
  std::string expected;
  for (const auto& row : report) {
    expected += row[0].get<std::string>() + "\t" + std::to_string(row[1].get<int64_t>()) + "\n";
  }
  Result tsv = Skiff({"endpoint", "report", "-n", "ep-out", "-o", "tsv", "--query", rows});
  ASSERT_EQ(tsv.rc, 0) << tsv.err;
  EXPECT_EQ(tsv.out, expected);
  EXPECT_NE(tsv.out.find("v1\t"), std::string::npos) << tsv.out;
  EXPECT_NE(tsv.out.find("v2\t"), std::string::npos) << tsv.out;
  EXPECT_EQ(Skiff({"endpoint", "report", "-n", "ep-out", "--query", "[bad"}).rc, 2);
}

}  // namespace
