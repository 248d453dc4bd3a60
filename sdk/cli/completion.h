// SPDX-License-Identifier: Apache-2.0
// `skiff completion bash|zsh`: a shell completion script generated from the
// CLI11 command tree, so it never lags behind the commands.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace skiff::cli {

// The bash script for `app`: completes command names at each level, the
// options of the command typed so far (with the root's global options), the
// values of -o/--output, and file names after any other option that takes
// a value. Source it: `source <(skiff completion bash)`.
std::string BashCompletion(const CLI::App& app);

// The zsh script: the bash one behind zsh's bashcompinit, as az ships its
// zsh completion. `source <(skiff completion zsh)`, after the user's own
// `compinit` (it runs compinit itself only when none has run).
std::string ZshCompletion(const CLI::App& app);

// Adds `skiff completion bash|zsh`, printing the script for `app`.
void AddCompletionCommand(CLI::App& app);

}  // namespace skiff::cli
