// skiff: deploy ML models as authenticated, autoscaled web services.
// The CLI mirrors `az ml` (v1) verbs and flags and is a thin layer over the SDK.
#include <csignal>
#include <iostream>

#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "service_common.h"

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
  skiff::cli::GlobalOptions options;
  app.add_option("-w,--workspace", options.workspace,
                 "Workspace directory (default: $SKIFF_WORKSPACE, else ./.skiff); accepted "
                 "before or after the command, as `az ml` takes -w");
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
    return app.exit(e);
  } catch (const skiff::cli::CliError& e) {
    std::cerr << "skiff: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "skiff: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
