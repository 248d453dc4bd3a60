#include <algorithm>
#include <iostream>

#include "cli.h"

namespace skiff::cli {

void ThrowIfError(const Status& status) {
  if (status.ok()) return;
  // az's convention: 3 when the named resource does not exist.
  throw CliError(status.message(), status.code() == StatusCode::kNotFound ? kExitNotFound : 1);
}

void AddOutputOption(CLI::App* command, GlobalOptions* options) {
  command->add_option("-o,--output", options->output, "Output format")
      ->check(CLI::IsMember({"json", "table"}))
      ->capture_default_str();
}

void Print(const GlobalOptions& options, const nlohmann::json& json,
           const std::vector<std::string>& headers,
           const std::vector<std::vector<std::string>>& rows) {
  if (options.output == "json") {
    std::cout << json.dump(2) << "\n";
    return;
  }
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < headers.size(); ++i) {
      const std::string& cell = i < cells.size() ? cells[i] : std::string();
      std::cout << cell;
      if (i + 1 < headers.size()) std::cout << std::string(width[i] - cell.size() + 2, ' ');
    }
    std::cout << "\n";
  };
  line(headers);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : rows) line(row);
}

}  // namespace skiff::cli
