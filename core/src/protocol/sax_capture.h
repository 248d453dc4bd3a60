// SPDX-License-Identifier: Apache-2.0
// Routes the SAX events of one JSON sub-value (object or array) either into a
// nlohmann::json (capture) or nowhere (skip), and says when it has ended.
// Used for free-form fields such as "parameters".
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

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
  void String(std::string& v) {
    if (dom_) dom_->string(v);
  }
  void Key(std::string& k) {
    if (dom_) dom_->key(k);
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
