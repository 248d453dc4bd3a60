// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/infer_request.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "test_util.h"

namespace skiff::protocol {
namespace {

using testing::Bytes;
using testing::Spec;

// x: FP32 [-1, 3]; mask: BOOL [-1]. Outputs y: FP32 [-1, 2], z: INT64 [-1].
Signature TwoInputs() {
  Signature s;
  s.inputs = {Spec("x", DataType::kFp32, {-1, 3}), Spec("mask", DataType::kBool, {-1})};
  s.outputs = {Spec("y", DataType::kFp32, {-1, 2}), Spec("z", DataType::kInt64, {-1})};
  return s;
}

Signature OneInput(DataType dtype) {
  Signature s;
  s.inputs = {Spec("t", dtype, {-1})};
  s.outputs = {Spec("out", dtype, {-1})};
  return s;
}

std::string Body(const std::string& datatype, const std::string& data, int n) {
  return R"({"inputs":[{"name":"t","shape":[)" + std::to_string(n) + R"(],"datatype":")" +
         datatype + R"(","data":)" + data + "}]}";
}

Status DecodeError(const std::string& body, const Signature& sig, DecodeOptions options = {}) {
  auto r = DecodeInferRequest(body, sig, options);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return OkStatus();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  return r.status();
}

std::string ErrorOf(const std::string& body, const Signature& sig, DecodeOptions options = {}) {
  return DecodeError(body, sig, options).message();
}

TEST(ProtocolInferRequest, DecodesInSignatureOrderWithIdAndParameters) {
  const std::string body = R"({
    "id": "req-7",
    "parameters": {"priority": 2, "tags": ["a", null]},
    "inputs": [
      {"name": "mask", "shape": [2], "datatype": "BOOL", "data": [true, 0]},
      {"name": "x", "shape": [2, 3], "datatype": "FP32", "parameters": {"k": 1},
       "data": [[1, 2, 3], [4.5, -5, 6e-1]]}
    ],
    "outputs": [{"name": "z", "parameters": {"binary_data": false}}]
  })";
  auto r = DecodeInferRequest(body, TwoInputs());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, std::optional<std::string>("req-7"));
  EXPECT_EQ(r->parameters, nlohmann::json::parse(R"({"priority": 2, "tags": ["a", null]})"));
  ASSERT_EQ(r->inputs.size(), 2u);
  EXPECT_EQ(r->inputs[0].name, "x");
  EXPECT_EQ(r->inputs[0].dtype, DataType::kFp32);
  EXPECT_EQ(r->inputs[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(r->inputs[0].data, Bytes<float>({1, 2, 3, 4.5f, -5, 0.6f}));
  EXPECT_EQ(r->inputs[1].name, "mask");
  EXPECT_EQ(r->inputs[1].data, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(r->requested_outputs, std::vector<std::string>{"z"});
}

TEST(ProtocolInferRequest, NoIdNoParametersNoOutputs) {
  auto r = DecodeInferRequest(Body("FP32", "[1]", 1), OneInput(DataType::kFp32));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->id.has_value());
  EXPECT_TRUE(r->parameters.is_null());
  EXPECT_TRUE(r->requested_outputs.empty());
}

TEST(ProtocolInferRequest, EveryDatatypeDecodesToExactBytes) {
  struct Case {
    DataType dtype;
    std::string data;
    std::vector<uint8_t> bytes;
  };
  const Case cases[] = {
      {DataType::kFp32, "[1.5, -2, 0.1, 3.4028234663852886e38]",
       Bytes<float>({1.5f, -2.0f, 0.1f, 3.4028234663852886e38f})},
      {DataType::kFp64, "[0.1, -1e300, 5, 18446744073709551615]",
       Bytes<double>({0.1, -1e300, 5.0, 18446744073709551615.0})},
      {DataType::kFp16, "[1, 0.1, -65504, 0]", Bytes<uint16_t>({0x3C00, 0x2E66, 0xFBFF, 0})},
      {DataType::kInt64, "[-9223372036854775808, 9223372036854775807, 0, 1e3]",
       Bytes<int64_t>({INT64_MIN, INT64_MAX, 0, 1000})},
      {DataType::kInt32, "[-2147483648, 2147483647, -1, 2.0]",
       Bytes<int32_t>({INT32_MIN, INT32_MAX, -1, 2})},
      {DataType::kInt8, "[-128, 127, 0, -1]", Bytes<int8_t>({-128, 127, 0, -1})},
      {DataType::kUint8, "[0, 255, 7, 128]", Bytes<uint8_t>({0, 255, 7, 128})},
      {DataType::kBool, "[true, false, 1, 0]", Bytes<uint8_t>({1, 0, 1, 0})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(DataTypeName(c.dtype));
    auto r = DecodeInferRequest(Body(DataTypeName(c.dtype), c.data, 4), OneInput(c.dtype));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->inputs[0].dtype, c.dtype);
    EXPECT_EQ(r->inputs[0].shape, std::vector<int64_t>{4});
    EXPECT_EQ(r->inputs[0].data, c.bytes);
  }
}

TEST(ProtocolInferRequest, NestedAndFlatDecodeTheSame) {
  const Signature sig = OneInput(DataType::kInt32);
  Signature sig3;
  sig3.inputs = {Spec("t", DataType::kInt32, {-1, 2, 2})};
  auto flat = DecodeInferRequest(
      R"({"inputs":[{"name":"t","shape":[2,2,2],"datatype":"INT32","data":[1,2,3,4,5,6,7,8]}]})",
      sig3);
  auto nested = DecodeInferRequest(
      R"({"inputs":[{"name":"t","shape":[2,2,2],"datatype":"INT32",
          "data":[[[1,2],[3,4]],[[5,6],[7,8]]]}]})",
      sig3);
  ASSERT_TRUE(flat.ok()) << flat.status().ToString();
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  EXPECT_EQ(flat->inputs[0].data, Bytes<int32_t>({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(nested->inputs[0].data, flat->inputs[0].data);
  EXPECT_EQ(nested->inputs[0].shape, (std::vector<int64_t>{2, 2, 2}));
}

TEST(ProtocolInferRequest, DataBeforeDatatypeAndShapeIsDecodedAtTheEnd) {
  auto r = DecodeInferRequest(
      R"({"inputs":[{"data":[[1,2,3]],"name":"x","datatype":"FP32","shape":[1,3]},
                    {"data":[1],"shape":[1],"datatype":"BOOL","name":"mask"}]})",
      TwoInputs());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data, Bytes<float>({1, 2, 3}));
  EXPECT_EQ(r->inputs[1].data, Bytes<uint8_t>({1}));
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"data":[1, 256],"name":"t","datatype":"UINT8","shape":[2]}]})",
                    OneInput(DataType::kUint8)),
            "input 't': data element 1 (row-major): 256 is out of range for UINT8 (0 to 255)");
}

TEST(ProtocolInferRequest, EmptyTensor) {
  auto r = DecodeInferRequest(Body("FP32", "[]", 0), OneInput(DataType::kFp32));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].shape, std::vector<int64_t>{0});
  EXPECT_TRUE(r->inputs[0].data.empty());
}

TEST(ProtocolInferRequest, RaggedNestedArraysAreRefused) {
  Signature sig;
  sig.inputs = {Spec("t", DataType::kFp32, {-1, -1})};
  auto body = [](const std::string& data) {
    return R"({"inputs":[{"name":"t","shape":[2,3],"datatype":"FP32","data":)" + data + "}]}";
  };
  EXPECT_EQ(ErrorOf(body("[[1,2,3],[4,5]]"), sig),
            "input 't': data is ragged: an array at nesting level 2 has 2 elements but an "
            "earlier one has 3; nested arrays must be rectangular");
  EXPECT_EQ(ErrorOf(body("[[1,2,3],4,5,6]"), sig),
            "input 't': data element 3: found a number at nesting level 1 but earlier numbers "
            "are at level 2; nested arrays must be rectangular");
  EXPECT_EQ(ErrorOf(body("[1,2,3,[4,5,6]]"), sig),
            "input 't': data element 3: found an array where a number was expected; nested "
            "arrays must be rectangular, with numbers only at the innermost level");
  EXPECT_EQ(ErrorOf(body("[[[]],[1,2,3]]"), sig),
            "input 't': data element 0: found a number where an array was expected; nested "
            "arrays must be rectangular");
  EXPECT_EQ(ErrorOf(body("[[1,2,3],[4,\"5\",6]]"), sig),
            "input 't': data element 4: found a string; data may hold only numbers (or "
            "true/false for BOOL) and arrays");
  EXPECT_EQ(ErrorOf(body("[[1,2,3],[4,null,6]]"), sig),
            "input 't': data element 4: found null; data may hold only numbers (or true/false "
            "for BOOL) and arrays");
  EXPECT_EQ(ErrorOf(body("[[1,2,3],{}]"), sig),
            "input 't': data element 3: found an object; data may hold only numbers (or "
            "true/false for BOOL) and arrays");
}

TEST(ProtocolInferRequest, NestingMustMatchShapeAndCountMustMatch) {
  Signature sig;
  sig.inputs = {Spec("t", DataType::kFp32, {-1, -1})};
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","shape":[3,2],"datatype":"FP32",
                       "data":[[1,2,3],[4,5,6]]}]})",
                    sig),
            "input 't': data is nested as [2, 3] but shape is [3, 2]; nest data exactly as "
            "shape says, or send it flat");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","shape":[2,3],"datatype":"FP32",
                       "data":[1,2,3,4,5]}]})",
                    sig),
            "input 't': shape [2, 3] needs 6 elements but data has 5");
}

TEST(ProtocolInferRequest, ValuesAreRangeChecked) {
  struct Case {
    DataType dtype;
    std::string data;
    std::string error;
  };
  const Case cases[] = {
      {DataType::kUint8, "[1, 300]",
       "input 't': data element 1 (row-major): 300 is out of range for UINT8 (0 to 255)"},
      {DataType::kUint8, "[1, -1]",
       "input 't': data element 1 (row-major): -1 is out of range for UINT8 (0 to 255)"},
      {DataType::kInt8, "[-129, 1]",
       "input 't': data element 0 (row-major): -129 is out of range for INT8 (-128 to 127)"},
      {DataType::kInt32, "[2147483648, 1]",
       "input 't': data element 0 (row-major): 2147483648 is out of range for INT32 "
       "(-2147483648 to 2147483647)"},
      {DataType::kInt64, "[1, 9223372036854775808]",
       "input 't': data element 1 (row-major): 9223372036854775808 is out of range for INT64 "
       "(-9223372036854775808 to 9223372036854775807)"},
      {DataType::kInt64, "[1, 1e19]",
       "input 't': data element 1 (row-major): 1e+19 is out of range for INT64 "
       "(-9223372036854775808 to 9223372036854775807)"},
      {DataType::kInt32, "[1, 1.5]",
       "input 't': data element 1 (row-major): 1.5 is not an integer, as INT32 requires"},
      {DataType::kInt8, "[true, 1]",
       "input 't': data element 0 (row-major): true is not a number, as INT8 requires"},
      {DataType::kFp32, "[false, 1]",
       "input 't': data element 0 (row-major): false is not a number, as FP32 requires"},
      {DataType::kFp32, "[1, 1e39]",
       "input 't': data element 1 (row-major): 1e+39 is out of range for FP32 (magnitude at "
       "most 3.4028235e+38)"},
      {DataType::kFp16, "[1, -70000]",
       "input 't': data element 1 (row-major): -70000 is out of range for FP16 (magnitude at "
       "most 65504)"},
      {DataType::kBool, "[1, 2]",
       "input 't': data element 1 (row-major): 2 is not a BOOL; send true/false (or 0/1)"},
      {DataType::kBool, "[1, 0.5]",
       "input 't': data element 1 (row-major): 0.5 is not a BOOL; send true/false (or 0/1)"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(Body(DataTypeName(c.dtype), c.data, 2), OneInput(c.dtype)), c.error);
  }
}

// Issue 20: BYTES, INT16, UINT16/32/64 (and BF16) were refused ("datatype
// UINT16 is not supported"); every OIP datatype decodes now.
TEST(ProtocolInferRequest, EveryOipDatatypeDecodes) {
  struct Case {
    DataType dtype;
    std::string data;
    std::vector<uint8_t> bytes;
  };
  std::vector<uint8_t> strings;
  for (const char* s : {"hello", "", "caf\xc3\xa9", "a\"b"}) AppendBytesElement(s, &strings);
  const Case cases[] = {
      {DataType::kInt16, "[-32768, 32767, 0, 2.0]", Bytes<int16_t>({INT16_MIN, INT16_MAX, 0, 2})},
      {DataType::kUint16, "[0, 65535, 1, 7]", Bytes<uint16_t>({0, 65535, 1, 7})},
      {DataType::kUint32, "[0, 4294967295, 1, 7]", Bytes<uint32_t>({0, 4294967295u, 1, 7})},
      {DataType::kUint64, "[0, 18446744073709551615, 9223372036854775808, 1e3]",
       Bytes<uint64_t>({0, UINT64_MAX, uint64_t{1} << 63, 1000})},
      {DataType::kBf16, "[1, -2, 0.5, 3.0e38]", Bytes<uint16_t>({0x3F80, 0xC000, 0x3F00, 0x7F62})},
      {DataType::kBytes, R"(["hello", "", "caf\u00e9", "a\"b"])", strings},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(DataTypeName(c.dtype));
    auto r = DecodeInferRequest(Body(DataTypeName(c.dtype), c.data, 4), OneInput(c.dtype));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->inputs[0].dtype, c.dtype);
    EXPECT_EQ(r->inputs[0].shape, std::vector<int64_t>{4});
    EXPECT_EQ(r->inputs[0].data, c.bytes);
  }
  // BYTES nested, and with "datatype" after "data" (decoded late).
  auto late = DecodeInferRequest(
      R"({"inputs":[{"name":"t","data":[["a","b"],["c","d"]],"shape":[2,2],"datatype":"BYTES"}]})",
      [] {
        Signature s;
        s.inputs = {Spec("t", DataType::kBytes, {-1, 2})};
        s.outputs = {Spec("out", DataType::kBytes, {-1})};
        return s;
      }());
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_EQ(CountBytesElements(late->inputs[0].data.data(), late->inputs[0].data.size()), 4);
}

TEST(ProtocolInferRequest, NewDatatypesRefuseWhatTheyCannotHold) {
  EXPECT_EQ(ErrorOf(Body("UINT16", "[1, 65536]", 2), OneInput(DataType::kUint16)),
            "input 't': data element 1 (row-major): 65536 is out of range for UINT16 (0 to 65535)");
  EXPECT_EQ(ErrorOf(Body("UINT64", "[-1, 2]", 2), OneInput(DataType::kUint64)),
            "input 't': data element 0 (row-major): -1 is out of range for UINT64 (0 to "
            "18446744073709551615)");
  EXPECT_EQ(ErrorOf(Body("INT16", "[1, 40000]", 2), OneInput(DataType::kInt16)),
            "input 't': data element 1 (row-major): 40000 is out of range for INT16 (-32768 to "
            "32767)");
  EXPECT_EQ(ErrorOf(Body("BF16", "[1, 1e39]", 2), OneInput(DataType::kBf16)),
            "input 't': data element 1 (row-major): 1e+39 is out of range for BF16 (magnitude at "
            "most 3.3895314e+38)");
  EXPECT_EQ(ErrorOf(Body("BYTES", R"(["a", 2])", 2), OneInput(DataType::kBytes)),
            "input 't': data element 1 (row-major): 2 is not a string, as BYTES requires");
  EXPECT_EQ(ErrorOf(Body("FP32", R"([1, "2"])", 2), OneInput(DataType::kFp32)),
            "input 't': data element 1: found a string; data may hold only numbers (or "
            "true/false for BOOL) and arrays");
  // A model that takes FP32 refuses BYTES with the type it takes.
  EXPECT_EQ(ErrorOf(Body("BYTES", R"(["a"])", 1), OneInput(DataType::kFp32)),
            "input 't': datatype BYTES does not match the model's FP32; send FP32");
  EXPECT_EQ(ErrorOf(Body("float32", "[1]", 1), OneInput(DataType::kFp32)),
            "input 't': datatype 'float32' is not an Open Inference Protocol datatype; "
            "supported: FP32, FP64, FP16, INT64, INT32, INT8, UINT8, BOOL, INT16, UINT16, "
            "UINT32, UINT64, BF16, BYTES");
}

TEST(ProtocolInferRequest, SignatureMismatchesNameTheInput) {
  const Signature sig = TwoInputs();
  const std::string mask = R"({"name":"mask","shape":[1],"datatype":"BOOL","data":[true]})";
  const std::string x = R"({"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]})";
  auto body = [](const std::string& a, const std::string& b) {
    return "{\"inputs\":[" + a + (b.empty() ? "" : "," + b) + "]}";
  };
  EXPECT_EQ(ErrorOf(body(mask, R"({"name":"w","shape":[1],"datatype":"FP32","data":[1]})"), sig),
            "unknown input 'w' (inputs[1]); the model's inputs are: x, mask");
  EXPECT_EQ(ErrorOf(body(mask, ""), sig),
            "missing input 'x' (FP32 [-1, 3]); the model's inputs are: x, mask");
  EXPECT_EQ(ErrorOf(body(mask, mask), sig),
            "input 'mask' appears more than once (again at inputs[1]); send each input once");
  EXPECT_EQ(
      ErrorOf(body(mask, R"({"name":"x","shape":[1,3],"datatype":"FP64","data":[1,2,3]})"), sig),
      "input 'x': datatype FP64 does not match the model's FP32; send FP32");
  EXPECT_EQ(
      ErrorOf(body(mask, R"({"name":"x","shape":[3],"datatype":"FP32","data":[1,2,3]})"), sig),
      "input 'x': shape [3] has rank 1 but the model expects rank 2 [-1, 3] (-1 = any "
      "size)");
  EXPECT_EQ(
      ErrorOf(body(mask, R"({"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3,4]})"), sig),
      "input 'x': shape [2, 2] does not match the model's [-1, 3]: dimension 1 must be 3 (-1 = "
      "any size)");
  EXPECT_TRUE(DecodeInferRequest(body(x, mask), sig).ok());
}

TEST(ProtocolInferRequest, RequestedOutputsMustExistOnce) {
  const std::string inputs = R"("inputs":[{"name":"t","shape":[1],"datatype":"FP32","data":[1]}])";
  Signature sig = OneInput(DataType::kFp32);
  sig.outputs.push_back(Spec("extra", DataType::kFp32, {-1}));
  auto r =
      DecodeInferRequest("{" + inputs + R"(,"outputs":[{"name":"extra"},{"name":"out"}]})", sig);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->requested_outputs, (std::vector<std::string>{"extra", "out"}));
  EXPECT_EQ(ErrorOf("{" + inputs + R"(,"outputs":[{"name":"nope"}]})", sig),
            "requested output 'nope' (outputs[0]) is not an output of the model; its outputs "
            "are: out, extra");
  EXPECT_EQ(ErrorOf("{" + inputs + R"(,"outputs":[{"name":"out"},{"name":"out"}]})", sig),
            "output 'out' is requested more than once (again at outputs[1]); request each "
            "output once");
  EXPECT_EQ(ErrorOf("{" + inputs + R"(,"outputs":[{"parameters":{}}]})", sig),
            "outputs[0]: missing required field 'name'");
}

TEST(ProtocolInferRequest, MalformedJsonNamesTheBytePosition) {
  const Signature sig = OneInput(DataType::kFp32);
  EXPECT_EQ(ErrorOf(R"({"inputs": [}])", sig),
            "body is not valid JSON: at byte 12: syntax error while parsing value - unexpected "
            "'}'; expected '[', '{', or a literal");
  EXPECT_EQ(ErrorOf("", sig),
            "body is not valid JSON: at byte 0: syntax error while parsing value - unexpected "
            "end of input; expected '[', '{', or a literal");
  EXPECT_EQ(ErrorOf(Body("FP32", "[1]", 1) + " x", sig),
            "body is not valid JSON: at byte 67: syntax error while parsing value - invalid "
            "literal; last read: '1]}]} x'; expected end of input");
}

TEST(ProtocolInferRequest, StructuralErrorsNameTheField) {
  const Signature sig = OneInput(DataType::kFp32);
  EXPECT_EQ(ErrorOf("[]", sig), "the request body must be a JSON object, got an array");
  // A bare top-level number used to read an empty frame stack (found by
  // fuzz/oip_infer_request_fuzzer.cc under UBSan).
  EXPECT_EQ(ErrorOf("4", sig), "the request body must be a JSON object, got a number");
  EXPECT_EQ(ErrorOf("1.5", sig), "the request body must be a JSON object, got a number");
  EXPECT_EQ(ErrorOf("18446744073709551615", sig),
            "the request body must be a JSON object, got a number");
  EXPECT_EQ(ErrorOf(R"({"inputs":[]})", sig),
            "missing input 't' (FP32 [-1]); the model's inputs are: t");
  EXPECT_EQ(ErrorOf(R"({"id":"a"})", sig),
            "the request has no 'inputs' field; send {\"inputs\": [{\"name\": ..., \"shape\": "
            "[...], \"datatype\": ..., \"data\": [...]}]}");
  EXPECT_EQ(ErrorOf(R"({"inputs":[],"model":"m"})", sig),
            "the request: unknown field 'model'; expected only id, parameters, inputs, outputs");
  EXPECT_EQ(ErrorOf(R"({"id":7,"inputs":[]})", sig), "field 'id' must be a string, got a number");
  EXPECT_EQ(ErrorOf(R"({"inputs":[3]})", sig), "inputs[0] must be an object, got a number");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]})", sig),
            "inputs[0]: missing required field 'name'");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","datatype":"FP32","data":[1]}]})", sig),
            "input 't': missing required field 'shape'");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","shape":[1],"data":[1]}]})", sig),
            "input 't': missing required field 'datatype'");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","shape":[1],"datatype":"FP32"}]})", sig),
            "input 't': missing required field 'data'");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","shape":[1.5],"datatype":"FP32","data":[1]}]})", sig),
            "input 't': shape[0] must be a non-negative integer");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","shape":[-1],"datatype":"FP32","data":[1]}]})", sig),
            "input 't': shape[0] must be a non-negative integer");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","shape":[1],"datatype":"FP32","data":5}]})", sig),
            "input 't': field 'data' must be an array, got a number");
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","name":"t"}]})", sig),
            "input 't': field 'name' appears twice; send it once");
  EXPECT_EQ(
      ErrorOf(R"({"inputs":[{"name":"t","shape":[1],"datatype":"FP32","data":[1],"x":1}]})", sig),
      "input 't': unknown field 'x'; expected only name, shape, datatype, data, parameters");
}

TEST(ProtocolInferRequest, SizeGuardRefusesBeforeAndWhileDecoding) {
  const Signature sig = OneInput(DataType::kFp32);
  DecodeOptions small;
  small.max_input_bytes = 8;  // two FP32 elements
  EXPECT_TRUE(DecodeInferRequest(Body("FP32", "[1,2]", 2), sig, small).ok());
  // Declared shape over the limit: refused before reading data.
  EXPECT_EQ(ErrorOf(Body("FP32", "[1,2,3]", 3), sig, small),
            "input 't': shape [3] of FP32 is over the request size limit of 8 bytes; send "
            "smaller batches");
  // Shape after data: refused while decoding.
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","datatype":"FP32","data":[1,2,3],"shape":[3]}]})",
                    sig, small),
            "input 't': data has more than 2 elements, over the request size limit of 8 bytes; "
            "send smaller batches");
  // Overflowing products are refused, not wrapped.
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"t","shape":[9223372036854775807],"datatype":"FP32",
                        "data":[1]}]})",
                    sig),
            "input 't': shape [9223372036854775807] of FP32 is over the request size limit of "
            "67108864 bytes; send smaller batches");
  // The limit is for all inputs together.
  Signature two;
  two.inputs = {Spec("a", DataType::kFp32, {-1}), Spec("b", DataType::kFp32, {-1})};
  EXPECT_EQ(ErrorOf(R"({"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1,2]},
                                  {"name":"b","shape":[1],"datatype":"FP32","data":[1]}]})",
                    two, small),
            "input 'b': shape [1] of FP32 is over the request size limit of 0 bytes; send "
            "smaller batches");
}

// The fast tokenizer (fast_sax.h) hands keys and strings to the decoder as
// views into the body; nlohmann's parser (the slow path, taken for anything
// outside the plain subset) as its own buffer. Both must decode every body
// to the same request or refuse it with the same message. A UTF-8 BOM before
// the JSON forces the slow path (nlohmann skips it; the fast path does not
// take it) without changing what the body says.
struct Decoded {
  bool ok = false;
  std::string error;
  std::optional<std::string> id;
  nlohmann::json parameters;
  std::vector<Tensor> inputs;
  std::vector<std::string> requested, binary;
};

Decoded DecodeBoth(const std::string& json, const std::string& binary, const Signature& sig,
                   bool slow, const DecodeOptions& options) {
  const std::string bom = slow ? "\xEF\xBB\xBF" : "";
  const std::string body = bom + json + binary;
  std::optional<std::string> header;
  if (!binary.empty()) header = std::to_string(bom.size() + json.size());
  auto r = DecodeInferRequest(body, sig, options,
                              header ? std::optional<std::string_view>(*header) : std::nullopt);
  Decoded d;
  d.ok = r.ok();
  if (!r.ok()) {
    d.error = r.status().message();
    // A syntax error names its byte: the BOM's three bytes come off.
    const size_t at = d.error.find("at byte ");
    if (slow && at != std::string::npos) {
      const size_t digits = at + 8;
      size_t end = digits;
      while (end < d.error.size() && std::isdigit(static_cast<unsigned char>(d.error[end]))) ++end;
      const long byte = std::stol(d.error.substr(digits, end - digits));
      d.error.replace(digits, end - digits, std::to_string(byte - 3));
    }
    return d;
  }
  d.id = r->id;
  d.parameters = r->parameters;
  d.inputs = r->inputs;
  d.requested = r->requested_outputs;
  d.binary = r->binary_outputs;
  return d;
}

void ExpectSameBothWays(const std::string& json, const Signature& sig,
                        const std::string& binary = "", DecodeOptions options = {}) {
  SCOPED_TRACE(json);
  const Decoded fast = DecodeBoth(json, binary, sig, false, options);
  const Decoded slow = DecodeBoth(json, binary, sig, true, options);
  ASSERT_EQ(fast.ok, slow.ok) << "fast: " << fast.error << "\nslow: " << slow.error;
  EXPECT_EQ(fast.error, slow.error);
  EXPECT_EQ(fast.id, slow.id);
  EXPECT_EQ(fast.parameters, slow.parameters);
  EXPECT_EQ(fast.requested, slow.requested);
  EXPECT_EQ(fast.binary, slow.binary);
  ASSERT_EQ(fast.inputs.size(), slow.inputs.size());
  for (size_t i = 0; i < fast.inputs.size(); ++i) {
    EXPECT_EQ(fast.inputs[i].name, slow.inputs[i].name);
    EXPECT_EQ(fast.inputs[i].dtype, slow.inputs[i].dtype);
    EXPECT_EQ(fast.inputs[i].shape, slow.inputs[i].shape);
    EXPECT_EQ(fast.inputs[i].data, slow.inputs[i].data);
  }
}

TEST(ProtocolInferRequest, FastAndSlowPathsDecodeAndRefuseTheSame) {
  const Signature two = TwoInputs();
  const std::string long_id(300, 'q');  // past any small-string buffer
  const std::vector<std::string> bodies = {
      // Accepted.
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[0.1,0.2,0.3]},
                    {"name":"mask","shape":[2],"datatype":"BOOL","data":[true,false]}]})",
      R"({"id":")" + long_id + R"(","model_name":"m","model_version":"7","parameters":
          {"binary_data_output":true,"s":"a long string value past the SSO buffer","n":[1,2.5]},
          "outputs":[{"name":"z","parameters":{"binary_data":false}},{"name":"y"}],
          "inputs":[{"data":[[1,2,3]],"datatype":"FP32","shape":[1,3],"name":"x"},
                    {"parameters":{"p":"v"},"name":"mask","data":[1],"shape":[1],
                     "datatype":"BOOL"}]})",
      R"({"inputs":[{"name":"x","shape":[0,3],"datatype":"FP32","data":[]},
                    {"name":"mask","shape":[0],"datatype":"BOOL","data":[]}]})",
      // Escaped and non-ASCII text (the slow path either way) next to plain text.
      R"({"id":"caf\u00e9 \"q\"","inputs":[{"na\u006de":"x","shape":[1,3],"datatype":"FP32",
          "data":[1,2,3]},{"name":"mask","shape":[1],"datatype":"BOOL","data":[0]}]})",
      "{\"id\":\"\xC3\xA9t\xC3\xA9\",\"inputs\":[]}",
      // Refused: duplicate keys, unknown fields, wrong types, unknown inputs, shapes.
      R"({"inputs":[{"name":"x","name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})",
      R"({"inputs":[],"inputs":[]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3],"extra":1}]})",
      R"({"inputz":[]})",
      R"({"model_name":"a","model_name":"b","inputs":[]})",
      R"({"id":5,"inputs":[]})",
      R"({"parameters":[1],"inputs":[]})",
      R"({"inputs":{"name":"x"}})",
      R"({"inputs":[5]})",
      R"({"outputs":[{"name":7}],"inputs":[]})",
      R"({"outputs":[{"name":"nope"}],"inputs":[]})",
      R"({"outputs":[{"name":"y"},{"name":"y"}],"inputs":[]})",
      R"({"inputs":[{"name":"x","shape":"[1,3]","datatype":"FP32","data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":["FP32"],"data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP33","data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"INT32","data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,-3],"datatype":"FP32","data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3.5],"datatype":"FP32","data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","shape":[4611686018427387904,4611686018427387904],
                     "datatype":"FP32","data":[1]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,"2",3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[[1,2],[3]]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,null,3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,1e999]}]})",
      R"({"inputs":[{"name":"y","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})",
      R"({"inputs":[{"shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","datatype":"FP32","data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"data":[1,2,3]}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32"}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3],
                     "parameters":{"binary_data_size":12}}]})",
      R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]},
                    {"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})",
      R"({"parameters":{"binary_data_output":1},"inputs":[
          {"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]},
          {"name":"mask","shape":[1],"datatype":"BOOL","data":[1]}]})",
      R"([1,2])",
      R"("inputs")",
      R"(4)",
      R"({"inputs":[})",
  };
  for (const std::string& body : bodies) ExpectSameBothWays(body, two);

  // BYTES strings, deferred until the datatype comes.
  const Signature bytes = OneInput(DataType::kBytes);
  ExpectSameBothWays(R"({"inputs":[{"name":"t","data":["ab","",")" + long_id +
                         R"("],"shape":[3],"datatype":"BYTES"}]})",
                     bytes);
  ExpectSameBothWays(R"({"inputs":[{"name":"t","data":["ab",1],"shape":[2],"datatype":"BYTES"}]})",
                     bytes);
  ExpectSameBothWays(R"({"inputs":[{"name":"t","data":["ab"],"shape":[1],"datatype":"FP32"}]})",
                     bytes);

  // A big shape, and the size limit.
  const Signature fp32 = OneInput(DataType::kFp32);
  std::string data = "[";
  for (int i = 0; i < 5000; ++i) data += (i ? "," : "") + std::to_string(i) + ".25";
  data += "]";
  ExpectSameBothWays(Body("FP32", data, 5000), fp32);
  DecodeOptions small;
  small.max_input_bytes = 8;
  ExpectSameBothWays(Body("FP32", "[1,2,3]", 3), fp32, "", small);
  ExpectSameBothWays(R"({"inputs":[{"name":"t","datatype":"FP32","data":[1,2,3],"shape":[3]}]})",
                     fp32, "", small);

  // The binary tensor extension.
  std::string raw(12, '\0');
  const float values[3] = {1.5f, -2.0f, 3.25f};
  std::memcpy(raw.data(), values, 12);
  ExpectSameBothWays(R"({"inputs":[{"name":"t","shape":[3],"datatype":"FP32",
                         "parameters":{"binary_data_size":12}}]})",
                     fp32, raw);
  ExpectSameBothWays(R"({"inputs":[{"name":"t","shape":[2],"datatype":"FP32",
                         "parameters":{"binary_data_size":12}}]})",
                     fp32, raw);
  ExpectSameBothWays(R"({"inputs":[{"name":"t","shape":[3],"datatype":"FP32",
                         "parameters":{"binary_data_size":-12}}]})",
                     fp32, raw);
}

// The data decoder keeps a length per nesting level in place, for up to 32
// levels; the 33rd is refused before it is counted.
TEST(ProtocolInferRequest, DataNestsUpTo32Levels) {
  auto nested = [](int depth) {
    std::string shape, data;
    for (int i = 0; i < depth; ++i) shape += (i ? ",1" : "1");
    data = std::string(depth, '[') + "2.5" + std::string(depth, ']');
    return R"({"inputs":[{"name":"t","shape":[)" + shape + R"(],"datatype":"FP32","data":)" +
           data + "}]}";
  };
  for (int depth : {32, 33}) {
    Signature sig;
    sig.inputs = {Spec("t", DataType::kFp32, std::vector<int64_t>(depth, -1))};
    sig.outputs = {Spec("out", DataType::kFp32, {-1})};
    auto r = DecodeInferRequest(nested(depth), sig);
    if (depth == 32) {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->inputs[0].shape, std::vector<int64_t>(32, 1));
      EXPECT_EQ(r->inputs[0].data, Bytes<float>({2.5f}));
    } else {
      EXPECT_EQ(ErrorOf(nested(depth), sig), "input 't': data is nested deeper than 32 levels");
    }
    ExpectSameBothWays(nested(depth), sig);
  }
}

// Which inputs have arrived is a bit per signature input, in place for up to
// 64 and in a vector past that: both ways decode in signature order and
// refuse a repeat or a missing input with the same messages.
TEST(ProtocolInferRequest, ManyInputsDecodeInSignatureOrder) {
  for (int n : {3, 64, 65, 70}) {
    SCOPED_TRACE(n);
    Signature sig;
    for (int i = 0; i < n; ++i) {
      sig.inputs.push_back(Spec("in" + std::to_string(i), DataType::kInt32, {1}));
    }
    sig.outputs = {Spec("out", DataType::kInt32, {1})};
    auto input = [](int i) {
      return R"({"name":"in)" + std::to_string(i) + R"(","shape":[1],"datatype":"INT32","data":[)" +
             std::to_string(i) + "]}";
    };
    auto body = [&](const std::vector<int>& order) {
      std::string b = R"({"inputs":[)";
      for (size_t k = 0; k < order.size(); ++k) b += (k ? "," : "") + input(order[k]);
      return b + "]}";
    };
    std::vector<int> reversed;
    for (int i = n - 1; i >= 0; --i) reversed.push_back(i);
    auto r = DecodeInferRequest(body(reversed), sig);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->inputs.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(r->inputs[i].name, "in" + std::to_string(i));
      EXPECT_EQ(r->inputs[i].data, Bytes<int32_t>({i}));
    }
    ExpectSameBothWays(body(reversed), sig);

    std::vector<int> repeated = reversed;
    repeated.push_back(n - 1);
    EXPECT_EQ(ErrorOf(body(repeated), sig),
              "input 'in" + std::to_string(n - 1) + "' appears more than once (again at inputs[" +
                  std::to_string(n) + "]); send each input once");
    ExpectSameBothWays(body(repeated), sig);

    std::vector<int> missing(reversed.begin() + 1, reversed.end());  // no in{n-1}
    EXPECT_EQ(ErrorOf(body(missing), sig).rfind("missing input 'in" + std::to_string(n - 1) +
                                                    "' (INT32 [1]); the model's inputs are: in0, ",
                                                0),
              0u);
    ExpectSameBothWays(body(missing), sig);
  }
}

}  // namespace
}  // namespace skiff::protocol
