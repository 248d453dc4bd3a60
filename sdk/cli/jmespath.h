// SPDX-License-Identifier: Apache-2.0
// JMESPath (https://jmespath.org/specification.html) for `skiff ... --query`,
// as `az --query` has it. Debian packages no C++ JMESPath library, so this is
// a small tree-walking evaluator over nlohmann::ordered_json (ordered so that
// objects keep the order the command printed them in).
//
// Implemented: the whole expression grammar of the specification (fields,
// quoted identifiers, sub-expressions, indices, slices, list/object/flatten
// projections, filters with comparators, `||` `&&` `!`, pipes, multiselect
// lists and hashes, literals, raw strings, `@`, `&expr`) and the 26 built-in
// functions. Not implemented: the later proposals (let, arithmetic, string
// slices, the 2023 functions such as `group_by`). docs/cli.md lists the
// subset; tests/sdk/jmespath_compliance_test.cc runs the official
// compliance files against it.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "skiff/status.h"

namespace skiff::cli {

// The error classes of the JMESPath specification (and of its compliance
// tests), so a caller can tell a typo in the expression from a type error in
// the data.
enum class JmesPathErrorKind {
  kNone,
  kSyntax,           // the expression does not parse
  kUnknownFunction,  // a function name that does not exist
  kInvalidArity,     // a function called with the wrong number of arguments
  kInvalidType,      // a function argument of the wrong type
  kInvalidValue,     // a semantically wrong value (a slice step of 0)
};

// "syntax", "unknown-function", ... as the compliance tests spell them.
const char* JmesPathErrorKindName(JmesPathErrorKind kind);

// A compiled expression. Copyable and immutable; Search may be called
// concurrently.
class JmesPath {
 public:
  struct Node;

  // Parses `expression`. Errors (InvalidArgument) name the column and what
  // was expected; `kind`, when given, receives the error class.
  static StatusOr<JmesPath> Compile(std::string_view expression, JmesPathErrorKind* kind = nullptr);

  // Evaluates against `data`. A path that leads nowhere is null, not an
  // error; errors are type errors in function calls and a zero slice step.
  StatusOr<nlohmann::ordered_json> Search(const nlohmann::ordered_json& data,
                                          JmesPathErrorKind* kind = nullptr) const;

 private:
  std::shared_ptr<const Node> root_;
};

// JMESPath equality: deep, numbers by value, object key order ignored.
bool JmesPathEqual(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b);

}  // namespace skiff::cli
