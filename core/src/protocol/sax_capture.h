// SPDX-License-Identifier: Apache-2.0
// Routes the SAX events of one JSON sub-value (object or array) either into a
// nlohmann::json (capture) or nowhere (skip), and says when it has ended.
// Used for free-form fields such as "parameters".
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace skiff::protocol {

class SaxCapture {
 public:
  using json = nlohmann::json;

  // Begins at the sub-value's opening event (call StartObject/StartArray
  // next). `target` nullptr = skip.
  void Begin(json* target) {
    depth_ = 0;
    dom_ = target ? std::make_unique<nlohmann::detail::json_sax_dom_parser<json>>(*target, false)
                  : nullptr;
  }
  bool active() const { return depth_ > 0; }

  void Null() {
    if (dom_) dom_->null();
  }
  void Boolean(bool v) {
    if (dom_) dom_->boolean(v);
  }
  void Integer(int64_t v) {
    if (dom_) dom_->number_integer(v);
  }
  void Unsigned(uint64_t v) {
    if (dom_) dom_->number_unsigned(v);
  }
  void Float(double v, const std::string& text) {
    if (dom_) dom_->number_float(v, text);
  }
  // Views (fast_sax.h); the DOM keeps a copy either way.
  void String(std::string_view v) {
    if (!dom_) return;
    std::string s(v);
    dom_->string(s);
  }
  void Key(std::string_view k) {
    if (!dom_) return;
    std::string s(k);
    dom_->key(s);
  }
  void StartObject(size_t n) {
    ++depth_;
    if (dom_) dom_->start_object(n);
  }
  void StartArray(size_t n) {
    ++depth_;
    if (dom_) dom_->start_array(n);
  }
  void EndObject() {
    --depth_;
    if (dom_) dom_->end_object();
  }
  void EndArray() {
    --depth_;
    if (dom_) dom_->end_array();
  }

 private:
  int depth_ = 0;
  std::unique_ptr<nlohmann::detail::json_sax_dom_parser<json>> dom_;
};

// "malformed JSON at byte 17: syntax error while parsing value - ..." from a
// nlohmann parse error.
std::string JsonParseErrorMessage(size_t position, const std::string& what);

}  // namespace skiff::protocol
