// SPDX-License-Identifier: Apache-2.0
// skiff plugins list: what the plugin host found, and what it refused.
#include <iostream>

#include "cli.h"
#include "skiff/sdk/plugins.h"
#include "skiff/sdk/workspace.h"

namespace skiff::cli {
namespace {

void ListPlugins(const GlobalOptions& options) {
  auto host = sdk::DiscoverPlugins();
  nlohmann::json json = {{"searchPath", sdk::DefaultPluginSearchPath()},
                         {"plugins", nlohmann::json::array()},
                         {"refused", nlohmann::json::array()}};
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : host->plugins()) {
    std::string abi = std::to_string(p->abi_major()) + "." + std::to_string(p->abi_minor());
    json["plugins"].push_back({{"kind", PluginHost::KindName(p->kind())},
                               {"name", p->name()},
                               {"version", p->version()},
                               {"abi", abi},
                               {"path", p->path()},
                               {"description", p->description()}});
    rows.push_back({PluginHost::KindName(p->kind()), p->name(), p->version(), abi, p->path()});
  }
  for (const auto& r : host->refused()) {
    json["refused"].push_back({{"path", r.path}, {"reason", r.reason}});
  }
  Print(options, json, {"KIND", "NAME", "VERSION", "ABI", "PATH"}, rows);
  if (options.output != "json") {
    if (host->plugins().empty()) std::cout << "(no plugins found)\n";
    for (const auto& r : host->refused()) {
      std::cout << "refused " << r.path << ": " << r.reason << "\n";
    }
  }
}

}  // namespace

void AddPluginCommands(CLI::App& app, GlobalOptions& options) {
  CLI::App* plugins = app.add_subcommand("plugins", "Show the plugins skiff can load");
  plugins->require_subcommand(1);
  CLI::App* list = plugins->add_subcommand(
      "list", "List loaded plugins (kind, name, version, ABI, path) and refused files with why");
  list->footer(
      "Search path: <skiff binary>/../lib/skiff/plugins, then $SKIFF_PLUGIN_PATH (colon-"
      "separated), then the install dir.\n\nExample:\n  skiff plugins list --output json");
  AddOutputOption(list, &options);
  list->callback([&options] { ListPlugins(options); });
}

}  // namespace skiff::cli
