#include "strict_json.h"

#include <set>
#include <string>
#include <vector>

namespace skiff::auth {

StatusOr<nlohmann::json> ParseStrictJsonObject(std::string_view text) {
  // One set of seen keys per open object; arrays push nothing.
  std::vector<std::set<std::string>> seen;
  bool duplicate = false;
  auto callback = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                      nlohmann::json& parsed) -> bool {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
        seen.emplace_back();
        break;
      case E::object_end:
        if (!seen.empty()) seen.pop_back();
        break;
      case E::key:
        if (!seen.empty() && parsed.is_string() &&
            !seen.back().insert(parsed.get_ref<const std::string&>()).second) {
          duplicate = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), callback,
                                                 /*allow_exceptions=*/false);
    if (value.is_discarded()) return InvalidArgument("not valid JSON");
    if (duplicate) return InvalidArgument("duplicate JSON object key");
    if (!value.is_object()) return InvalidArgument("JSON value is not an object");
    return value;
  } catch (const std::exception&) {
    return InvalidArgument("not valid JSON");
  }
}

}  // namespace skiff::auth
