// SPDX-License-Identifier: Apache-2.0
#include "arm/vm_sizes.h"

#include <cctype>
#include <map>

namespace skiff::compute_aks {
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Families whose size number is the vCPU count: "<prefix><n><suffix>".
void AddNumbered(std::map<std::string, int>& t, const std::string& prefix,
                 const std::string& suffix, std::initializer_list<int> sizes) {
  for (int n : sizes) t[Lower("standard_" + prefix + std::to_string(n) + suffix)] = n;
}

std::map<std::string, int> BuildTable() {
  std::map<std::string, int> t;
  // Dv2/DSv2 and the memory-optimised D11-D15: numbers are not vCPUs.
  for (const char* p : {"D", "DS"}) {
    for (auto [n, v] : std::initializer_list<std::pair<int, int>>{{1, 1},
                                                                  {2, 2},
                                                                  {3, 4},
                                                                  {4, 8},
                                                                  {5, 16},
                                                                  {11, 2},
                                                                  {12, 4},
                                                                  {13, 8},
                                                                  {14, 16},
                                                                  {15, 20}}) {
      t[Lower(std::string("standard_") + p + std::to_string(n) + "_v2")] = v;
    }
  }
  const auto d = {2, 4, 8, 16, 32, 48, 64};
  const auto d96 = {2, 4, 8, 16, 32, 48, 64, 96};
  AddNumbered(t, "D", "_v3", d);
  AddNumbered(t, "D", "s_v3", d);
  AddNumbered(t, "D", "_v4", d);
  AddNumbered(t, "D", "s_v4", d);
  AddNumbered(t, "D", "d_v4", d);
  AddNumbered(t, "D", "ds_v4", d);
  AddNumbered(t, "D", "a_v4", d96);
  AddNumbered(t, "D", "as_v4", d96);
  AddNumbered(t, "D", "_v5", d96);
  AddNumbered(t, "D", "s_v5", d96);
  AddNumbered(t, "D", "d_v5", d96);
  AddNumbered(t, "D", "ds_v5", d96);
  AddNumbered(t, "D", "as_v5", d96);
  AddNumbered(t, "D", "ads_v5", d96);
  const auto e = {2, 4, 8, 16, 20, 32, 48, 64};
  AddNumbered(t, "E", "_v3", e);
  AddNumbered(t, "E", "s_v3", e);
  AddNumbered(t, "E", "_v4", e);
  AddNumbered(t, "E", "s_v4", e);
  AddNumbered(t, "E", "ds_v4", e);
  AddNumbered(t, "E", "as_v4", {2, 4, 8, 16, 20, 32, 48, 64, 96});
  AddNumbered(t, "E", "s_v5", {2, 4, 8, 16, 20, 32, 48, 64, 96});
  AddNumbered(t, "E", "ds_v5", {2, 4, 8, 16, 20, 32, 48, 64, 96});
  AddNumbered(t, "F", "s_v2", {2, 4, 8, 16, 32, 48, 64, 72});
  AddNumbered(t, "F", "", {1, 2, 4, 8, 16});
  AddNumbered(t, "F", "s", {1, 2, 4, 8, 16});
  AddNumbered(t, "A", "_v2", {1, 2, 4, 8});
  AddNumbered(t, "A", "m_v2", {2, 4, 8});
  for (auto [name, v] : std::initializer_list<std::pair<const char*, int>>{{"B1s", 1},
                                                                           {"B1ms", 1},
                                                                           {"B2s", 2},
                                                                           {"B2ms", 2},
                                                                           {"B4ms", 4},
                                                                           {"B8ms", 8},
                                                                           {"B12ms", 12},
                                                                           {"B16ms", 16},
                                                                           {"B20ms", 20},
                                                                           {"NC6", 6},
                                                                           {"NC12", 12},
                                                                           {"NC24", 24},
                                                                           {"NC6s_v2", 6},
                                                                           {"NC12s_v2", 12},
                                                                           {"NC24s_v2", 24},
                                                                           {"NC6s_v3", 6},
                                                                           {"NC12s_v3", 12},
                                                                           {"NC24s_v3", 24},
                                                                           {"NC4as_T4_v3", 4},
                                                                           {"NC8as_T4_v3", 8},
                                                                           {"NC16as_T4_v3", 16},
                                                                           {"NC64as_T4_v3", 64},
                                                                           {"NC24ads_A100_v4", 24},
                                                                           {"NC48ads_A100_v4", 48},
                                                                           {"NC96ads_A100_v4", 96},
                                                                           {"NV6", 6},
                                                                           {"NV12", 12},
                                                                           {"NV24", 24},
                                                                           {"NV12s_v3", 12},
                                                                           {"ND6s", 6},
                                                                           {"ND12s", 12},
                                                                           {"ND24s", 24},
                                                                           {"ND40rs_v2", 40},
                                                                           {"ND96asr_v4", 96}}) {
    t[Lower(std::string("standard_") + name)] = v;
  }
  return t;
}

}  // namespace

std::optional<int> VcpusOf(const std::string& vm_size) {
  static const std::map<std::string, int> table = BuildTable();
  std::string key = Lower(vm_size);
  if (key.rfind("standard_", 0) != 0) key = "standard_" + key;
  auto it = table.find(key);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

}  // namespace skiff::compute_aks
