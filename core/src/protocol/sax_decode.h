// SPDX-License-Identifier: Apache-2.0
// DecodeWithSax: how every request-body decoder runs its SAX handler. The
// fast tokenizer (fast_sax.h) first; when the body is outside its plain
// subset, a fresh handler over nlohmann::json::sax_parse, which gives the
// exact syntax error. The handler's Finish() builds the result.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "fast_sax.h"
#include "skiff/status.h"

namespace skiff::protocol {

// `Parser` is constructed from `args` (twice at most) and must offer
// status() and Finish(); DecodeWithSax returns what Finish() returns.
template <typename Parser, typename... Args>
auto DecodeWithSax(std::string_view body, const Args&... args)
    -> decltype(std::declval<Parser&>().Finish()) {
  {
    Parser fast(args...);
    switch (FastSaxParse(body, &fast)) {
      case FastSaxResult::kParsed:
        return fast.Finish();
      case FastSaxResult::kStopped:
        if (!fast.status().ok()) return fast.status();
        break;
      case FastSaxResult::kUnsupported:
        break;  // parse again below, from the start
    }
  }
  Parser parser(args...);
  bool parsed = false;
  try {
    parsed = nlohmann::json::sax_parse(body.begin(), body.end(), &parser);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("body is not valid JSON: ") + e.what());
  }
  if (!parsed) {
    if (parser.status().ok()) return InvalidArgument("body is not valid JSON");
    return parser.status();
  }
  return parser.Finish();
}

}  // namespace skiff::protocol
