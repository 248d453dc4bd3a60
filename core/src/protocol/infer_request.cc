// SPDX-License-Identifier: Apache-2.0
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
// Keys are compared as string_views: a size check, then memcmp (a
// `std::string == const char*` costs a strlen and a compare call; ~20 of
// them a request, issue 20 sixth session).
using namespace std::string_view_literals;

// The fields the parser knows. The last key is kept as one of these (it has
// passed CheckKey), not as a copy of its text: the text is a view into the
// body on the fast path, or nlohmann's token buffer, reused by the next token.
enum class Field : uint8_t {
  kNone,
  kId,
  kParameters,
  kInputs,
  kOutputs,
  kModelName,
  kModelVersion,
  kName,
  kShape,
  kDatatype,
  kData,
};

std::string_view FieldName(Field f) {
  switch (f) {
    case Field::kNone:
      break;
    case Field::kId:
      return "id"sv;
    case Field::kParameters:
      return "parameters"sv;
    case Field::kInputs:
      return "inputs"sv;
    case Field::kOutputs:
      return "outputs"sv;
    case Field::kModelName:
      return "model_name"sv;
    case Field::kModelVersion:
      return "model_version"sv;
    case Field::kName:
      return "name"sv;
    case Field::kShape:
      return "shape"sv;
    case Field::kDatatype:
      return "datatype"sv;
    case Field::kData:
      return "data"sv;
  }
  return {};
}

// The field `k` names, kNone for any other text. By length first, then
// one fixed-size compare (inlined): no loop over names, no memcmp call.
Field ClassifyKey(std::string_view k) {
  switch (k.size()) {
    case 2:
      return k == "id"sv ? Field::kId : Field::kNone;
    case 4:
      return k == "name"sv ? Field::kName : k == "data"sv ? Field::kData : Field::kNone;
    case 5:
      return k == "shape"sv ? Field::kShape : Field::kNone;
    case 6:
      return k == "inputs"sv ? Field::kInputs : Field::kNone;
    case 7:
      return k == "outputs"sv ? Field::kOutputs : Field::kNone;
    case 8:
      return k == "datatype"sv ? Field::kDatatype : Field::kNone;
    case 10:
      return k == "parameters"sv   ? Field::kParameters
             : k == "model_name"sv ? Field::kModelName
                                   : Field::kNone;
    case 13:
      return k == "model_version"sv ? Field::kModelVersion : Field::kNone;
    default:
      return Field::kNone;
  }
}

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
  // parameters.binary_data_size as given (any JSON value), when given: the
  // only member of an input's parameters that is read (ParamScan).
  std::optional<nlohmann::json> binary_data_size;
  std::vector<uint8_t> data;
  // CheckedByteSize's answer once dtype and shape are known, from BeginData
  // (no other input ends in between, so FinishInput would get the same).
  std::optional<size_t> byte_size;

  // For the next input: as PendingInput{}, without building and destroying
  // a temporary (its json and vectors) per input.
  void Reset(size_t next_index) {
    index = next_index;
    name.reset();
    dtype.reset();
    has_datatype = false;
    shape.reset();
    shape_so_far.clear();
    has_data = false;
    has_parameters = false;
    binary_data_size.reset();
    data.clear();
    byte_size.reset();
  }
};

// Which signature slots have a tensor: a bit each, in place for up to 64.
class FilledSlots {
 public:
  explicit FilledSlots(size_t n) {
    if (n > 64) big_.resize(n);
  }
  bool test(size_t i) const { return big_.empty() ? (small_ >> i) & 1 : big_[i]; }
  void set(size_t i) {
    if (big_.empty()) {
      small_ |= uint64_t{1} << i;
    } else {
      big_[i] = true;
    }
  }

 private:
  uint64_t small_ = 0;
  std::vector<bool> big_;
};

struct PendingOutput {
  size_t index = 0;
  std::optional<std::string> name;
  bool has_parameters = false;
  std::optional<nlohmann::json> binary_data;  // parameters.binary_data, when given
};

// The open frames, innermost last. The grammar bounds them (top, inputs,
// input, shape), so they are held in place: no allocation per request.
class FrameStack {
 public:
  static constexpr size_t kCapacity = 4;
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == kCapacity; }
  Frame back() const { return frames_[size_ - 1]; }
  void push_back(Frame f) { frames_[size_++] = f; }
  void pop_back() { --size_; }

 private:
  Frame frames_[kCapacity] = {};
  size_t size_ = 0;
};

// An input's or output's "parameters" object, of which only one member is
// read (binary_data_size, binary_data): the others are skipped instead of
// built into a json object (a map, a node and a key per member), and that
// member's value is kept alone, as the json a DOM would have held for it
// (the last one when it appears twice, as in a DOM).
struct ParamScan {
  int depth = 0;                  // objects and arrays open; 1 = the parameters object
  std::string_view want;          // the member read
  std::optional<nlohmann::json>* slot = nullptr;  // where its value goes
  bool wanted_next = false;       // the last key at depth 1 was `want`
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

  // `binary`: the bytes after the JSON header (the binary tensor
  // extension); nullopt when the message had no Inference-Header-Content-Length.
  // `parts`: instead, one whole part per binary tensor, in list order
  // (DecodeInferRequestParts); null for a body.
  InferRequestParser(const Signature& signature, const DecodeOptions& options,
                     const std::optional<std::string_view>& binary,
                     const std::vector<std::string_view>* parts = nullptr)
      : signature_(signature),
        options_(options),
        binary_(parts != nullptr ? std::optional<std::string_view>(std::string_view()) : binary),
        parts_(parts),
        specs_(response_ ? signature.outputs : signature.inputs),
        tensor_(response_ ? "output" : "input"),
        filled_(specs_.size()) {
    // Each tensor is written in its signature slot as its input ends.
    request_.inputs.resize(specs_.size());
  }

  // nlohmann SAX interface -------------------------------------------------
  bool null() {
    if (in_data_) return DataResult(data_.Unexpected("null"));
    return Scalar(nullptr, [] { return json(nullptr); }, "null");
  }
  bool boolean(bool v) {
    if (in_data_) return DataResult(data_.Scalar(JsonScalar::Bool(v)));
    return Scalar([&] { capture_.Boolean(v); }, [&] { return json(v); }, "a boolean");
  }
  bool number_integer(int64_t v) {
    if (in_data_) return DataResult(data_.Scalar(JsonScalar::Int(v)));
    if (!capture_.active() && Top() == Frame::kShape) return AddDim(v >= 0, v);
    return Scalar([&] { capture_.Integer(v); }, [&] { return json(v); }, "a number");
  }
  bool number_unsigned(uint64_t v) {
    if (in_data_) return DataResult(data_.Scalar(JsonScalar::Uint(v)));
    if (!capture_.active() && Top() == Frame::kShape) {
      const bool fits = v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      return AddDim(fits, fits ? static_cast<int64_t>(v) : -1);
    }
    return Scalar([&] { capture_.Unsigned(v); }, [&] { return json(v); }, "a number");
  }
  // fast_sax.h: only a captured "parameters" value keeps a number's text.
  bool number_text_needed() const { return !in_data_ && capture_.active(); }
  bool number_float(double v, const std::string& text) {
    if (in_data_) return DataResult(data_.Scalar(JsonScalar::Float(v)));
    return FloatOutsideData(v, text);
  }
  // Out of line: number_float, called per element of a float tensor, stays
  // small enough to inline into the tokenizer.
  __attribute__((noinline)) bool FloatOutsideData(double v, const std::string& text) {
    if (!capture_.active() && Top() == Frame::kShape) return AddDim(false, 0);
    return Scalar([&] { capture_.Float(v, text); }, [&] { return json(v); }, "a number");
  }
  // fast_sax.h: a view into the body (no copy) on the fast path; from
  // nlohmann, its token buffer (valid for this call only).
  bool string(std::string_view v) {
    if (in_data_) return DataResult(data_.String(v));
    if (capture_.active()) {
      capture_.String(v);
      return true;
    }
    if (scan_.depth > 0) return ScanScalar([&] { return json(std::string(v)); });
    if (!frames_.empty()) {
      if (Top() == Frame::kTop && key_ == Field::kId) {
        request_.id.emplace(v);
        return true;
      }
      // A request may name its model too (Triton's examples do); the path
      // decides, so it is read and dropped.
      if (Top() == Frame::kTop && key_ == Field::kModelName) {
        model_name_.assign(v);
        return true;
      }
      if (Top() == Frame::kTop && key_ == Field::kModelVersion) {
        model_version_.assign(v);
        return true;
      }
      if (Top() == Frame::kInput && key_ == Field::kName) {
        input_.name.emplace(v);
        return true;
      }
      if (Top() == Frame::kInput && key_ == Field::kDatatype) return SetDataType(v);
      if (Top() == Frame::kOutput && key_ == Field::kName) {
        output_.name.emplace(v);
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
    if (scan_.depth > 0) return ScanOpen(n, true);
    if (frames_.empty()) {
      if (root_seen_) return WrongType("an object");
      root_seen_ = true;
      return Push(Frame::kTop);
    }
    switch (Top()) {
      case Frame::kNone:  // the root, handled above
        break;
      case Frame::kTop:
        if (key_ == Field::kParameters) return BeginCapture(&request_.parameters, n);
        break;
      case Frame::kInputs:
        input_.Reset(num_inputs_++);
        return Push(Frame::kInput);
      case Frame::kInput:
        if (key_ == Field::kParameters) {
          return BeginScan(&input_.binary_data_size, "binary_data_size"sv);
        }
        break;
      case Frame::kOutputs:
        output_ = PendingOutput{};
        output_.index = num_outputs_++;
        return Push(Frame::kOutput);
      case Frame::kOutput:
        if (key_ == Field::kParameters) return BeginScan(&output_.binary_data, "binary_data"sv);
        break;
      case Frame::kShape:
        break;
    }
    return WrongType("an object");
  }

  // fast_sax.h: a view, as for string().
  bool key(std::string_view k) {
    if (capture_.active()) {
      capture_.Key(k);
      return true;
    }
    if (scan_.depth > 0) {
      if (scan_.depth == 1) scan_.wanted_next = k == scan_.want;
      return true;
    }
    key_ = Field::kNone;
    const Field field = ClassifyKey(k);
    switch (Top()) {
      case Frame::kTop:
        // The tensor list is third either way: Finish() looks for KeyBit(2).
        if (response_) {
          return CheckKey(k, field,
                          {Field::kId, Field::kParameters, Field::kOutputs, Field::kModelName,
                           Field::kModelVersion},
                          &top_keys_, [] { return std::string("the response"); });
        }
        // model_name/model_version are tolerated (Triton's examples send
        // them), not advertised: the path names the model.
        if (field == Field::kModelName || field == Field::kModelVersion) {
          return CheckKey(k, field, {Field::kModelName, Field::kModelVersion}, &tolerated_keys_,
                          [] { return std::string("the request"); });
        }
        return CheckKey(k, field,
                        {Field::kId, Field::kParameters, Field::kInputs, Field::kOutputs},
                        &top_keys_, [] { return std::string("the request"); });
      case Frame::kInput:
        return CheckKey(
            k, field,
            {Field::kName, Field::kShape, Field::kDatatype, Field::kData, Field::kParameters},
            &input_keys_, [this] { return InputPath(); });
      case Frame::kOutput:
        return CheckKey(k, field, {Field::kName, Field::kParameters}, &output_keys_,
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
    if (scan_.depth > 0) {
      --scan_.depth;
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
    if (scan_.depth > 0) return ScanOpen(n, false);
    if (frames_.empty()) return WrongType("an array");
    switch (Top()) {
      case Frame::kTop:
        if (key_ == TensorsField()) return Push(Frame::kInputs);
        if (!response_ && key_ == Field::kOutputs) return Push(Frame::kOutputs);
        break;
      case Frame::kInput:
        if (key_ == Field::kShape) {
          input_.shape_so_far.reserve(4);  // most ranks: one allocation, no regrowth
          return Push(Frame::kShape);
        }
        if (key_ == Field::kData) return BeginData();
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
    if (scan_.depth > 0) {
      --scan_.depth;
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
    if (parts_ != nullptr && next_part_ != parts_->size()) {
      return InvalidArgument(std::to_string(parts_->size()) + " binary parts came with the " +
                             tensor_ + "s but " + std::to_string(next_part_) + " " + tensor_ +
                             "s have parameters.binary_data_size; give one part per such " +
                             tensor_);
    }
    if (binary_ && binary_offset_ != binary_->size()) {
      return InvalidArgument(
          "the body has " + std::to_string(binary_->size()) + " bytes after the JSON header (" +
          kInferenceHeaderContentLength + ") but the " + tensor_ +
          "s' parameters.binary_data_size add up to " + std::to_string(binary_offset_) +
          "; the header must give the JSON's length and each binary_data_size its tensor's "
          "byte count");
    }
    for (size_t i = 0; i < specs_.size(); ++i) {
      if (!filled_.test(i)) {
        return InvalidArgument("missing " + std::string(tensor_) + " " + DescribeSpec(specs_[i]) +
                               "; the model's " + tensor_ + "s are: " + SpecNames(specs_));
      }
    }
    if constexpr (response_) {
      InferResponse response;
      response.model_name = std::move(model_name_);
      response.model_version = std::move(model_version_);
      response.id = std::move(request_.id);
      response.outputs = std::move(request_.inputs);
      return response;
    } else {
      SKIFF_RETURN_IF_ERROR(ResolveBinaryOutputs());
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
    // Unreachable: each frame opens only inside the one before it.
    if (frames_.full()) return Fail("the request nests deeper than an infer request can");
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
  static constexpr Field TensorsField() { return response_ ? Field::kOutputs : Field::kInputs; }

  // "input 'x'" once the name is known, else "inputs[2]" ("output" in a response).
  std::string InputPath() const {
    // Built on the success path too (FinishInput): one string, appended to.
    if (input_.name) return (response_ ? "output '" : "input '") + *input_.name + "'";
    return TensorsKey() + ("[" + std::to_string(input_.index) + "]");
  }

  // Called per data element: the refusal is out of line.
  bool DataResult(bool ok) { return ok || DataFailed(); }
  __attribute__((noinline)) bool DataFailed() {
    return Fail(InputPath() + ": " + data_.error());
  }

  // A scalar outside data and shape: captured, scanned or refused. `make`
  // builds it as a json, for a ParamScan.
  template <typename Forward, typename Make>
  bool Scalar(Forward forward, Make make, const char* what) {
    if (capture_.active()) {
      if constexpr (std::is_same_v<Forward, std::nullptr_t>) {
        capture_.Null();
      } else {
        forward();
      }
      return true;
    }
    if (scan_.depth > 0) return ScanScalar(make);
    return WrongType(what);
  }

  bool BeginCapture(json* target, size_t n) {
    capture_.Begin(target);
    capture_.StartObject(n);
    return true;
  }

  // At the parameters object's '{'.
  bool BeginScan(std::optional<json>* slot, std::string_view want) {
    scan_ = ParamScan{1, want, slot, false};
    return true;
  }
  template <typename Make>
  bool ScanScalar(Make make) {
    if (scan_.depth == 1 && scan_.wanted_next) {
      *scan_.slot = make();
      scan_.wanted_next = false;
    }
    return true;
  }
  // An object or array inside the parameters: the wanted member's value is
  // captured whole (its message shows it), anything else skipped.
  bool ScanOpen(size_t n, bool object) {
    if (scan_.depth == 1 && scan_.wanted_next) {
      scan_.wanted_next = false;
      scan_.slot->emplace();
      capture_.Begin(&**scan_.slot);
      if (object) {
        capture_.StartObject(n);
      } else {
        capture_.StartArray(n);
      }
      return true;
    }
    ++scan_.depth;
    return true;
  }

  // Sets key_ to `field` (ClassifyKey(k)), if `allowed` has it and it was
  // not seen before in this object. `where` names the object for an error
  // message; built only on an error.
  template <typename Where>
  bool CheckKey(std::string_view k, Field field, std::initializer_list<Field> allowed,
                uint32_t* seen, Where where) {
    size_t i = 0;
    for (Field allowed_field : allowed) {
      if (field == allowed_field) {
        if (*seen & KeyBit(i)) {
          return Fail(where() + ": field '" + std::string(k) + "' appears twice; send it once");
        }
        *seen |= KeyBit(i);
        key_ = field;
        return true;
      }
      ++i;
    }
    std::string list;
    i = 0;
    for (Field f : allowed) list += (i++ ? ", " : "") + std::string(FieldName(f));
    return Fail(where() + ": unknown field '" + std::string(k) + "'; expected only " + list);
  }

  // A value of the wrong JSON type for where it appears.
  bool WrongType(const char* got) {
    switch (Top()) {
      case Frame::kNone:
        return Fail("the request body must be a JSON object, got " + std::string(got));
      case Frame::kTop: {
        const bool list = key_ == TensorsField() || key_ == Field::kOutputs;
        const char* want = key_ == Field::kParameters ? "an object"
                           : list                     ? "an array of objects"
                                                      : "a string";
        return Fail("field '" + std::string(FieldName(key_)) + "' must be " + want + ", got " +
                    got);
      }
      case Frame::kInputs:
        return Fail(TensorsKey() +
                    ("[" + std::to_string(num_inputs_) + "] must be an object, got ") + got);
      case Frame::kOutputs:
        return Fail("outputs[" + std::to_string(num_outputs_) + "] must be an object, got " + got);
      case Frame::kInput: {
        const char* want = key_ == Field::kShape        ? "an array of integers"
                           : key_ == Field::kData       ? "an array"
                           : key_ == Field::kParameters ? "an object"
                                                        : "a string";
        return Fail(InputPath() + ": field '" + std::string(FieldName(key_)) + "' must be " +
                    want + ", got " + got);
      }
      case Frame::kShape:
        return AddDim(false, 0);
      case Frame::kOutput: {
        const char* want = key_ == Field::kParameters ? "an object" : "a string";
        return Fail("outputs[" + std::to_string(output_.index) + "]: field '" +
                    std::string(FieldName(key_)) + "' must be " + want + ", got " + got);
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

  bool SetDataType(std::string_view name) {
    input_.has_datatype = true;
    input_.dtype = ParseDataType(name);
    if (!input_.dtype) {
      return Fail(InputPath() + ": " + UnsupportedDataTypeMessage(std::string(name)));
    }
    return true;
  }

  size_t RemainingBytes() const { return options_.max_input_bytes - bytes_used_; }

  // CheckedByteSize for the pending input: its name (InputPath) is built
  // only for a refusal, which is asked for again with it; the success path
  // builds no string.
  StatusOr<size_t> InputByteSize(const std::vector<int64_t>& shape, DataType dtype) const {
    static const std::string kUnnamed;
    auto bytes = CheckedByteSize(kUnnamed, shape, dtype, RemainingBytes());
    if (bytes.ok()) return bytes;
    return CheckedByteSize(InputPath(), shape, dtype, RemainingBytes());
  }

  bool BeginData() {
    size_t expected_elements = 0;
    if (input_.dtype && input_.shape) {
      auto bytes = InputByteSize(*input_.shape, *input_.dtype);
      if (!bytes.ok()) return Ok(bytes.status());
      input_.byte_size = *bytes;
      expected_elements = *bytes / MinElementSize(*input_.dtype);
    }
    in_data_ = true;
    data_.Begin(input_.dtype, &input_.data, RemainingBytes(), expected_elements);
    return DataResult(data_.StartArray());
  }

  Status FinishInput() {
    // The input's name for a refusal; built only for one.
    auto where = [this] { return InputPath(); };
    if (!input_.name) return InvalidArgument(where() + ": missing required field 'name'");
    const int spec_index = FindSpec(specs_, *input_.name);
    auto at = [this] { return TensorsKey() + ("[" + std::to_string(input_.index) + "]"); };
    if (spec_index < 0) {
      return InvalidArgument("unknown " + std::string(tensor_) + " '" + *input_.name + "' (" +
                             at() + "); the model's " + tensor_ + "s are: " + SpecNames(specs_));
    }
    const TensorSpec& spec = specs_[spec_index];
    if (filled_.test(spec_index)) {
      return InvalidArgument(tensor_ + (" '" + spec.name + "' appears more than once (again at ") +
                             at() + "); send each " + tensor_ + " once");
    }
    if (!input_.has_datatype) {
      return InvalidArgument(where() + ": missing required field 'datatype'");
    }
    if (!input_.shape) return InvalidArgument(where() + ": missing required field 'shape'");
    SKIFF_ASSIGN_OR_RETURN(std::optional<uint64_t> binary_size, BinaryDataSize(where));
    if (!input_.has_data && !binary_size) {
      return InvalidArgument(where() + ": missing required field 'data'");
    }
    if (input_.has_data && binary_size) {
      return InvalidArgument(where() + ": has both 'data' and parameters.binary_data_size; send " +
                             "one: binary_data_size when the bytes follow the JSON header");
    }
    const DataType dtype = *input_.dtype;
    SKIFF_RETURN_IF_ERROR(CheckDataType(spec, dtype));
    const std::vector<int64_t>& shape = *input_.shape;
    size_t bytes = 0;
    if (input_.byte_size) {
      bytes = *input_.byte_size;
    } else {
      SKIFF_ASSIGN_OR_RETURN(bytes, InputByteSize(shape, dtype));
    }
    SKIFF_RETURN_IF_ERROR(CheckShape(spec, shape));
    // Its slot; a refusal below leaves it half-written, but then the whole
    // request is refused.
    Tensor& tensor = request_.inputs[spec_index];
    if (binary_size) {
      SKIFF_RETURN_IF_ERROR(TakeBinary(where, shape, dtype, bytes, *binary_size, &tensor.data));
      tensor.name = spec.name;
      tensor.dtype = dtype;
      tensor.shape = std::move(*input_.shape);  // `shape`'s last use
      filled_.set(spec_index);
      return OkStatus();
    }
    if (!data_.Finish(dtype)) return InvalidArgument(where() + ": " + data_.error());
    if (data_.rank() > 1 && !data_.ShapeIs(shape)) {
      return InvalidArgument(where() + ": data is nested as " + ShapeToString(data_.shape()) +
                             " but shape is " + ShapeToString(shape) +
                             "; nest data exactly as shape says, or send it flat");
    }
    const size_t elements = bytes / MinElementSize(dtype);
    if (data_.num_elements() != elements) {
      return InvalidArgument(where() + ": shape " + ShapeToString(shape) + " needs " +
                             std::to_string(elements) + " elements but data has " +
                             std::to_string(data_.num_elements()));
    }
    bytes_used_ += bytes;
    tensor.name = spec.name;
    tensor.dtype = dtype;
    tensor.shape = std::move(*input_.shape);  // `shape`'s last use
    tensor.data = std::move(input_.data);
    filled_.set(spec_index);
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
    if (output_.binary_data) {
      const json& value = *output_.binary_data;
      if (!value.is_boolean()) {
        return InvalidArgument(where + ": parameters.binary_data must be true or false, got " +
                               value.dump());
      }
      explicit_binary_.emplace_back(name, value.get<bool>());
    }
    request_.requested_outputs.push_back(name);
    return OkStatus();
  }

  // ---- The binary tensor extension ----

  // An input's (or a response output's) parameters.binary_data_size.
  // `where()` names the input, for a refusal only.
  template <typename Where>
  StatusOr<std::optional<uint64_t>> BinaryDataSize(Where where) const {
    if (!input_.binary_data_size) return std::optional<uint64_t>();
    const json& value = *input_.binary_data_size;
    if (!value.is_number_unsigned()) {
      return InvalidArgument(where() + ": parameters.binary_data_size must be a non-negative " +
                             "integer (the tensor's byte count after the JSON header), got " +
                             value.dump());
    }
    return std::optional<uint64_t>(value.get<uint64_t>());
  }

  // Cuts the tensor's `size` bytes from the binary part, in list order, and
  // checks them against its shape (`min_bytes`: CheckedByteSize's).
  template <typename Where>
  Status TakeBinary(Where where, const std::vector<int64_t>& shape, DataType dtype,
                    size_t min_bytes, uint64_t size, std::vector<uint8_t>* out) {
    // Only refusals need the message's prefix: the success path builds no string.
    auto said = [&] {
      return where() + ": parameters.binary_data_size is " + std::to_string(size);
    };
    if (parts_ != nullptr) {
      // Each binary tensor is one whole part: the checks below see it as
      // the body's binary bytes, all left for this tensor.
      if (next_part_ == parts_->size() || (*parts_)[next_part_].size() != size) {
        return InvalidArgument(
            said() + " but " +
            (next_part_ == parts_->size()
                 ? "no binary part is left for it"
                 : "its binary part has " + std::to_string((*parts_)[next_part_].size()) +
                       " bytes") +
            "; give one part per binary " + tensor_ + ", in order, of its byte count");
      }
      binary_ = (*parts_)[next_part_++];
      binary_offset_ = 0;
    }
    if (!binary_) {
      return InvalidArgument(said() + " but the request has no " + kInferenceHeaderContentLength +
                             " header; send it with the length " +
                             "of the JSON, the tensors' bytes following it");
    }
    const size_t left = binary_->size() - binary_offset_;
    if (size > left) {
      return InvalidArgument(said() + " but only " + std::to_string(left) +
                             " bytes of the body's " + std::to_string(binary_->size()) +
                             " after the JSON header are left " +
                             "for it; the bytes must follow the JSON in " + tensor_ + " order");
    }
    if (size > RemainingBytes()) {
      return InvalidArgument(said() + ", over the request size limit of " +
                             std::to_string(options_.max_input_bytes) +
                             " bytes; send smaller batches");
    }
    const auto* begin = reinterpret_cast<const uint8_t*>(binary_->data()) + binary_offset_;
    const size_t n = static_cast<size_t>(size);
    if (dtype == DataType::kBytes) {
      const int64_t want = static_cast<int64_t>(min_bytes / 4);
      const int64_t got = CountBytesElements(begin, n);
      if (got != want) {
        return InvalidArgument(
            said() + " but those bytes hold " +
            (got < 0 ? std::string("an element whose 4-byte length runs past them")
                     : std::to_string(got) + " BYTES elements") +
            " and shape " + ShapeToString(shape) + " needs " + std::to_string(want) +
            "; send each element as a 4-byte little-endian length and its bytes");
      }
    } else if (n != min_bytes) {
      return InvalidArgument(said() + " but shape " + ShapeToString(shape) + " of " +
                             DataTypeName(dtype) + " takes " + std::to_string(min_bytes) +
                             " bytes; send exactly the tensor's bytes, little-endian, row-major");
    }
    // The one copy of a binary tensor: the body is the HTTP session's
    // string (or a part is the gRPC message's), the tensor owns a
    // std::vector across the plugin ABI.
    out->assign(begin, begin + n);
    binary_offset_ += n;
    bytes_used_ += n;
    return OkStatus();
  }

  // Which outputs the response sends binary: an output's binary_data, else
  // the request's parameters.binary_data_output, else JSON.
  Status ResolveBinaryOutputs() {
    bool all = false;
    if (request_.parameters.is_object()) {
      auto it = request_.parameters.find("binary_data_output");
      if (it != request_.parameters.end()) {
        if (!it->is_boolean()) {
          return InvalidArgument("parameters.binary_data_output must be true or false, got " +
                                 it->dump());
        }
        all = it->get<bool>();
      }
    }
    if (!all && explicit_binary_.empty()) return OkStatus();
    for (const TensorSpec& spec : signature_.outputs) {
      bool binary = all;
      for (const auto& [name, value] : explicit_binary_) {
        if (name == spec.name) binary = value;
      }
      if (binary) request_.binary_outputs.push_back(spec.name);
    }
    return OkStatus();
  }

  const Signature& signature_;
  const DecodeOptions& options_;
  // After the JSON header; with parts_, the part being taken.
  std::optional<std::string_view> binary_;
  size_t binary_offset_ = 0;                          // of binary_, taken so far
  const std::vector<std::string_view>* const parts_;  // null unless decoding parts
  size_t next_part_ = 0;                              // of *parts_
  std::vector<std::pair<std::string, bool>> explicit_binary_;  // outputs' binary_data
  const std::vector<TensorSpec>& specs_;  // the tensors the list is checked against
  const char* const tensor_;              // "input" or "output", for messages
  InferRequest request_;
  std::string model_name_, model_version_;    // a response's
  FilledSlots filled_;  // request_.inputs[i] holds its tensor, by signature index
  size_t bytes_used_ = 0;

  FrameStack frames_;
  bool root_seen_ = false;
  Field key_ = Field::kNone;  // the last key in the innermost object
  uint32_t top_keys_ = 0, input_keys_ = 0, output_keys_ = 0;  // fields seen, by KeyBit
  uint32_t tolerated_keys_ = 0;  // a request's model_name, model_version
  PendingInput input_;
  PendingOutput output_;
  size_t num_inputs_ = 0, num_outputs_ = 0;

  bool in_data_ = false;
  DataArrayDecoder data_;
  SaxCapture capture_;
  ParamScan scan_;
  Status status_;
};

}  // namespace

StatusOr<size_t> ParseInferenceHeaderLength(std::string_view value, size_t body_size) {
  const std::string what = std::string("header ") + kInferenceHeaderContentLength;
  bool digits = !value.empty() && value.size() <= 19;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  if (!digits) {
    return InvalidArgument(what + " must be the length in bytes of the JSON at the start of the " +
                           "body, a non-negative integer; got '" +
                           std::string(value.substr(0, 32)) + "'");
  }
  const uint64_t n = std::stoull(std::string(value));
  if (n > body_size) {
    return InvalidArgument(what + " is " + std::to_string(n) + " but the body has only " +
                           std::to_string(body_size) + " bytes; it must be the length of the " +
                           "JSON at the start of the body");
  }
  return static_cast<size_t>(n);
}

namespace {

// The JSON part and the binary part of a body.
StatusOr<std::pair<std::string_view, std::optional<std::string_view>>> SplitBody(
    std::string_view body, std::optional<std::string_view> header) {
  if (!header) return std::make_pair(body, std::optional<std::string_view>());
  SKIFF_ASSIGN_OR_RETURN(size_t json_length, ParseInferenceHeaderLength(*header, body.size()));
  return std::make_pair(body.substr(0, json_length),
                        std::optional<std::string_view>(body.substr(json_length)));
}

}  // namespace

StatusOr<InferRequest> DecodeInferRequest(std::string_view body, const Signature& signature,
                                          const DecodeOptions& options,
                                          std::optional<std::string_view> inference_header) {
  SKIFF_ASSIGN_OR_RETURN(auto parts, SplitBody(body, inference_header));
  return DecodeWithSax<InferRequestParser<Message::kRequest>>(parts.first, signature, options,
                                                              parts.second);
}

StatusOr<InferRequest> DecodeInferRequestParts(std::string_view json,
                                               const std::vector<std::string_view>& binary_parts,
                                               const Signature& signature,
                                               const DecodeOptions& options) {
  return DecodeWithSax<InferRequestParser<Message::kRequest>>(
      json, signature, options, std::optional<std::string_view>(), &binary_parts);
}

StatusOr<InferResponse> DecodeInferResponse(std::string_view body, const Signature& signature,
                                            const DecodeOptions& options,
                                            std::optional<std::string_view> inference_header) {
  SKIFF_ASSIGN_OR_RETURN(auto parts, SplitBody(body, inference_header));
  return DecodeWithSax<InferRequestParser<Message::kResponse>>(parts.first, signature, options,
                                                               parts.second);
}

}  // namespace skiff::protocol
