// SPDX-License-Identifier: Apache-2.0
#include "test_util.h"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#ifndef SKIFF_TEST_FIXTURE_DIR
#error "SKIFF_TEST_FIXTURE_DIR must point at tests/fixtures/models"
#endif

namespace skiff::test {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::vector<TensorSpec> Specs(const Json& list) {
  std::vector<TensorSpec> specs;
  for (const Json& j : list.array) {
    TensorSpec spec;
    spec.name = j["name"].string;
    spec.dtype = *ParseDataType(j["datatype"].string);
    for (const Json& d : j["shape"].array) spec.shape.push_back(static_cast<int64_t>(d.number));
    specs.push_back(spec);
  }
  return specs;
}

template <typename T>
void Put(std::vector<uint8_t>& data, size_t i, T v) {
  std::memcpy(data.data() + i * sizeof(T), &v, sizeof(T));
}
template <typename T>
T Get(const std::vector<uint8_t>& data, size_t i) {
  T v;
  std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
  return v;
}

}  // namespace

std::string FixturePath(const std::string& file) {
  return std::string(SKIFF_TEST_FIXTURE_DIR) + "/" + file;
}

ModelLoadOptions FixtureOptions(const std::string& name, const std::string& device) {
  const Json config = Json::Parse(ReadFile(FixturePath(name + ".json")));
  ModelLoadOptions o;
  o.artifact_path = FixturePath(name + ".pt");
  o.device = device;
  o.signature.inputs = Specs(config["inputs"]);
  o.signature.outputs = Specs(config["outputs"]);
  return o;
}

Tensor FromDoubles(const std::string& name, DataType dtype, std::vector<int64_t> shape,
                   const std::vector<double>& values) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(values.size() * DataTypeSize(dtype));
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    switch (dtype) {
      case DataType::kFp32:
        Put(t.data, i, static_cast<float>(v));
        break;
      case DataType::kFp64:
        Put(t.data, i, v);
        break;
      case DataType::kFp16:
        Put(t.data, i, c10::Half(static_cast<float>(v)).x);
        break;
      case DataType::kInt64:
        Put(t.data, i, static_cast<int64_t>(v));
        break;
      case DataType::kInt32:
        Put(t.data, i, static_cast<int32_t>(v));
        break;
      case DataType::kInt8:
        Put(t.data, i, static_cast<int8_t>(v));
        break;
      case DataType::kUint8:
        Put(t.data, i, static_cast<uint8_t>(v));
        break;
      case DataType::kBool:
        Put(t.data, i, static_cast<uint8_t>(v != 0));
        break;
      case DataType::kInt16:
        Put(t.data, i, static_cast<int16_t>(v));
        break;
      case DataType::kBf16:
        Put(t.data, i, c10::BFloat16(static_cast<float>(v)).x);
        break;
      default:  // no torch type (UINT16/32/64) or no number (BYTES)
        ADD_FAILURE() << "FromDoubles: " << DataTypeName(dtype);
        break;
    }
  }
  return t;
}

std::vector<double> ToDoubles(const Tensor& t) {
  const size_t n = t.data.size() / DataTypeSize(t.dtype);
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    switch (t.dtype) {
      case DataType::kFp32:
        out[i] = Get<float>(t.data, i);
        break;
      case DataType::kFp64:
        out[i] = Get<double>(t.data, i);
        break;
      case DataType::kFp16:
        out[i] = static_cast<float>(c10::Half(Get<uint16_t>(t.data, i), c10::Half::from_bits()));
        break;
      case DataType::kInt64:
        out[i] = static_cast<double>(Get<int64_t>(t.data, i));
        break;
      case DataType::kInt32:
        out[i] = Get<int32_t>(t.data, i);
        break;
      case DataType::kInt8:
        out[i] = Get<int8_t>(t.data, i);
        break;
      case DataType::kUint8:
      case DataType::kBool:
        out[i] = Get<uint8_t>(t.data, i);
        break;
      case DataType::kInt16:
        out[i] = Get<int16_t>(t.data, i);
        break;
      case DataType::kBf16:
        out[i] =
            static_cast<float>(c10::BFloat16(Get<uint16_t>(t.data, i), c10::BFloat16::from_bits()));
        break;
      default:
        ADD_FAILURE() << "ToDoubles: " << DataTypeName(t.dtype);
        break;
    }
  }
  return out;
}

std::vector<Tensor> ExpectedInputs(const std::string& name, const Signature& signature) {
  const Json expected = Json::Parse(ReadFile(FixturePath(name + ".expected.json")));
  std::vector<Tensor> inputs;
  for (const TensorSpec& spec : signature.inputs) {
    const Json& j = expected["inputs"][spec.name];
    std::vector<int64_t> shape;
    for (const Json& d : j["shape"].array) shape.push_back(static_cast<int64_t>(d.number));
    std::vector<double> values;
    for (const Json& v : j["data"].array) values.push_back(v.number);
    inputs.push_back(FromDoubles(spec.name, spec.dtype, shape, values));
  }
  return inputs;
}

void CheckFixtureNumerics(LoadedModel& model, const std::string& name) {
  ASSERT_TRUE(model.Warmup().ok()) << name;
  const Json expected = Json::Parse(ReadFile(FixturePath(name + ".expected.json")));
  StatusOr<std::vector<Tensor>> out = model.Score(ExpectedInputs(name, model.signature()));
  ASSERT_TRUE(out.ok()) << name << ": " << out.status().ToString();
  ASSERT_EQ(out->size(), model.signature().outputs.size());
  for (size_t o = 0; o < out->size(); ++o) {
    const Tensor& got = (*out)[o];
    const TensorSpec& spec = model.signature().outputs[o];
    EXPECT_EQ(got.name, spec.name);
    EXPECT_EQ(got.dtype, spec.dtype);
    const Json& want = expected["outputs"][spec.name];
    std::vector<int64_t> shape;
    for (const Json& d : want["shape"].array) shape.push_back(static_cast<int64_t>(d.number));
    EXPECT_EQ(got.shape, shape) << name << "/" << spec.name;
    const std::vector<double> values = ToDoubles(got);
    ASSERT_EQ(values.size(), want["data"].array.size()) << name << "/" << spec.name;
    for (size_t i = 0; i < values.size(); ++i) {
      const double w = want["data"].array[i].number;
      EXPECT_NEAR(values[i], w, 1e-4 + 1e-4 * std::fabs(w))
          << name << "/" << spec.name << "[" << i << "]";
    }
  }
}

void CheckDtypeRoundTrips(Accelerator& accelerator, const std::string& device) {
  for (DataType dtype : AllDataTypes()) {
    // No torch type (refused at load: AccelGpuDtype.TypesTorchLacksAreRefusedAtLoad);
    // BYTES goes in as List[str] (AccelGpuDtype.BytesGoInAndOutAsListOfStr).
    if (dtype == DataType::kUint16 || dtype == DataType::kUint32 || dtype == DataType::kUint64 ||
        dtype == DataType::kBytes) {
      continue;
    }
    SCOPED_TRACE(DataTypeName(dtype));
    ModelLoadOptions o;
    o.artifact_path = FixturePath("identity.pt");
    o.device = device;
    o.signature.inputs = {{"x", dtype, {-1, 3}}};
    o.signature.outputs = {{"y", dtype, {-1, 3}}};
    StatusOr<std::unique_ptr<LoadedModel>> model = accelerator.Load(o);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    ASSERT_TRUE((*model)->Warmup().ok());
    std::vector<double> values = {0, 1, 2, 3, 4, 5};
    if (dtype == DataType::kBool) values = {0, 1, 1, 0, 0, 1};
    if (dtype != DataType::kUint8 && dtype != DataType::kBool) values[4] = -7;
    if (dtype == DataType::kFp32 || dtype == DataType::kFp64 || dtype == DataType::kFp16 ||
        dtype == DataType::kBf16) {
      values[5] = 0.5;
    }
    const Tensor in = FromDoubles("x", dtype, {2, 3}, values);
    StatusOr<std::vector<Tensor>> out = (*model)->Score({in});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->size(), 1u);
    EXPECT_EQ((*out)[0].name, "y");
    EXPECT_EQ((*out)[0].dtype, dtype);
    EXPECT_EQ((*out)[0].shape, in.shape);
    EXPECT_EQ((*out)[0].data, in.data);
    EXPECT_EQ(ToDoubles((*out)[0]), values);
  }
}

}  // namespace skiff::test
