// SPDX-License-Identifier: Apache-2.0
// The binary tensor extension (issue 20 item 1): a JSON header whose length
// Inference-Header-Content-Length gives, then the tensors' raw bytes. What
// tritonclient's and KServe's Python clients send by default; before, skiff
// answered 400 "missing required field 'data'".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"
#include "test_util.h"

namespace skiff::protocol {
namespace {

using testing::Bytes;
using testing::MakeTensor;
using testing::Spec;

// x: FP32 [-1, 2]; s: BYTES [-1]. Outputs y: FP32 [-1, 2], n: INT64 [-1].
Signature Sig() {
  Signature s;
  s.inputs = {Spec("x", DataType::kFp32, {-1, 2}), Spec("s", DataType::kBytes, {-1})};
  s.outputs = {Spec("y", DataType::kFp32, {-1, 2}), Spec("n", DataType::kInt64, {-1})};
  return s;
}

std::string Raw(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

std::vector<uint8_t> Strings(std::initializer_list<const char*> elements) {
  std::vector<uint8_t> out;
  for (const char* e : elements) AppendBytesElement(e, &out);
  return out;
}

// A JSON header and its binary tail, with the header's length as the
// client sends it.
struct Framed {
  std::string body;
  std::string header;
};
Framed Frame(const std::string& json, const std::string& binary) {
  return {json + binary, std::to_string(json.size())};
}

const char kBothBinary[] =
    R"({"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","parameters":{"binary_data_size":16}},)"
    R"({"name":"s","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":11}}]})";

TEST(ProtocolBinaryData, InputsComeFromTheBytesAfterTheJsonHeader) {
  const auto x = Bytes<float>({1.5f, -2, 0.25f, 8});
  const auto s = Strings({"ab", "\xff"});  // not UTF-8: only binary carries it
  ASSERT_EQ(s.size(), 11u);
  const Framed f = Frame(kBothBinary, Raw(x) + Raw(s));
  auto r = DecodeInferRequest(f.body, Sig(), {}, f.header);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data, x);
  EXPECT_EQ(r->inputs[1].data, s);
  EXPECT_EQ(r->inputs[1].shape, std::vector<int64_t>{2});
  EXPECT_TRUE(r->binary_outputs.empty());
}

TEST(ProtocolBinaryData, JsonAndBinaryInputsMix) {
  const std::string json =
      R"({"inputs":[{"name":"s","shape":[1],"datatype":"BYTES","data":["json"]},)"
      R"({"name":"x","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8}}]})";
  const Framed f = Frame(json, Raw(Bytes<float>({3, 4})));
  auto r = DecodeInferRequest(f.body, Sig(), {}, f.header);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data, Bytes<float>({3, 4}));
  EXPECT_EQ(r->inputs[1].data, Strings({"json"}));
}

TEST(ProtocolBinaryData, BinaryOutputsFollowTheRequestAndOutputParameters) {
  auto outputs_of = [](const std::string& params, const std::string& outputs) {
    const std::string json =
        "{" + params +
        R"("inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]},)"
        R"({"name":"s","shape":[0],"datatype":"BYTES","data":[]}])" +
        outputs + "}";
    auto r = DecodeInferRequest(json, Sig());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->binary_outputs : std::vector<std::string>{"<error>"};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(outputs_of("", ""), V{});
  EXPECT_EQ(outputs_of(R"("parameters":{"binary_data_output":true},)", ""), (V{"y", "n"}));
  EXPECT_EQ(outputs_of(R"("parameters":{"binary_data_output":true},)",
                       R"(,"outputs":[{"name":"n","parameters":{"binary_data":false}}])"),
            (V{"y"}));
  EXPECT_EQ(outputs_of("", R"(,"outputs":[{"name":"n","parameters":{"binary_data":true}}])"),
            (V{"n"}));
}

// Of an input's and an output's "parameters" only binary_data_size and
// binary_data are read; the decoder keeps that one member's value and skips
// the rest instead of building the object. Whatever else the object holds,
// the outcome is what the whole object, parsed as JSON, says: its member
// (the last one when repeated) decides, and a wrong one is shown as JSON.
TEST(ProtocolBinaryData, OnlyTheReadParameterCountsWhateverElseTheObjectHolds) {
  const std::vector<std::string> values = {
      "16", "8", "-16", "16.0", "1e1", "\"16\"", "true", "null", "[16]", "{\"n\":16}",
      "[[1,{\"a\":[]}],\"x\"]", "{}", "[]", "18446744073709551615"};
  std::vector<std::string> objects = {"{}", R"({"other":16})",
                                      R"({"nested":{"binary_data_size":16}})",
                                      R"({"binary_data_sizes":16,"binary_data":16})"};
  for (const std::string& v : values) {
    objects.push_back(R"({"binary_data_size":)" + v + "}");
    objects.push_back(R"({"a":[1,{"b":null}],"binary_data_size":)" + v + R"(,"z":{"y":"x"}})");
    objects.push_back(R"({"binary_data_size":)" + v + R"(,"binary_data_size":16})");
    objects.push_back(R"({"binary_data_size":16,"binary_data_size":)" + v + "}");
    objects.push_back(R"({"binary_data":)" + v + "}");
  }
  const std::string raw = Raw(Bytes<float>({1, 2, 3, 4}));
  for (const std::string& params : objects) {
    SCOPED_TRACE(params);
    // The input: binary_data_size 16 takes the four floats.
    const std::string input_json =
        R"({"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","parameters":)" + params +
        R"(},{"name":"s","shape":[0],"datatype":"BYTES","data":[]}]})";
    const Framed framed = Frame(input_json, raw);
    auto r = DecodeInferRequest(framed.body, Sig(), {}, framed.header);
    const nlohmann::json whole = nlohmann::json::parse(params);
    const auto size = whole.find("binary_data_size");
    if (size == whole.end()) {
      EXPECT_EQ(r.status().message(), "input 'x': missing required field 'data'");
    } else if (!size->is_number_unsigned()) {
      EXPECT_EQ(r.status().message(),
                "input 'x': parameters.binary_data_size must be a non-negative integer (the "
                "tensor's byte count after the JSON header), got " +
                    size->dump());
    } else if (size->get<uint64_t>() == 16) {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->inputs[0].data, Bytes<float>({1, 2, 3, 4}));
    } else {
      EXPECT_FALSE(r.ok());
      EXPECT_NE(r.status().message().find("parameters.binary_data_size is " + size->dump()),
                std::string::npos)
          << r.status().message();
    }

    // The output: binary_data true or false, or refused.
    const std::string output_json =
        R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]},)"
        R"({"name":"s","shape":[0],"datatype":"BYTES","data":[]}],)"
        R"("outputs":[{"name":"n","parameters":)" + params + "}]}";
    auto o = DecodeInferRequest(output_json, Sig());
    const auto binary = whole.find("binary_data");
    if (binary == whole.end()) {
      ASSERT_TRUE(o.ok()) << o.status().ToString();
      EXPECT_TRUE(o->binary_outputs.empty());
    } else if (!binary->is_boolean()) {
      EXPECT_EQ(o.status().message(),
                "outputs[0]: parameters.binary_data must be true or false, got " + binary->dump());
    } else {
      ASSERT_TRUE(o.ok()) << o.status().ToString();
      EXPECT_EQ(o->binary_outputs, binary->get<bool>() ? std::vector<std::string>{"n"}
                                                       : std::vector<std::string>{});
    }
  }
}

// Every malformed framing is a 400 naming the header or the input and the
// fix, never a read past the body.
TEST(ProtocolBinaryData, HostileFramingIsRefusedByName) {
  const std::string x = Raw(Bytes<float>({1, 2, 3, 4}));
  const std::string s = Raw(Strings({"ab", "c"}));
  const Framed good = Frame(kBothBinary, x + s);
  struct Case {
    const char* what;
    std::string body;
    std::optional<std::string> header;
    std::string error;
  };
  const std::string json(kBothBinary);
  const std::string n = std::to_string(json.size());
  auto with_sizes = [&](const std::string& x_size, const std::string& s_size) {
    std::string j = json;
    j.replace(j.find("16"), 2, x_size);
    j.replace(j.rfind("11"), 2, s_size);
    return j;
  };
  const std::vector<Case> cases = {
      {"header not a number", good.body, std::string("12a"),
       "header Inference-Header-Content-Length must be the length in bytes of the JSON at the "
       "start of the body, a non-negative integer; got '12a'"},
      {"negative header", good.body, std::string("-5"),
       "header Inference-Header-Content-Length must be the length in bytes of the JSON at the "
       "start of the body, a non-negative integer; got '-5'"},
      {"empty header", good.body, std::string(""),
       "header Inference-Header-Content-Length must be the length in bytes of the JSON at the "
       "start of the body, a non-negative integer; got ''"},
      {"header past the body", good.body, std::to_string(good.body.size() + 1),
       "header Inference-Header-Content-Length is " + std::to_string(good.body.size() + 1) +
           " but the body has only " + std::to_string(good.body.size()) +
           " bytes; it must be the length of the JSON at the start of the body"},
      {"header overflowing 64 bits", good.body, std::string("99999999999999999999999"),
       "header Inference-Header-Content-Length must be the length in bytes of the JSON at the "
       "start of the body, a non-negative integer; got '99999999999999999999999'"},
      {"binary_data_size without the header", good.body, std::nullopt,
       "input 'x': parameters.binary_data_size is 16 but the request has no "
       "Inference-Header-Content-Length header"},
      {"binary_data_size that disagrees with the shape", with_sizes("12", "11") + x + s,
       std::to_string(json.size()),
       "input 'x': parameters.binary_data_size is 12 but shape [2, 2] of FP32 takes 16 bytes; "
       "send exactly the tensor's bytes, little-endian, row-major"},
      {"a short body", good.body.substr(0, good.body.size() - 3), n,
       "input 's': parameters.binary_data_size is 11 but only 8 bytes of the body's 24 after "
       "the JSON header are left for it; the bytes must follow the JSON in input order"},
      {"a size past 2^64 / the body", with_sizes("16", "18446744073709551615") + x + s,
       std::to_string(json.size() + 18),
       "input 's': parameters.binary_data_size is 18446744073709551615 but only 11 bytes of "
       "the body's 27 after the JSON header are left for it; the bytes must follow the JSON in "
       "input order"},
      {"bytes left over", good.body + "zz", n,
       "the body has 29 bytes after the JSON header (Inference-Header-Content-Length) but the "
       "inputs' parameters.binary_data_size add up to 27; the header must give the JSON's "
       "length and each binary_data_size its tensor's byte count"},
      {"a BYTES length running past its tensor",
       json + x + Raw({5, 0, 0, 0}) + "abc" + Raw({0, 0, 0, 0}), n,
       "input 's': parameters.binary_data_size is 11 but those bytes hold an element whose "
       "4-byte length runs past them and shape [2] needs 2; send each element as a 4-byte "
       "little-endian length and its bytes"},
      {"a negative binary_data_size", with_sizes("-16", "11") + x + s,
       std::to_string(json.size() + 1),
       "input 'x': parameters.binary_data_size must be a non-negative integer (the tensor's "
       "byte count after the JSON header), got -16"},
      {"a JSON header cut short", good.body, std::to_string(json.size() / 2),
       "body is not valid JSON"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::optional<std::string_view> header;
    if (c.header) header = *c.header;
    auto r = DecodeInferRequest(c.body, Sig(), {}, header);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().substr(0, c.error.size()), c.error);
  }
  // An input both ways, and a binary input with no header at all.
  const std::string both =
      R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2],)"
      R"("parameters":{"binary_data_size":8}},{"name":"s","shape":[0],"datatype":"BYTES","data":[]}]})";
  auto r = DecodeInferRequest(both + x.substr(0, 8), Sig(), {}, std::to_string(both.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "input 'x': has both 'data' and parameters.binary_data_size; send one: "
            "binary_data_size when the bytes follow the JSON header");
  const std::string no_header =
      R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8}},)"
      R"({"name":"s","shape":[0],"datatype":"BYTES","data":[]}]})";
  r = DecodeInferRequest(no_header, Sig());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "input 'x': parameters.binary_data_size is 8 but the request has no "
            "Inference-Header-Content-Length header; send it with the length of the JSON, the "
            "tensors' bytes following it");
}

// Issue 20 item 3 (leftovers): the gRPC front's raw inputs decoded where
// they lie, one part per binary input, with every check of the body form:
// the bytes land in the tensor as sent, sizes against shape x datatype and
// the size limit still refuse by name, and parts that disagree with the
// header's binary_data_size are refused rather than cut.
TEST(ProtocolBinaryData, PartsDecodeWithTheBodyFormsChecks) {
  const auto x = Bytes<float>({1.5f, -2, 0.25f, 8});
  const auto s = Strings({"ab", "\xff"});
  const std::string xs = Raw(x), ss = Raw(s);
  auto r = DecodeInferRequestParts(kBothBinary, {xs, ss}, Sig());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data, x);
  EXPECT_EQ(r->inputs[1].data, s);

  DecodeOptions small;
  small.max_input_bytes = 26;
  r = DecodeInferRequestParts(kBothBinary, {xs, ss}, Sig(), small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "input 's': parameters.binary_data_size is 11, over the request size limit of 26 "
            "bytes; send smaller batches");

  // A shape the bytes do not fill: the same refusal as the body form's.
  const std::string short_x =
      R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":16}},)"
      R"({"name":"s","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":11}}]})";
  r = DecodeInferRequestParts(short_x, {xs, ss}, Sig());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("input 'x'"), std::string::npos) << r.status().message();

  // Parts that disagree with the header: a size mismatch, one missing, one left over.
  const std::string half = xs.substr(0, 8);
  r = DecodeInferRequestParts(kBothBinary, {half, ss}, Sig());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("its binary part has 8 bytes"), std::string::npos)
      << r.status().message();
  r = DecodeInferRequestParts(kBothBinary, {xs}, Sig());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no binary part is left for it"), std::string::npos)
      << r.status().message();
  r = DecodeInferRequestParts(kBothBinary, {xs, ss, ss}, Sig());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("3 binary parts came with the inputs"), std::string::npos)
      << r.status().message();
}

TEST(ProtocolBinaryData, TheSizeLimitCoversBinaryBytes) {
  const Framed f = Frame(kBothBinary, Raw(Bytes<float>({1, 2, 3, 4})) + Raw(Strings({"ab", "c"})));
  DecodeOptions small;
  small.max_input_bytes = 26;
  auto r = DecodeInferRequest(f.body, Sig(), small, f.header);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "input 's': parameters.binary_data_size is 11, over the request size limit of 26 "
            "bytes; send smaller batches");
  // A shape whose element count overflows is refused before any byte is read.
  const std::string huge =
      R"({"inputs":[{"name":"x","shape":[4294967296,4294967296],"datatype":"FP32",)"
      R"("parameters":{"binary_data_size":16}}]})";
  r = DecodeInferRequest(huge + "0123456789abcdef", Sig(), {}, std::to_string(huge.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is over the request size limit"), std::string::npos)
      << r.status().message();
}

TEST(ProtocolBinaryData, ResponsesCarryBinaryOutputsAfterTheJson) {
  Signature sig = Sig();
  const std::vector<Tensor> outputs = {
      MakeTensor("y", DataType::kFp32, {1, 2}, Bytes<float>({0.5f, 2})),
      MakeTensor("n", DataType::kInt64, {2}, Bytes<int64_t>({-1, 7}))};
  EncodedBody e = EncodeInferResponse("m", "1", std::string("id9"), outputs, {}, {"y"});
  ASSERT_TRUE(e.json_length.has_value());
  const auto header = nlohmann::json::parse(e.body.substr(0, *e.json_length));
  EXPECT_EQ(header["outputs"][0],
            nlohmann::json::parse(R"({"name":"y","datatype":"FP32","shape":[1,2],)"
                                  R"("parameters":{"binary_data_size":8}})"));
  EXPECT_EQ(header["outputs"][1]["data"], nlohmann::json::parse("[-1,7]"));
  EXPECT_EQ(e.body.substr(*e.json_length), Raw(Bytes<float>({0.5f, 2})));
  auto decoded = DecodeInferResponse(e.body, sig, {}, std::to_string(*e.json_length));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->outputs[0].data, outputs[0].data);
  EXPECT_EQ(decoded->outputs[1].data, outputs[1].data);
  // No output asked for binary: plain JSON, no header.
  EXPECT_FALSE(EncodeInferResponse("m", "1", std::nullopt, outputs, {}, {"z"}).json_length);
}

// The router's hop: every input binary, binary outputs asked for, every
// datatype through unchanged (BYTES that are not UTF-8 included).
TEST(ProtocolBinaryData, RouterRequestRoundTripsEveryDatatype) {
  std::vector<uint8_t> strings = Strings({"\xff\xfe", "", "ok"});
  const std::vector<Tensor> tensors = {
      MakeTensor("a", DataType::kFp16, {2}, Bytes<uint16_t>({0x3C00, 0x7BFF})),
      MakeTensor("b", DataType::kBf16, {1}, Bytes<uint16_t>({0x3F80})),
      MakeTensor("c", DataType::kUint64, {1}, Bytes<uint64_t>({UINT64_MAX})),
      MakeTensor("d", DataType::kInt16, {1}, Bytes<int16_t>({-3})),
      MakeTensor("e", DataType::kUint16, {1}, Bytes<uint16_t>({65535})),
      MakeTensor("f", DataType::kUint32, {1}, Bytes<uint32_t>({4000000000u})),
      MakeTensor("g", DataType::kBytes, {3}, strings),
      MakeTensor("h", DataType::kBool, {2}, Bytes<uint8_t>({1, 0})),
  };
  Signature sig;
  for (const Tensor& t : tensors) sig.inputs.push_back(Spec(t.name, t.dtype, {-1}));
  sig.outputs = sig.inputs;
  EncodedBody e = EncodeBinaryInferRequest(tensors);
  ASSERT_TRUE(e.json_length.has_value());
  auto decoded = DecodeInferRequest(e.body, sig, {}, std::to_string(*e.json_length));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  for (size_t i = 0; i < tensors.size(); ++i) {
    SCOPED_TRACE(tensors[i].name);
    EXPECT_EQ(decoded->inputs[i].data, tensors[i].data);
    EXPECT_EQ(decoded->inputs[i].shape, tensors[i].shape);
  }
  EXPECT_EQ(decoded->binary_outputs.size(), tensors.size());
  // And the answer back, all binary.
  EncodedBody back =
      EncodeInferResponse("m", "1", std::nullopt, tensors, {}, decoded->binary_outputs);
  auto response = DecodeInferResponse(back.body, sig, {}, std::to_string(*back.json_length));
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  for (size_t i = 0; i < tensors.size(); ++i) EXPECT_EQ(response->outputs[i].data, tensors[i].data);
}

}  // namespace
}  // namespace skiff::protocol
