#include "cli.h"

namespace skiff::cli {

void AddModelCommands(CLI::App& app, GlobalOptions& options) {
  (void)app;
  (void)options;
}

}  // namespace skiff::cli
