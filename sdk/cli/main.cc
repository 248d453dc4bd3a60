// SPDX-License-Identifier: Apache-2.0
// skiff: deploy ML models as authenticated, autoscaled web services.
// The CLI mirrors `az ml` (v1) verbs and flags and is a thin layer over the SDK.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "cli.h"
#include "completion.h"
#include "service_common.h"
#include "skiff/config/did_you_mean.h"
#include "skiff/util/file.h"
#include "terminal.h"

namespace {

// "skiff servce list": the first word that names no command where commands
// are expected gets the closest command's name, as az does ("did you mean");
// CLI11 alone says only that the arguments were not expected. A word right
// after an option is taken as that option's value, not as a command.
std::string UnknownCommandHint(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* level = &app;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word.empty() || word[0] == '-') continue;
    if (args[i - 1].size() > 1 && args[i - 1][0] == '-' &&
        args[i - 1].find('=') == std::string::npos) {
      continue;  // probably an option's value
    }
    const auto subcommands = level->get_subcommands([](const CLI::App*) { return true; });
    if (subcommands.empty()) return "";
    // A command that also takes a word of its own (`computetarget create
    // <type>`) cannot tell a typo from that word.
    if (!level->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty()) {
      return "";
    }
    std::vector<std::string> names;
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : subcommands) {
      names.push_back(sub->get_name());
      if (sub->check_name(word)) next = sub;
    }
    if (next == nullptr) {
      std::string where = level == &app ? "skiff" : level->get_name();
      for (const CLI::App* p = level->get_parent(); p != nullptr && p != &app; p = p->get_parent()) {
        where = p->get_name() + " " + where;
      }
      if (level != &app) where = "skiff " + where;
      std::string hint = "'" + word + "' is not a command of `" + where + "`";
      if (auto close = skiff::config::ClosestMatch(word, names)) {
        hint += "; did you mean '" + *close + "'?";
      } else {
        hint += "; see `" + where + " --help`";
      }
      return hint;
    }
    level = next;
  }
  return "";
}

// Options whose value is itself a file path: `--dc @dc.json` means the file
// dc.json, as the plain path does (expanding it would pass the file's text as
// a path).
const std::set<std::string> kPathOptions = {
    "ic",     "inference-config-file", "dc",          "deploy-config-file", "config",
    "model-metadata-file", "output-metadata-file", "registry-config", "docker-config",
    "ca-file", "ssl-cert-file", "ssl-key-file", "path",  "target-dir",  "output-dir",
    "layout",  "server",      "plugin-dir",  "systemd-unit", "workspace"};
// Options that read @FILE themselves, bounded and never echoed (secrets).
const std::set<std::string> kSelfReadingOptions = {"set-key"};

// az's `@FILE`: a value argument written `@FILE` is the text of FILE (one
// trailing newline dropped, as a shell's $(cat FILE) would), e.g.
// `-d @input.json`. A file that cannot be read is a usage error naming the
// option and the file.
void AddAtFileExpansion(CLI::App& app) {
  for (CLI::Option* opt : app.get_options([](CLI::Option*) { return true; })) {
    if (opt->get_positional() || opt->get_type_size_max() == 0) continue;
    const auto& lnames = opt->get_lnames();
    const std::string lname = lnames.empty() ? "" : lnames.front();
    if (kSelfReadingOptions.count(lname) != 0) continue;
    const bool is_path = kPathOptions.count(lname) != 0;
    opt->transform([is_path](std::string value) {
      if (value.size() < 2 || value[0] != '@') return value;
      const std::string path = value.substr(1);
      if (is_path) return path;
      auto text = skiff::ReadFile(path);
      if (!text.ok()) {
        // CLI11 prefixes the option's name.
        throw CLI::ValidationError("file '" + path + "' (from " + value + ") cannot be read: " +
                                   text.status().message() + "; check the path");
      }
      std::string out = std::move(*text);
      if (!out.empty() && out.back() == '\n') out.pop_back();
      if (!out.empty() && out.back() == '\r') out.pop_back();
      return out;
    });
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) AddAtFileExpansion(*sub);
}

// "skiff service update": the deepest command the parser had reached.
std::string CommandPath(const CLI::App& app) {
  std::string path = "skiff";
  const CLI::App* at = &app;
  for (;;) {
    const auto selected = at->get_subcommands();
    if (selected.empty()) break;
    at = selected.front();
    path += " " + at->get_name();
  }
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  // `az ml` spells some options with one dash and two letters (-ct, -ic,
  // -dc); CLI11 reads those as bundled short flags, so map them to --ct etc.
  std::vector<std::string> args(argv, argv + argc);
  for (auto& arg : args) {
    if (arg == "-ct" || arg == "-ic" || arg == "-dc") arg = "-" + arg;
  }
  std::vector<char*> argv2;
  for (auto& arg : args) argv2.push_back(arg.data());
  argc = static_cast<int>(argv2.size());
  argv = argv2.data();

  // Past a file-size limit (ulimit -f) write() should fail with EFBIG, which
  // the store reports and cleans up after, rather than SIGXFSZ killing us
  // with a temp file left behind.
  std::signal(SIGXFSZ, SIG_IGN);

  CLI::App app{"skiff: deploy machine-learning models as authenticated web services", "skiff"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("skiff ") + SKIFF_VERSION);
  app.footer(
      "Exit codes (as az): 0 success, 1 failure, 2 usage error (bad or missing arguments, "
      "unknown command), 3 resource not found.\n"
      "A value written @FILE is read from FILE (-d @input.json). Output formats, --query, "
      "completion: docs/cli.md.");
  skiff::cli::GlobalOptions options;
  app.add_option("-w,--workspace", options.workspace,
                 "Workspace directory (default: $SKIFF_WORKSPACE, else ./.skiff); accepted "
                 "before or after the command, as `az ml` takes -w");
  // Set while parsing, before any command runs, so every debug line of the
  // SDK and the plugins (skiff/util/debug_log.h) is printed.
  app.add_flag("--debug", options.debug,
               "Print debug lines (\"DEBUG: ...\") on stderr; sets SKIFF_DEBUG=1. Never "
               "prints a key or token")
      ->trigger_on_parse()
      ->each([](const std::string&) { ::setenv("SKIFF_DEBUG", "1", 1); });
  app.add_flag("--verbose", options.verbose, "Print what the command does (\"INFO: ...\") on stderr");
  // Set while parsing, like --debug, so plugins' warning lines (which
  // reach stderr without the CLI) are dropped too.
  app.add_flag("--only-show-errors", options.only_show_errors,
               "Print errors only: no warning lines; sets SKIFF_ONLY_SHOW_ERRORS=1")
      ->trigger_on_parse()
      ->each([](const std::string&) { ::setenv("SKIFF_ONLY_SHOW_ERRORS", "1", 1); });
  // `az ml` takes its global options anywhere (`az ml model list -w ws`):
  // an option a sub-command does not know falls through to its parents.
  // Inherited by every sub-command added below.
  app.fallthrough();
  // As az's --output and --query, accepted by every command: the commands
  // with a result add their own (same variables); for the rest (delete,
  // get-logs, ...) these catch the flag through fallthrough, so a script
  // that passes `-o none` everywhere is not refused.
  skiff::cli::AddOutputOption(&app, &options);

  skiff::cli::AddPluginCommands(app, options);
  skiff::cli::AddModelCommands(app, options);
  skiff::cli::AddComputeCommands(app, options);
  skiff::cli::AddServiceCommands(app, options);
  skiff::cli::AddEndpointCommands(app, options);
  skiff::cli::AddImageCommands(app, options);
  skiff::cli::AddCompletionCommand(app);
  AddAtFileExpansion(app);
  // Before the command callbacks run (they run inside parse).
  app.parse_complete_callback([&options] {
    skiff::cli::SetMessageLevel(options);
    skiff::cli::Info("workspace: " +
                     (options.workspace.empty() ? std::string("(default)") : options.workspace));
  });

  const auto start = std::chrono::steady_clock::now();
  const std::string error_prefix =
      skiff::cli::Colored("skiff: error: ", "31", skiff::cli::UseColor(STDERR_FILENO));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    const std::string hint = UnknownCommandHint(app, args);
    if (!hint.empty()) {
      std::cerr << error_prefix << hint << "\n";
    } else {
      // As az: "az: error: <what>" and where to read the usage, naming the
      // command that refused (CLI11's own text lacks both).
      std::cerr << error_prefix << e.what() << "\nSee `" << CommandPath(app)
                << " --help` for its usage.\n";
    }
    return skiff::cli::kExitUsage;
  } catch (const skiff::cli::CliError& e) {
    std::cerr << error_prefix << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << error_prefix << e.what() << "\n";
    return 1;
  }
  skiff::cli::Info("command ran in " +
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - start)
                                      .count()) +
                   " ms");
  return 0;
}
