// SPDX-License-Identifier: Apache-2.0
// Pieces the service, endpoint and deploy commands share.
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "skiff/sdk/model.h"
#include "skiff/sdk/webservice.h"

namespace skiff::cli {

sdk::Workspace OpenWorkspace(const GlobalOptions& options);
// Reads a JSON file given to -ic/-dc; "" when `path` is empty.
std::string ReadJsonFile(const std::string& path, const std::string& flag);
// `dc_text` (a --dc file's text, "" for none) with the deployment config's
// `grpc` turned on when `grpc` (the --grpc flag) is set; unchanged otherwise.
// CliError when the file is not a JSON object.
std::string WithGrpcFlag(const std::string& dc_text, bool grpc);
// --log-format / --log-level of the commands that take a service's or an
// endpoint's deployment config: its `logFormat` / `logLevel`, the format and
// level of skiff-server's and skiff-supervisor's own lines (docs/logging.md).
// CLI11 checks the words, so a wrong one exits 2 naming the flag.
struct LogFlags {
  std::string format, level;  // "" = not given
  bool given() const { return !format.empty() || !level.empty(); }
};
void AddLogFlags(CLI::App* cmd, LogFlags* flags, bool updating);
// `dc` (a deployment config, or the merge patch of an update) with the
// given flags set.
void ApplyLogFlags(const LogFlags& flags, nlohmann::json* dc);
// As WithGrpcFlag: `dc_text` with the given flags set; unchanged when none.
std::string WithLogFlags(const std::string& dc_text, const LogFlags& flags);
// The value of a secret flag such as --set-key: "@FILE" reads FILE, "-" reads
// standard input; "" (flag not given) stays "". A literal value is refused:
// it would be visible to every user in `ps` and kept in shell history. One
// trailing newline ("\n" or "\r\n", as `echo` writes) is dropped; any
// whitespace or control character left is refused, naming `flag`.
std::string ReadSecretFlag(const std::string& value, const std::string& flag);
// "KEY=VALUE" flag values (--tag, --add-property) as a map; CliError
// naming `flag` on a malformed one. An empty VALUE is kept ("KEY=").
store::StringMap ParsePairs(const std::vector<std::string>& pairs, const std::string& flag);
// The model metadata file of `model register --output-metadata-file`, read
// by `service update` / `model deploy --model-metadata-file` (as `az ml`
// writes and reads it): {"modelId": "NAME:VERSION", "name", "version",
// "sha256", ...}. Written atomically, 0644 (it holds no secret).
void WriteModelMetadataFile(const std::string& path, const store::ModelRecord& model);
// The "NAME:VERSION" the file names; CliError naming `flag` and the file.
std::string ReadModelMetadataFile(const std::string& path, const std::string& flag);
// "k1=v1,k2=v2" for a table cell.
std::string JoinPairs(const store::StringMap& map);
// Resolves -m NAME[:VERSION] values to registered models.
std::vector<sdk::Model> ResolveModels(const sdk::Workspace& ws, const std::vector<std::string>& ids);
// Starts `service` again if its runtime died without being stopped (a
// killed supervisor), saying so in one line on stderr. Commands that touch
// a service call it first; a failure is a warning line, not an error: the
// command goes on and reports the live state.
void ReviveIfDown(sdk::Webservice& service);
// Prints progress of a deployment until Healthy/Failed; throws on Failed.
void WaitWithProgress(sdk::Webservice service);
// `service list` (every service and endpoint) and `endpoint list`
// (`endpoints_only`): each one's live state, asked of its target now and all
// at once (a dead or hung service costs its own probe timeout, not the
// list's), with replicas, restarts, the last minute's requests/s and error
// rate from the server's own count, and each endpoint version's effective
// traffic share. A killed supervisor is started again first, as every
// command that touches a service does (ReviveIfDown).
void PrintServiceList(const GlobalOptions& options, bool endpoints_only);
// `show` output of a service or endpoint.
void PrintService(const GlobalOptions& options, sdk::Webservice service);
void PrintKeys(const GlobalOptions& options, const sdk::Webservice& service);
void PrintToken(const GlobalOptions& options, const sdk::Webservice& service);

void AddComputeCommands(CLI::App& app, GlobalOptions& options);
void AddServiceCommands(CLI::App& app, GlobalOptions& options);
void AddEndpointCommands(CLI::App& app, GlobalOptions& options);
// `endpoint rollout ...` (rollout_commands.cc), under the endpoint group.
void AddRolloutCommands(CLI::App* endpoint, GlobalOptions& options);
void AddDeployCommand(CLI::App* model, GlobalOptions& options);

}  // namespace skiff::cli
