// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/azure_score.h"

#include <optional>

#include "data_array_decoder.h"
#include "json_writer.h"
#include "sax_capture.h"
#include "sax_decode.h"
#include "skiff/signature_check.h"

namespace skiff::protocol {
namespace {

using json = nlohmann::json;

// SAX handler for {"data": ...}. Every method returns false to stop
// parsing, with status_ saying why.
class AzureScoreParser {
 public:
  AzureScoreParser(const Signature& signature, const DecodeOptions& options)
      : signature_(signature), options_(options), slots_(signature.inputs.size()) {}

  bool null() { return Value("null"); }
  bool boolean(bool v) {
    if (current_ >= 0) return DataResult(data_.Scalar(JsonScalar::Bool(v)));
    return Value("a boolean");
  }
  bool number_integer(int64_t v) {
    if (current_ >= 0) return DataResult(data_.Scalar(JsonScalar::Int(v)));
    return Value("a number");
  }
  bool number_unsigned(uint64_t v) {
    if (current_ >= 0) return DataResult(data_.Scalar(JsonScalar::Uint(v)));
    return Value("a number");
  }
  bool number_text_needed() const { return false; }  // fast_sax.h
  bool number_float(double v, const std::string&) {
    if (current_ >= 0) return DataResult(data_.Scalar(JsonScalar::Float(v)));
    return Value("a number");
  }
  bool string(std::string& v) {
    if (current_ >= 0) return DataResult(data_.String(v));
    return Value("a string");
  }
  bool binary(json::binary_t&) { return Value("binary data"); }

  bool start_object(size_t) {
    if (current_ >= 0) return DataResult(data_.Unexpected("an object"));
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ == 1 && key_ == "data") {
      depth_ = 2;
      return true;
    }
    return Value("an object");
  }

  bool key(std::string& k) {
    key_ = std::move(k);
    if (depth_ == 1) {
      if (key_ != "data") {
        return Fail("unknown field '" + key_ + "'; the body must be {\"data\": ...}" + Example());
      }
      if (seen_data_) return Fail("field 'data' appears twice; send it once");
      seen_data_ = true;
      return true;
    }
    // depth_ == 2: an input name inside "data".
    const int index = FindSpec(signature_.inputs, key_);
    if (index < 0) {
      return Fail("unknown input '" + key_ +
                  "' in data; the model's inputs are: " + SpecNames(signature_.inputs));
    }
    if (slots_[index]) {
      return Fail("input '" + key_ + "' appears more than once in data; send each input once");
    }
    return true;
  }

  bool end_object() {
    --depth_;
    return true;
  }

  bool start_array(size_t) {
    if (current_ >= 0) return DataResult(data_.StartArray());
    if (depth_ == 1 && key_ == "data") {
      if (signature_.inputs.size() != 1) {
        return Fail("this model has " + std::to_string(signature_.inputs.size()) +
                    " inputs, so data must be an object keyed by input name" + Example());
      }
      return BeginInput(0);
    }
    if (depth_ == 2) return BeginInput(FindSpec(signature_.inputs, key_));
    return Value("an array");
  }

  bool end_array() {
    if (!DataResult(data_.EndArray())) return false;
    if (data_.done()) {
      const int index = current_;
      current_ = -1;
      return Ok(FinishInput(index));
    }
    return true;
  }

  bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    status_ = InvalidArgument(JsonParseErrorMessage(position, ex.what()));
    return false;
  }

  StatusOr<std::vector<Tensor>> Finish() {
    if (!status_.ok()) return status_;
    if (!seen_data_) return InvalidArgument("the body has no 'data' field" + Example());
    std::vector<Tensor> inputs;
    inputs.reserve(slots_.size());
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i]) {
        return InvalidArgument("missing input " + DescribeSpec(signature_.inputs[i]) +
                               " in data; the model's inputs are: " + SpecNames(signature_.inputs));
      }
      inputs.push_back(std::move(*slots_[i]));
    }
    return inputs;
  }

  const Status& status() const { return status_; }

 private:
  bool Ok(Status s) {
    if (s.ok()) return true;
    status_ = std::move(s);
    return false;
  }
  bool Fail(std::string message) { return Ok(InvalidArgument(std::move(message))); }

  // ", e.g. {"data": {"a": [...], "b": [...]}}" for this signature.
  std::string Example() const {
    std::string text = ", e.g. {\"data\": ";
    if (signature_.inputs.size() == 1) return text + "[...]}";
    text += "{";
    for (size_t i = 0; i < signature_.inputs.size(); ++i) {
      text += (i ? ", \"" : "\"") + signature_.inputs[i].name + "\": [...]";
    }
    return text + "}}";
  }

  // A value of the wrong JSON type where it appears.
  bool Value(const char* got) {
    if (depth_ == 0) return Fail(std::string("the body must be a JSON object, got ") + got);
    if (depth_ == 1)
      return Fail(std::string("field 'data' must be an array or an object, got ") + got +
                  Example());
    return Fail("input '" + key_ + "': data must be an array, got " + got);
  }

  bool DataResult(bool ok) {
    if (ok) return true;
    return Fail("input '" + signature_.inputs[current_].name + "': " + data_.error());
  }

  bool BeginInput(int index) {
    current_ = index;
    const TensorSpec& spec = signature_.inputs[index];
    slots_[index] = Tensor{};
    slots_[index]->name = spec.name;
    slots_[index]->dtype = spec.dtype;
    data_.Begin(spec.dtype, &slots_[index]->data, options_.max_input_bytes - bytes_used_, 0);
    return DataResult(data_.StartArray());
  }

  Status FinishInput(int index) {
    const TensorSpec& spec = signature_.inputs[index];
    Tensor& tensor = *slots_[index];
    std::vector<int64_t> shape = data_.shape();
    if (shape.size() == 1 && spec.shape.size() > 1) {
      // A flat list for a higher-rank input: reshape when the trailing dims
      // are fixed (see azure_score.h).
      int64_t inner = 1;
      for (size_t i = 1; i < spec.shape.size(); ++i) {
        if (spec.shape[i] < 0) {
          return InvalidArgument("input '" + spec.name +
                                 "': data is a flat array but the model "
                                 "expects rank " +
                                 std::to_string(spec.shape.size()) + " " +
                                 ShapeToString(spec.shape) +
                                 " with a dynamic inner dimension; "
                                 "send nested arrays");
        }
        inner *= spec.shape[i];
      }
      const int64_t n = shape[0];
      if (inner == 0 || n % inner != 0) {
        return InvalidArgument("input '" + spec.name + "': data is a flat array of " +
                               std::to_string(n) + " elements, which does not fill rows of " +
                               std::to_string(inner) + " for the model's " +
                               ShapeToString(spec.shape) + "; send a multiple of " +
                               std::to_string(inner) + " elements or nested arrays");
      }
      shape.assign(spec.shape.begin(), spec.shape.end());
      shape[0] = n / inner;
    }
    SKIFF_RETURN_IF_ERROR(CheckShape(spec, shape));
    bytes_used_ += tensor.data.size();
    tensor.shape = std::move(shape);
    return OkStatus();
  }

  const Signature& signature_;
  const DecodeOptions& options_;
  std::vector<std::optional<Tensor>> slots_;  // by signature input index
  size_t bytes_used_ = 0;
  int depth_ = 0;  // objects open: 1 = the body, 2 = "data" keyed by input
  std::string key_;
  bool seen_data_ = false;
  int current_ = -1;  // input whose array is being decoded
  DataArrayDecoder data_;
  Status status_;
};

}  // namespace

StatusOr<std::vector<Tensor>> DecodeAzureScoreRequest(std::string_view body,
                                                      const Signature& signature,
                                                      const DecodeOptions& options) {
  return DecodeWithSax<AzureScoreParser>(body, signature, options);
}

std::string EncodeAzureScoreResponse(const std::vector<Tensor>& outputs) {
  std::string out = "{\"result\":";
  if (outputs.size() == 1) {
    AppendNestedData(outputs[0], &out);
  } else {
    out.push_back('{');
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (i) out.push_back(',');
      AppendJsonString(outputs[i].name, &out);
      out.push_back(':');
      AppendNestedData(outputs[i], &out);
    }
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

}  // namespace skiff::protocol
