// skiff: deploy ML models as authenticated, autoscaled web services.
// The CLI mirrors `az ml` (v1) verbs and flags and is a thin layer over the SDK.
#include <iostream>

#include "cli.h"

int main(int argc, char** argv) {
  CLI::App app{"skiff: deploy machine-learning models as authenticated web services", "skiff"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("skiff ") + SKIFF_VERSION);
  skiff::cli::GlobalOptions options;
  app.add_option("-w,--workspace", options.workspace,
                 "Workspace directory (default: $SKIFF_WORKSPACE, else ./.skiff)");

  skiff::cli::AddPluginCommands(app, options);
  skiff::cli::AddModelCommands(app, options);

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
