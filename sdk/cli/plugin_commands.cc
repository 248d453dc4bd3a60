#include "cli.h"

namespace skiff::cli {

void AddPluginCommands(CLI::App& app, GlobalOptions& options) {
  (void)app;
  (void)options;
}

}  // namespace skiff::cli
