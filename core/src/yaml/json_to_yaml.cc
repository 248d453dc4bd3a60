// SPDX-License-Identifier: Apache-2.0
#include "skiff/yaml/json_to_yaml.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <regex>

namespace skiff::yaml {
namespace {

template <class Json>
void Emit(YAML::Emitter& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (auto it = j.begin(); it != j.end(); ++it) {
        out << YAML::Key;
        if (ReadsAsAnotherType(it.key())) out << YAML::DoubleQuoted;
        out << it.key() << YAML::Value;
        Emit(out, it.value());
      }
      out << YAML::EndMap;
      break;
    case Json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& e : j) Emit(out, e);
      out << YAML::EndSeq;
      break;
    case Json::value_t::string: {
      const std::string& s = j.template get_ref<const std::string&>();
      // A literal block keeps one final newline ("|"); other multi-line
      // strings are double-quoted with \n escapes so they load back as given.
      const bool block = s.size() > 1 && s.back() == '\n' && s[s.size() - 2] != '\n' &&
                         s.find_first_of("\r\t") == std::string::npos && s.front() != ' ';
      if (block) {
        out << YAML::Literal << s;
      } else if (s.find('\n') != std::string::npos || ReadsAsAnotherType(s)) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      break;
    }
    case Json::value_t::boolean:
      out << j.template get<bool>();
      break;
    case Json::value_t::number_integer:
      out << j.template get<int64_t>();
      break;
    case Json::value_t::number_unsigned:
      out << j.template get<uint64_t>();
      break;
    case Json::value_t::number_float:
      out << j.dump();
      break;
    default:
      out << YAML::Null;
  }
}

}  // namespace

bool ReadsAsAnotherType(const std::string& s) {
  static const std::regex kSpecial(
      "^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|"
      "Off|OFF|y|Y|n|N|[-+]?(?:\\.inf|\\.Inf|\\.INF)|\\.nan|\\.NaN|\\.NAN|"
      "[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])*|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+|"
      "[-+]?(?:[0-9][0-9_]*)?\\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+)$");
  return s.empty() || std::regex_match(s, kSpecial);
}

void EmitJson(YAML::Emitter& out, const nlohmann::json& value) { Emit(out, value); }
void EmitJson(YAML::Emitter& out, const nlohmann::ordered_json& value) { Emit(out, value); }

}  // namespace skiff::yaml
