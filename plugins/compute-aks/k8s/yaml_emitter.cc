// SPDX-License-Identifier: Apache-2.0
#include "k8s/yaml_emitter.h"

#include <yaml-cpp/yaml.h>

#include <regex>

namespace skiff::compute_aks::k8s {
namespace {

using nlohmann::json;

// What a YAML 1.1 or 1.2 loader would resolve to a non-string plain scalar.
bool LooksLikeOtherType(const std::string& s) {
  static const std::regex kSpecial(
      "^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|"
      "Off|OFF|y|Y|n|N|[-+]?(?:\\.inf|\\.Inf|\\.INF)|\\.nan|\\.NaN|\\.NAN|"
      "[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])*|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+|"
      "[-+]?(?:[0-9][0-9_]*)?\\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+)$");
  return s.empty() || std::regex_match(s, kSpecial);
}

void Emit(YAML::Emitter& out, const json& j) {
  switch (j.type()) {
    case json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& item : j.items()) {
        out << YAML::Key;
        if (LooksLikeOtherType(item.key())) out << YAML::DoubleQuoted;
        out << item.key() << YAML::Value;
        Emit(out, item.value());
      }
      out << YAML::EndMap;
      break;
    case json::value_t::array:
      out << YAML::BeginSeq;
      for (const json& e : j) Emit(out, e);
      out << YAML::EndSeq;
      break;
    case json::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      // A literal block keeps one final newline ("|"); other multi-line
      // strings are double-quoted with \n escapes so they load back as given.
      const bool block = s.size() > 1 && s.back() == '\n' && s[s.size() - 2] != '\n' &&
                         s.find_first_of("\r\t") == std::string::npos && s.front() != ' ';
      if (block) {
        out << YAML::Literal << s;
      } else if (s.find('\n') != std::string::npos) {
        out << YAML::DoubleQuoted << s;
      } else if (LooksLikeOtherType(s)) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      break;
    }
    case json::value_t::boolean:
      out << j.get<bool>();
      break;
    case json::value_t::number_integer:
      out << j.get<int64_t>();
      break;
    case json::value_t::number_unsigned:
      out << j.get<uint64_t>();
      break;
    case json::value_t::number_float:
      out << j.dump();
      break;
    default:
      out << YAML::Null;
  }
}

}  // namespace

std::string ToYaml(const std::vector<json>& objects) {
  std::string text;
  for (const json& object : objects) {
    YAML::Emitter out;
    out.SetIndent(2);
    Emit(out, object);
    text += "---\n";
    text += out.c_str();
    text += "\n";
  }
  return text;
}

}  // namespace skiff::compute_aks::k8s
