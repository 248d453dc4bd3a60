// SPDX-License-Identifier: Apache-2.0
// The CLI's result output: --query, then one of az's formats (docs/cli.md).
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iostream>

#include "cli.h"
#include "jmespath.h"
#include "skiff/yaml/json_to_yaml.h"
#include "terminal.h"

namespace skiff::cli {

using OJson = nlohmann::ordered_json;

void ThrowIfError(const Status& status) {
  if (status.ok()) return;
  // az's convention: 3 when the named resource does not exist.
  throw CliError(status.message(), status.code() == StatusCode::kNotFound ? kExitNotFound : 1);
}

namespace {

bool g_only_show_errors = false;
bool g_verbose = false;

// --- jsonc: the layout of json.dump(2), with colour on a terminal.
void WriteJsonc(std::string& out, const OJson& v, int indent, bool color) {
  const std::string pad(static_cast<size_t>(indent) + 2, ' ');
  if (v.is_object() && !v.empty()) {
    out += "{\n";
    size_t i = 0;
    for (auto it = v.begin(); it != v.end(); ++it, ++i) {
      out += pad + Colored(OJson(it.key()).dump(), "36", color) + ": ";
      WriteJsonc(out, it.value(), indent + 2, color);
      out += i + 1 < v.size() ? ",\n" : "\n";
    }
    out += std::string(static_cast<size_t>(indent), ' ') + "}";
  } else if (v.is_array() && !v.empty()) {
    out += "[\n";
    for (size_t i = 0; i < v.size(); ++i) {
      out += pad;
      WriteJsonc(out, v[i], indent + 2, color);
      out += i + 1 < v.size() ? ",\n" : "\n";
    }
    out += std::string(static_cast<size_t>(indent), ' ') + "]";
  } else {
    out += Colored(v.dump(), v.is_string() ? "32" : "33", color);
  }
}

// --- tsv, as az: one line per element of a list (a lone value is a list of
// one); an object's values or a list's elements tab-separated, no header. A
// nested list prints its length and a nested object nothing, so columns stay
// aligned; use --query to pick nested fields. null is empty.
std::string TsvCell(const OJson& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) return std::to_string(v.size());
  if (v.is_object() || v.is_null()) return "";
  return v.dump();
}

void WriteTsv(std::ostream& out, const OJson& data) {
  if (data.is_null()) return;
  const OJson rows = data.is_array() ? data : OJson::array({data});
  for (const auto& row : rows) {
    if (row.is_object() || row.is_array()) {
      std::string sep;
      for (const auto& v : row) {
        out << sep << TsvCell(v);
        sep = "\t";
      }
    } else {
      out << TsvCell(row);
    }
    out << "\n";
  }
}

// --- table
void WriteTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < headers.size(); ++i) {
      const std::string& cell = i < cells.size() ? cells[i] : std::string();
      out << cell;
      if (i + 1 < headers.size()) out << std::string(width[i] - cell.size() + 2, ' ');
    }
    out << "\n";
  };
  line(headers);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : rows) line(row);
}

// The table of a --query result, as az builds it: a list of objects has a
// column per key (in first-seen order), anything else one "Result" column.
void WriteQueryTable(std::ostream& out, const OJson& data) {
  if (data.is_null() || (data.is_array() && data.empty())) return;
  const OJson items = data.is_array() ? data : OJson::array({data});
  const bool objects =
      std::all_of(items.begin(), items.end(), [](const OJson& e) { return e.is_object(); });
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  if (!objects) {
    headers = {"Result"};
    for (const auto& e : items) rows.push_back({e.is_string() ? e.get<std::string>() : e.dump()});
  } else {
    for (const auto& e : items) {
      for (auto it = e.begin(); it != e.end(); ++it) {
        if (std::find(headers.begin(), headers.end(), it.key()) == headers.end()) {
          headers.push_back(it.key());
        }
      }
    }
    for (const auto& e : items) {
      std::vector<std::string> row;
      for (const auto& h : headers) {
        auto it = e.find(h);
        row.push_back(it == e.end() || it->is_null() ? ""
                      : it->is_string()              ? it->get<std::string>()
                                                     : it->dump());
      }
      rows.push_back(std::move(row));
    }
  }
  WriteTable(out, headers, rows);
}

}  // namespace

void SetMessageLevel(const GlobalOptions& options) {
  g_only_show_errors = options.only_show_errors;
  g_verbose = options.verbose || options.debug;
}

void Warn(const std::string& message) {
  if (g_only_show_errors) return;
  std::cerr << Colored("skiff: warning: ", "33", UseColor(STDERR_FILENO)) << message << std::endl;
}

void Done(const GlobalOptions& options, const std::string& message) {
  if (options.output == "table") std::cout << message << "\n";
}

void Info(const std::string& message) {
  if (g_verbose) std::cerr << "INFO: " << message << std::endl;
}

void AddOutputOption(CLI::App* command, GlobalOptions* options) {
  command->add_option("-o,--output", options->output, "Output format")
      ->check(CLI::IsMember({"json", "jsonc", "yaml", "table", "tsv", "none"}))
      ->capture_default_str();
  command
      ->add_option("--query", options->query,
                   "JMESPath query applied to the JSON result before formatting (see "
                   "docs/cli.md; e.g. \"[?state=='Healthy'].name\")")
      ->check(CLI::Validator(
          [](std::string& expression) -> std::string {
            auto compiled = JmesPath::Compile(expression);
            return compiled.ok() ? "" : compiled.status().message();
          },
          "JMESPATH"));
}

void Print(const GlobalOptions& options, const nlohmann::json& json,
           const std::vector<std::string>& headers,
           const std::vector<std::vector<std::string>>& rows) {
  if (options.output == "none") return;
  // Ordered from here on, so a query's multiselect keeps the order it names.
  OJson data = OJson::parse(json.dump());
  const bool queried = !options.query.empty();
  if (queried) {
    auto compiled = JmesPath::Compile(options.query);
    if (!compiled.ok()) throw CliError("--query: " + compiled.status().message(), kExitUsage);
    auto result = compiled->Search(data);
    if (!result.ok()) throw CliError("--query: " + result.status().message());
    data = std::move(*result);
  }
  if (options.output == "json") {
    std::cout << data.dump(2) << "\n";
  } else if (options.output == "jsonc") {
    std::string out;
    WriteJsonc(out, data, 0, UseColor(STDOUT_FILENO));
    std::cout << out << "\n";
  } else if (options.output == "yaml") {
    // The core's one rule (also compute-aks's Kubernetes YAML): strings a
    // loader would read as another type are quoted, so it loads back as JSON.
    YAML::Emitter out;
    out.SetIndent(2);
    yaml::EmitJson(out, data);
    std::cout << out.c_str() << "\n";
  } else if (options.output == "tsv") {
    WriteTsv(std::cout, data);
  } else if (queried) {
    WriteQueryTable(std::cout, data);
  } else {
    WriteTable(std::cout, headers, rows);
  }
}

}  // namespace skiff::cli
