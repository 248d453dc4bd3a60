// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the accel-gpu tests: fixture paths, configs, expected
// outputs, and checks reused by the CPU and CUDA suites.
#pragma once

#include <string>
#include <vector>

#include "mini_json.h"
#include "skiff/accelerator.h"

namespace skiff::test {

// tests/fixtures/models/<file>.
std::string FixturePath(const std::string& file);
// ModelLoadOptions for fixture <name> (<name>.pt, signature from <name>.json).
ModelLoadOptions FixtureOptions(const std::string& name, const std::string& device);
// The fixed inputs of <name>.expected.json, in signature order.
std::vector<Tensor> ExpectedInputs(const std::string& name, const Signature& signature);
// Tensor values as doubles (any dtype, FP16 included).
std::vector<double> ToDoubles(const Tensor& t);
// Builds a tensor of `dtype` from doubles.
Tensor FromDoubles(const std::string& name, DataType dtype, std::vector<int64_t> shape,
                   const std::vector<double>& values);

// Loads fixture <name> on `device`, warms it up, scores its fixed inputs and
// compares every output with Python's (gtest assertions inside).
void CheckFixtureNumerics(LoadedModel& model, const std::string& name);
// Round-trips every dtype through identity.pt on `device`.
void CheckDtypeRoundTrips(Accelerator& accelerator, const std::string& device);

}  // namespace skiff::test
