#include "skiff/protocol/infer_request.h"

#include <limits>
#include <memory>
#include <type_traits>

#include "data_array_decoder.h"
#include "element_codec.h"
#include "sax_capture.h"
#include "sax_decode.h"
#include "skiff/signature_check.h"
#include "skiff/protocol/infer_response.h"

namespace skiff::protocol {
namespace {

using json = nlohmann::json;

// Where in the request the parser is.
// kNone: outside the root (before it, or a body that is a bare scalar).
enum class Frame { kNone, kTop, kInputs, kInput, kShape, kOutputs, kOutput };

struct PendingInput {
  size_t index = 0;  // position in "inputs"
  std::optional<std::string> name;
  std::optional<DataType> dtype;
  bool has_datatype = false;
  std::optional<std::vector<int64_t>> shape;
  std::vector<int64_t> shape_so_far;
  bool has_data = false;
  bool has_parameters = false;
  std::vector<uint8_t> data;
};

struct PendingOutput {
  size_t index = 0;
  std::optional<std::string> name;
  bool has_parameters = false;
};

// What the parser reads: a request ("inputs" checked against the
// signature's inputs, "outputs" the requested ones) or a response
// ("outputs" checked against the signature's outputs, the model's name and
// version beside them).
enum class Message { kRequest, kResponse };

// SAX handler for nlohmann::json::sax_parse. Every method returns false to
// stop parsing, with status_ saying why. Tensor lists ("inputs" of a
// request, "outputs" of a response) are frame kInputs/kInput either way. The
// message is a template argument: a request pays nothing for responses.
template <Message kMessage>
class InferRequestParser {
 public:
  static constexpr bool response_ = kMessage == Message::kResponse;
  using Result = std::conditional_t<response_, InferResponse, InferRequest>;

  InferRequestParser(const Signature& signature, const DecodeOptions& options)
      : signature_(signature),
        options_(options),
        specs_(response_ ? signature.outputs : signature.inputs),
        tensor_(response_ ? "output" : "input"),
        slots_(specs_.size()) {}

  // nlohmann SAX interface -------------------------------------------------
  bool null() {
    if (in_data_) return DataResult(data_.Unexpected("null"));
    return Scalar(nullptr, "null");
  }
  bool boolean(bool v) {
    if (in_data_) return DataResult(data_.Scalar(JsonScalar::Bool(v)));
    return Scalar([&] { capture_.Boolean(v); }, "a boolean");
  }
  bool number_integer(int64_t v) {
    if (in_data_) return DataResult(data_.Scalar(JsonScalar::Int(v)));
    if (!capture_.active() && Top() == Frame::kShape) return AddDim(v >= 0, v);
    return Scalar([&] { capture_.Integer(v); }, "a number");
  }
  bool number_unsigned(uint64_t v) {
    if (in_data_) return DataResult(data_.Scalar(JsonScalar::Uint(v)));
    if (!capture_.active() && Top() == Frame::kShape) {
      const bool fits = v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      return AddDim(fits, fits ? static_cast<int64_t>(v) : -1);
    }
    return Scalar([&] { capture_.Unsigned(v); }, "a number");
  }
  // fast_sax.h: only a captured "parameters" value keeps a number's text.
  bool number_text_needed() const { return !in_data_ && capture_.active(); }
  bool number_float(double v, const std::string& text) {
    if (in_data_) return DataResult(data_.Scalar(JsonScalar::Float(v)));
    if (!capture_.active() && Top() == Frame::kShape) return AddDim(false, 0);
    return Scalar([&] { capture_.Float(v, text); }, "a number");
  }
  bool string(std::string& v) {
    if (in_data_) return DataResult(data_.Unexpected("a string"));
    if (capture_.active()) {
      capture_.String(v);
      return true;
    }
    if (!frames_.empty()) {
      if (Top() == Frame::kTop && key_ == "id") {
        request_.id = std::move(v);
        return true;
      }
      if (Top() == Frame::kTop && response_ && key_ == "model_name") {
        model_name_ = std::move(v);
        return true;
      }
      if (Top() == Frame::kTop && response_ && key_ == "model_version") {
        model_version_ = std::move(v);
        return true;
      }
      if (Top() == Frame::kInput && key_ == "name") {
        input_.name = std::move(v);
        return true;
      }
      if (Top() == Frame::kInput && key_ == "datatype") return SetDataType(v);
      if (Top() == Frame::kOutput && key_ == "name") {
        output_.name = std::move(v);
        return true;
      }
    }
    return WrongType("a string");
  }
  bool binary(json::binary_t&) { return WrongType("binary data"); }

  bool start_object(size_t n) {
    if (in_data_) return DataResult(data_.Unexpected("an object"));
    if (capture_.active()) {
      capture_.StartObject(n);
      return true;
    }
    if (frames_.empty()) {
      if (root_seen_) return WrongType("an object");
      root_seen_ = true;
      frames_.push_back(Frame::kTop);
      return true;
    }
    switch (Top()) {
      case Frame::kNone:  // the root, handled above
        break;
      case Frame::kTop:
        if (key_ == "parameters") return BeginCapture(&request_.parameters, n);
        break;
      case Frame::kInputs:
        input_ = PendingInput{};
        input_.index = num_inputs_++;
        return Push(Frame::kInput);
      case Frame::kInput:
        if (key_ == "parameters") return BeginCapture(nullptr, n);
        break;
      case Frame::kOutputs:
        output_ = PendingOutput{};
        output_.index = num_outputs_++;
        return Push(Frame::kOutput);
      case Frame::kOutput:
        if (key_ == "parameters") return BeginCapture(nullptr, n);
        break;
      case Frame::kShape:
        break;
    }
    return WrongType("an object");
  }

  bool key(std::string& k) {
    if (capture_.active()) {
      capture_.Key(k);
      return true;
    }
    key_ = std::move(k);
    switch (Top()) {
      case Frame::kTop:
        // The tensor list is third either way: Finish() looks for KeyBit(2).
        if (response_) {
          return CheckKey({"id", "parameters", "outputs", "model_name", "model_version"},
                          &top_keys_, [] { return std::string("the response"); });
        }
        return CheckKey({"id", "parameters", "inputs", "outputs"}, &top_keys_,
                        [] { return std::string("the request"); });
      case Frame::kInput:
        return CheckKey({"name", "shape", "datatype", "data", "parameters"}, &input_keys_,
                        [this] { return InputPath(); });
      case Frame::kOutput:
        return CheckKey({"name", "parameters"}, &output_keys_,
                        [this] { return "outputs[" + std::to_string(output_.index) + "]"; });
      default:
        return true;  // unreachable: keys only occur in objects
    }
  }

  bool end_object() {
    if (capture_.active()) {
      capture_.EndObject();
      return true;
    }
    const Frame frame = Top();
    frames_.pop_back();
    if (frame == Frame::kInput) {
      input_keys_ = 0;
      return Ok(FinishInput());
    }
    if (frame == Frame::kOutput) {
      output_keys_ = 0;
      return Ok(FinishOutput());
    }
    return true;
  }

  bool start_array(size_t n) {
    if (in_data_) return DataResult(data_.StartArray());
    if (capture_.active()) {
      capture_.StartArray(n);
      return true;
    }
    if (frames_.empty()) return WrongType("an array");
    switch (Top()) {
      case Frame::kTop:
        if (key_ == TensorsKey()) return Push(Frame::kInputs);
        if (!response_ && key_ == "outputs") return Push(Frame::kOutputs);
        break;
      case Frame::kInput:
        if (key_ == "shape") return Push(Frame::kShape);
        if (key_ == "data") return BeginData();
        break;
      default:
        break;
    }
    return WrongType("an array");
  }

  bool end_array() {
    if (in_data_) {
      if (!DataResult(data_.EndArray())) return false;
      if (data_.done()) {
        in_data_ = false;
        input_.has_data = true;
      }
      return true;
    }
    if (capture_.active()) {
      capture_.EndArray();
      return true;
    }
    if (Top() == Frame::kShape) input_.shape = std::move(input_.shape_so_far);
    frames_.pop_back();
    return true;
  }

  bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    status_ = InvalidArgument(JsonParseErrorMessage(position, ex.what()));
    return false;
  }

  // After a successful parse: the checks that need the whole request.
  StatusOr<Result> Finish() {
    if (!status_.ok()) return status_;
    if (!(top_keys_ & KeyBit(2))) {
      return InvalidArgument(std::string("the ") + (response_ ? "response" : "request") +
                             " has no '" + TensorsKey() + "' field; send {\"" + TensorsKey() +
                             "\": [{\"name\": ..., \"shape\": [...], \"datatype\": ..., "
                             "\"data\": [...]}]}");
    }
    request_.inputs.reserve(slots_.size());
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i]) {
        return InvalidArgument("missing " + std::string(tensor_) + " " + DescribeSpec(specs_[i]) +
                               "; the model's " + tensor_ + "s are: " + SpecNames(specs_));
      }
      request_.inputs.push_back(std::move(*slots_[i]));
    }
    if constexpr (response_) {
      InferResponse response;
      response.model_name = std::move(model_name_);
      response.model_version = std::move(model_version_);
      response.id = std::move(request_.id);
      response.outputs = std::move(request_.inputs);
      return response;
    } else {
      return std::move(request_);
    }
  }

  const Status& status() const { return status_; }

 private:
  static uint32_t KeyBit(size_t i) { return uint32_t{1} << i; }

  // Safe on an empty stack: a bare top-level number ("4") reaches the number
  // handlers with no frame open (found by fuzz/oip_infer_request_fuzzer.cc).
  Frame Top() const { return frames_.empty() ? Frame::kNone : frames_.back(); }
  bool Push(Frame frame) {
    frames_.push_back(frame);
    return true;
  }
  bool Ok(Status s) {
    if (s.ok()) return true;
    status_ = std::move(s);
    return false;
  }
  bool Fail(std::string message) { return Ok(InvalidArgument(std::move(message))); }

  const char* TensorsKey() const { return response_ ? "outputs" : "inputs"; }

  // "input 'x'" once the name is known, else "inputs[2]" ("output" in a response).
  std::string InputPath() const {
    // Built on the success path too (FinishInput): one string, appended to.
    if (input_.name) return (response_ ? "output '" : "input '") + *input_.name + "'";
    return TensorsKey() + ("[" + std::to_string(input_.index) + "]");
  }

  bool DataResult(bool ok) {
    if (ok) return true;
    return Fail(InputPath() + ": " + data_.error());
  }

  template <typename Forward>
  bool Scalar(Forward forward, const char* what) {
    if (capture_.active()) {
      if constexpr (std::is_same_v<Forward, std::nullptr_t>) {
        capture_.Null();
      } else {
        forward();
      }
      return true;
    }
    return WrongType(what);
  }

  bool BeginCapture(json* target, size_t n) {
    capture_.Begin(target);
    capture_.StartObject(n);
    return true;
  }

  // `where` names the object for an error message; built only on an error.
  template <typename Where>
  bool CheckKey(std::initializer_list<const char*> allowed, uint32_t* seen, Where where) {
    size_t i = 0;
    for (const char* name : allowed) {
      if (key_ == name) {
        if (*seen & KeyBit(i)) {
          return Fail(where() + ": field '" + key_ + "' appears twice; send it once");
        }
        *seen |= KeyBit(i);
        return true;
      }
      ++i;
    }
    std::string list;
    i = 0;
    for (const char* name : allowed) list += (i++ ? ", " : "") + std::string(name);
    return Fail(where() + ": unknown field '" + key_ + "'; expected only " + list);
  }

  // A value of the wrong JSON type for where it appears.
  bool WrongType(const char* got) {
    switch (Top()) {
      case Frame::kNone:
        return Fail("the request body must be a JSON object, got " + std::string(got));
      case Frame::kTop: {
        const char* want = key_ == "parameters"                        ? "an object"
                           : key_ == TensorsKey() || key_ == "outputs" ? "an array of objects"
                                                                       : "a string";
        return Fail("field '" + key_ + "' must be " + want + ", got " + got);
      }
      case Frame::kInputs:
        return Fail(TensorsKey() +
                    ("[" + std::to_string(num_inputs_) + "] must be an object, got ") + got);
      case Frame::kOutputs:
        return Fail("outputs[" + std::to_string(num_outputs_) + "] must be an object, got " + got);
      case Frame::kInput: {
        const char* want = key_ == "shape"        ? "an array of integers"
                           : key_ == "data"       ? "an array"
                           : key_ == "parameters" ? "an object"
                                                  : "a string";
        return Fail(InputPath() + ": field '" + key_ + "' must be " + want + ", got " + got);
      }
      case Frame::kShape:
        return AddDim(false, 0);
      case Frame::kOutput: {
        const char* want = key_ == "parameters" ? "an object" : "a string";
        return Fail("outputs[" + std::to_string(output_.index) + "]: field '" + key_ +
                    "' must be " + want + ", got " + got);
      }
    }
    return false;
  }

  bool AddDim(bool valid, int64_t dim) {
    if (!valid) {
      return Fail(InputPath() + ": shape[" + std::to_string(input_.shape_so_far.size()) +
                  "] must be a non-negative integer");
    }
    input_.shape_so_far.push_back(dim);
    return true;
  }

  bool SetDataType(const std::string& name) {
    input_.has_datatype = true;
    input_.dtype = ParseDataType(name);
    if (!input_.dtype) return Fail(InputPath() + ": " + UnsupportedDataTypeMessage(name));
    return true;
  }

  size_t RemainingBytes() const { return options_.max_input_bytes - bytes_used_; }

  bool BeginData() {
    size_t expected_elements = 0;
    if (input_.dtype && input_.shape) {
      auto bytes = CheckedByteSize(InputPath(), *input_.shape, *input_.dtype, RemainingBytes());
      if (!bytes.ok()) return Ok(bytes.status());
      expected_elements = *bytes / DataTypeSize(*input_.dtype);
    }
    in_data_ = true;
    data_.Begin(input_.dtype, &input_.data, RemainingBytes(), expected_elements);
    return DataResult(data_.StartArray());
  }

  Status FinishInput() {
    const std::string where = InputPath();
    if (!input_.name) return InvalidArgument(where + ": missing required field 'name'");
    const int spec_index = FindSpec(specs_, *input_.name);
    auto at = [this] { return TensorsKey() + ("[" + std::to_string(input_.index) + "]"); };
    if (spec_index < 0) {
      return InvalidArgument("unknown " + std::string(tensor_) + " '" + *input_.name + "' (" +
                             at() + "); the model's " + tensor_ + "s are: " + SpecNames(specs_));
    }
    const TensorSpec& spec = specs_[spec_index];
    if (slots_[spec_index]) {
      return InvalidArgument(tensor_ + (" '" + spec.name + "' appears more than once (again at ") +
                             at() + "); send each " + tensor_ + " once");
    }
    if (!input_.has_datatype) return InvalidArgument(where + ": missing required field 'datatype'");
    if (!input_.shape) return InvalidArgument(where + ": missing required field 'shape'");
    if (!input_.has_data) return InvalidArgument(where + ": missing required field 'data'");
    const DataType dtype = *input_.dtype;
    SKIFF_RETURN_IF_ERROR(CheckDataType(spec, dtype));
    const std::vector<int64_t>& shape = *input_.shape;
    SKIFF_ASSIGN_OR_RETURN(size_t bytes, CheckedByteSize(where, shape, dtype, RemainingBytes()));
    SKIFF_RETURN_IF_ERROR(CheckShape(spec, shape));
    if (!data_.Finish(dtype)) return InvalidArgument(where + ": " + data_.error());
    const std::vector<int64_t> nested = data_.shape();
    if (nested.size() > 1 && nested != shape) {
      return InvalidArgument(where + ": data is nested as " + ShapeToString(nested) +
                             " but shape is " + ShapeToString(shape) +
                             "; nest data exactly as shape says, or send it flat");
    }
    const size_t elements = bytes / DataTypeSize(dtype);
    if (data_.num_elements() != elements) {
      return InvalidArgument(where + ": shape " + ShapeToString(shape) + " needs " +
                             std::to_string(elements) + " elements but data has " +
                             std::to_string(data_.num_elements()));
    }
    bytes_used_ += bytes;
    Tensor tensor;
    tensor.name = spec.name;
    tensor.dtype = dtype;
    tensor.shape = shape;
    tensor.data = std::move(input_.data);
    slots_[spec_index] = std::move(tensor);
    return OkStatus();
  }

  Status FinishOutput() {
    const std::string where = "outputs[" + std::to_string(output_.index) + "]";
    if (!output_.name) return InvalidArgument(where + ": missing required field 'name'");
    const std::string& name = *output_.name;
    if (FindSpec(signature_.outputs, name) < 0) {
      return InvalidArgument(
          "requested output '" + name + "' (" + where +
          ") is not an output of the model; its outputs are: " + SpecNames(signature_.outputs));
    }
    for (const std::string& earlier : request_.requested_outputs) {
      if (earlier == name) {
        return InvalidArgument("output '" + name + "' is requested more than once (again at " +
                               where + "); request each output once");
      }
    }
    request_.requested_outputs.push_back(name);
    return OkStatus();
  }

  const Signature& signature_;
  const DecodeOptions& options_;
  const std::vector<TensorSpec>& specs_;  // the tensors the list is checked against
  const char* const tensor_;              // "input" or "output", for messages
  InferRequest request_;
  std::string model_name_, model_version_;    // a response's
  std::vector<std::optional<Tensor>> slots_;  // by signature input index
  size_t bytes_used_ = 0;

  std::vector<Frame> frames_;
  bool root_seen_ = false;
  std::string key_;  // the last key in the innermost object
  uint32_t top_keys_ = 0, input_keys_ = 0, output_keys_ = 0;  // fields seen, by KeyBit
  PendingInput input_;
  PendingOutput output_;
  size_t num_inputs_ = 0, num_outputs_ = 0;

  bool in_data_ = false;
  DataArrayDecoder data_;
  SaxCapture capture_;
  Status status_;
};

}  // namespace

StatusOr<InferRequest> DecodeInferRequest(std::string_view body, const Signature& signature,
                                          const DecodeOptions& options) {
  return DecodeWithSax<InferRequestParser<Message::kRequest>>(body, signature, options);
}

StatusOr<InferResponse> DecodeInferResponse(std::string_view body, const Signature& signature,
                                            const DecodeOptions& options) {
  return DecodeWithSax<InferRequestParser<Message::kResponse>>(body, signature, options);
}

}  // namespace skiff::protocol
