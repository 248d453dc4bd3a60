// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the `skiff` CLI: global options, output, errors.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "skiff/status.h"

namespace skiff::cli {

// Options every command sees (set on the root app; accepted anywhere on
// the line, as az takes them). docs/cli.md describes each.
struct GlobalOptions {
  std::string workspace;         // --workspace DIR
  std::string output = "table";  // --output json|jsonc|yaml|table|tsv|none
  std::string query;             // --query JMESPATH, applied before formatting
  bool debug = false;            // --debug: SKIFF_DEBUG=1, "DEBUG: " lines on stderr
  bool verbose = false;          // --verbose: "INFO: " lines on stderr
  bool only_show_errors = false;  // --only-show-errors: no warning lines
};

// A one-line user-facing error: what, where, how to fix. main() prints it
// as "skiff: error: <message>" and exits with `exit_code`.
// Exit codes, as `az` uses them (`skiff --help` lists them): 0 success, 1 a
// failure, 2 a usage error (bad or missing arguments, an unknown command), 3
// a resource that does not exist.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;

class CliError : public std::runtime_error {
 public:
  explicit CliError(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Throws CliError carrying the status message when `status` is not OK; exit
// code kExitNotFound for kNotFound, else kExitFailure.
void ThrowIfError(const Status& status);
template <typename T>
T ValueOrThrow(StatusOr<T> result) {
  ThrowIfError(result.status());
  return std::move(result).value();
}

// Adds `-o/--output json|jsonc|yaml|table|tsv|none` and `--query` to a
// command that prints a result. A --query that does not parse is a usage
// error before the command does anything.
void AddOutputOption(CLI::App* command, GlobalOptions* options);

// Prints the command's result in the chosen format, after applying --query
// to `json` as az does. `headers`/`rows` are the table without --query; with
// one the table is built from the query's result.
void Print(const GlobalOptions& options, const nlohmann::json& json,
           const std::vector<std::string>& headers,
           const std::vector<std::vector<std::string>>& rows);

// The confirmation line of a command with no result (delete, detach,
// rotate): on stdout with the table format only. With -o json/yaml/tsv/none
// az prints nothing for such a command, and a script reading stdout as
// JSON must not meet a sentence.
void Done(const GlobalOptions& options, const std::string& message);

// Sets what Warn and Info print (main, after parsing).
void SetMessageLevel(const GlobalOptions& options);
// "skiff: warning: <message>" on stderr, unless --only-show-errors.
void Warn(const std::string& message);
// "INFO: <message>" on stderr with --verbose or --debug.
void Info(const std::string& message);

// Registration of each command group.
void AddPluginCommands(CLI::App& app, GlobalOptions& options);
void AddModelCommands(CLI::App& app, GlobalOptions& options);
void AddImageCommands(CLI::App& app, GlobalOptions& options);

}  // namespace skiff::cli
