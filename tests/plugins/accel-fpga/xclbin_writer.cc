// SPDX-License-Identifier: Apache-2.0
#include "xclbin_writer.h"

#include <stdlib.h>
#include <xrt/xclbin.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace skiff::accel_fpga::test {
namespace {

struct Section {
  uint32_t kind;
  std::string data;
};

template <typename T>
std::string Bytes(const T& value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof(T));
}

std::string MemTopology(const XclbinSpec& spec) {
  std::string out(8, '\0');
  const int32_t count = spec.banks;
  std::memcpy(out.data(), &count, sizeof(count));
  for (int i = 0; i < spec.banks; ++i) {
    mem_data m{};
    m.m_type = MEM_DDR4;
    m.m_used = i == spec.unused_bank ? 0 : 1;
    m.m_size = 16 * 1024 * 1024;  // KB
    m.m_base_address = 0x4000000000ull * static_cast<uint64_t>(i);
    std::snprintf(reinterpret_cast<char*>(m.m_tag), sizeof(m.m_tag), "DDR[%u]",
                  static_cast<unsigned>(i % 1000));
    out += Bytes(m);
  }
  return out;
}

std::string IpLayout(const XclbinSpec& spec) {
  std::string out(8, '\0');
  const int32_t count = 1;
  std::memcpy(out.data(), &count, sizeof(count));
  ip_data ip{};
  ip.m_type = IP_KERNEL;
  ip.properties = AP_CTRL_HS << IP_CONTROL_SHIFT;
  ip.m_base_address = 0x1800000;
  std::snprintf(reinterpret_cast<char*>(ip.m_name), sizeof(ip.m_name), "%s",
                spec.compute_unit.c_str());
  out += Bytes(ip);
  return out;
}

std::string Connectivity(const XclbinSpec& spec) {
  std::string entries;
  int32_t count = 0;
  for (size_t i = 0; i < spec.bank.size(); ++i) {
    if (spec.bank[i] < 0) continue;
    connection c{static_cast<int32_t>(i), 0, spec.bank[i]};
    entries += Bytes(c);
    ++count;
  }
  return Bytes(count) + entries;
}

std::string Metadata(const XclbinSpec& spec) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project name=\"mlp\"><platform "
      "vendor=\"xilinx\"><device name=\"fpga0\"><core name=\"OCL_REGION_0\" "
      "target=\"bitstream\">\n<!-- written by tests/plugins/accel-fpga/xclbin_writer.cc -->\n"
      "<kernel name=\"" +
      spec.kernel +
      "\" language=\"c\" preferredWorkGroupSizeMultiple=\"0\" "
      "workGroupSize=\"1\" interrupt=\"true\" hwControlProtocol=\"ap_ctrl_hs\">\n";
  int offset = 0x10;
  for (size_t i = 0; i < spec.args.size(); ++i) {
    const ArgDesc& a = spec.args[i];
    const int size = a.address_qualifier == 1 ? 8 : 4;
    xml += "  <arg name=\"" + a.name + "\" addressQualifier=\"" +
           std::to_string(a.address_qualifier) + "\" id=\"" + std::to_string(i) + "\" port=\"" +
           (a.address_qualifier == 1 ? "m_axi_gmem" : "s_axi_control") + "\" size=\"0x" +
           std::to_string(size) + "\" offset=\"0x" +
           [](int v) {
             char b[16];
             std::snprintf(b, sizeof b, "%x", v);
             return std::string(b);
           }(offset) +
           "\" hostOffset=\"0x0\" hostSize=\"0x" + std::to_string(size) + "\"" +
           (a.type.empty() ? "" : " type=\"" + a.type + "\"") + "/>\n";
    offset += size == 8 ? 12 : 8;
  }
  xml += "</kernel>\n</core></device></platform></project>\n";
  return xml;
}

std::string Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace

std::vector<ArgDesc> MlpDenseArgDescs() {
  return {{"in", 1, "float*"}, {"w", 1, "float*"},   {"b", 1, "float*"},    {"out", 1, "float*"},
          {"batch", 0, "int"}, {"in_dim", 0, "int"}, {"out_dim", 0, "int"}, {"relu", 0, "int"}};
}

std::string XclbinBytes(const XclbinSpec& spec) {
  std::vector<Section> sections;
  if (spec.mem_topology) sections.push_back({MEM_TOPOLOGY, MemTopology(spec)});
  if (spec.ip_layout) sections.push_back({IP_LAYOUT, IpLayout(spec)});
  if (spec.connectivity) sections.push_back({CONNECTIVITY, Connectivity(spec)});
  if (spec.metadata) sections.push_back({EMBEDDED_METADATA, Metadata(spec)});

  const size_t n = sections.size();
  const size_t headers = sizeof(axlf) + (n > 1 ? (n - 1) * sizeof(axlf_section_header) : 0);
  std::string file(headers, '\0');
  std::vector<axlf_section_header> section_headers(n);
  for (size_t i = 0; i < n; ++i) {
    while (file.size() % 8 != 0) file += '\0';
    axlf_section_header& h = section_headers[i];
    h = axlf_section_header{};
    h.m_sectionKind = sections[i].kind;
    std::snprintf(h.m_sectionName, sizeof(h.m_sectionName), "s%u", static_cast<unsigned>(i % 100));
    h.m_sectionOffset = file.size();
    h.m_sectionSize = sections[i].data.size();
    file += sections[i].data;
  }
  axlf top{};
  std::memcpy(top.m_magic, "xclbin2", 8);
  top.m_signature_length = -1;
  std::memset(top.reserved, 0xff, sizeof(top.reserved));
  top.m_header.m_length = file.size();
  top.m_header.m_versionMajor = 2;
  top.m_header.m_mode = XCLBIN_FLAT;
  std::snprintf(reinterpret_cast<char*>(top.m_header.m_platformVBNV),
                sizeof(top.m_header.m_platformVBNV), "%s", spec.platform.c_str());
  std::memcpy(top.m_header.uuid, spec.uuid.data(), 16);
  top.m_header.m_numSections = static_cast<uint32_t>(n);
  if (n > 0) top.m_sections[0] = section_headers[0];
  std::memcpy(file.data(), &top, sizeof(top));
  for (size_t i = 1; i < n; ++i) {
    std::memcpy(file.data() + sizeof(axlf) + (i - 1) * sizeof(axlf_section_header),
                &section_headers[i], sizeof(axlf_section_header));
  }
  return file;
}

ModelFolder WriteModelFolder(const std::string& dir, const std::vector<LayerSpec>& layers,
                             int32_t max_batch, const XclbinSpec& spec,
                             const std::string& extra_signature_json) {
  std::filesystem::create_directories(dir);
  ModelFolder f;
  f.dir = dir;
  f.artifact.xclbin_path = Write(dir + "/model.xclbin", XclbinBytes(spec));
  f.artifact.max_batch = max_batch;
  f.artifact.layers = layers;
  std::string weights;
  std::string layer_json;
  int seed = 1;
  for (const LayerSpec& l : layers) {
    std::vector<float> w(size_t(l.in) * size_t(l.out)), b(size_t(l.out));
    for (float& v : w) v = static_cast<float>((seed++ * 37) % 19 - 9) / 10.0f;
    for (float& v : b) v = static_cast<float>((seed++ * 11) % 7 - 3) / 10.0f;
    weights.append(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(float));
    weights.append(reinterpret_cast<const char*>(b.data()), b.size() * sizeof(float));
    f.artifact.weights.push_back(w);
    f.artifact.biases.push_back(b);
    layer_json += std::string(layer_json.empty() ? "" : ", ") + "{\"in\": " + std::to_string(l.in) +
                  ", \"out\": " + std::to_string(l.out) +
                  ", \"relu\": " + (l.relu ? "true" : "false") + "}";
  }
  Write(dir + "/weights.bin", weights);
  Write(dir + "/signature.json",
        "{\"format\": \"skiff-fpga-mlp/1\", \"kernel\": \"mlp_dense\", "
        "\"maxBatch\": " +
            std::to_string(max_batch) + ", \"layers\": [" + layer_json + "]" +
            extra_signature_json + "}");
  return f;
}

std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "skiff-fpga-XXXXXX").string();
  return ::mkdtemp(tmpl.data());
}

void UseXrtNoopDevice() {
  static const std::string prefix = [] {
    const std::string dir = MakeTempDir();
    std::filesystem::create_directory_symlink("/usr/lib/x86_64-linux-gnu", dir + "/lib");
    return dir;
  }();
  ::setenv("XILINX_XRT", prefix.c_str(), 1);
  ::setenv("XCL_EMULATION_MODE", "noop", 1);
}

}  // namespace skiff::accel_fpga::test
