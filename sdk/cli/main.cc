// skiff: deploy ML models as authenticated, autoscaled web services.
// The CLI mirrors `az ml` (v1) verbs and flags and is a thin layer over the SDK.
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "service_common.h"
#include "skiff/config/did_you_mean.h"

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
      "unknown command), 3 resource not found.");
  skiff::cli::GlobalOptions options;
  app.add_option("-w,--workspace", options.workspace,
                 "Workspace directory (default: $SKIFF_WORKSPACE, else ./.skiff); accepted "
                 "before or after the command, as `az ml` takes -w");
  // The shared --debug contract (skiff/util/debug_log.h): set before any
  // command's callback runs, read by the SDK and plugins in this process.
  app.add_flag_callback(
      "--debug", [] { ::setenv("SKIFF_DEBUG", "1", 1); },
      "Print DEBUG: lines on stderr (e.g. which Azure credential was used and why others were "
      "skipped); never secrets");
  // `az ml` takes its global options anywhere (`az ml model list -w ws`):
  // an option a sub-command does not know falls through to its parents.
  // Inherited by every sub-command added below.
  app.fallthrough();

  skiff::cli::AddPluginCommands(app, options);
  skiff::cli::AddModelCommands(app, options);
  skiff::cli::AddComputeCommands(app, options);
  skiff::cli::AddServiceCommands(app, options);
  skiff::cli::AddEndpointCommands(app, options);
  skiff::cli::AddImageCommands(app, options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    const std::string hint = UnknownCommandHint(app, args);
    if (!hint.empty()) {
      std::cerr << "skiff: error: " << hint << "\n";
    } else {
      app.exit(e);
    }
    return skiff::cli::kExitUsage;
  } catch (const skiff::cli::CliError& e) {
    std::cerr << "skiff: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "skiff: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
