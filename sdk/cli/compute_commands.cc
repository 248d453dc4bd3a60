// `skiff computetarget create|list|show|delete` (mirrors `az ml computetarget`).
#include <iostream>

#include "service_common.h"
#include "skiff/sdk/compute_target.h"

namespace skiff::cli {
namespace {

nlohmann::json TargetJson(const sdk::ComputeTarget& t) {
  return {{"name", t.name()},
          {"computeType", t.type()},
          {"provisioningState", t.record().state},
          {"createdTime", t.record().created_time}};
}

}  // namespace

void AddComputeCommands(CLI::App& app, GlobalOptions& options) {
  CLI::App* group = app.add_subcommand("computetarget", "Manage compute targets");
  group->require_subcommand(1);

  CLI::App* create = group->add_subcommand("create", "Create a compute target");
  create->require_subcommand(1);
  static std::string local_name;
  CLI::App* local = create->add_subcommand("local", "The built-in target: services run on this machine");
  local->add_option("-n,--name", local_name, "Name of the compute target")->required();
  AddOutputOption(local, &options);
  local->footer("Example:\n  skiff computetarget create local -n local");
  local->callback([&options] {
    auto ws = OpenWorkspace(options);
    auto target = ValueOrThrow(sdk::LocalCompute::create(ws, local_name));
    auto json = TargetJson(target);
    Print(options, json, {"NAME", "TYPE", "STATE"}, {{target.name(), target.type(), target.record().state}});
  });

  CLI::App* list = group->add_subcommand("list", "List compute targets");
  AddOutputOption(list, &options);
  list->footer("Example:\n  skiff computetarget list --output json");
  list->callback([&options] {
    auto ws = OpenWorkspace(options);
    nlohmann::json json = nlohmann::json::array();
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : ValueOrThrow(sdk::ComputeTarget::list(ws))) {
      json.push_back(TargetJson(t));
      rows.push_back({t.name(), t.type(), t.record().state});
    }
    Print(options, json, {"NAME", "TYPE", "STATE"}, rows);
  });

  static std::string show_name;
  CLI::App* show = group->add_subcommand("show", "Show a compute target");
  show->add_option("-n,--name", show_name, "Name of the compute target")->required();
  AddOutputOption(show, &options);
  show->footer("Example:\n  skiff computetarget show -n local");
  show->callback([&options] {
    auto ws = OpenWorkspace(options);
    auto t = ValueOrThrow(sdk::ComputeTarget::get(ws, show_name));
    Print(options, TargetJson(t), {"NAME", "TYPE", "STATE"}, {{t.name(), t.type(), t.record().state}});
  });

  static std::string delete_name;
  CLI::App* del = group->add_subcommand("delete", "Delete a compute target (no service may use it)");
  del->add_option("-n,--name", delete_name, "Name of the compute target")->required();
  del->footer("Example:\n  skiff computetarget delete -n local");
  del->callback([&options] {
    auto ws = OpenWorkspace(options);
    ThrowIfError(ValueOrThrow(sdk::ComputeTarget::get(ws, delete_name)).delete_target());
    std::cout << "Deleted compute target '" << delete_name << "'\n";
  });
}

}  // namespace skiff::cli
