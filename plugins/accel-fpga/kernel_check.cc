// SPDX-License-Identifier: Apache-2.0
#include "kernel_check.h"

#include <algorithm>

namespace skiff::accel_fpga {
namespace {

constexpr uint32_t kIpKernel = 1;

std::string StripSpaces(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != ' ') out += c;
  }
  return out;
}

std::string ArgList(const std::vector<ExpectedArg>& expected) {
  std::string out;
  for (const ExpectedArg& a : expected) {
    out += (out.empty() ? "" : ", ") + std::string(a.type) + " " + a.name;
  }
  return out;
}

}  // namespace

StatusOr<KernelLayout> CheckKernel(const XclbinMetadata& m, const std::string& file,
                                   const std::string& kernel,
                                   const std::vector<ExpectedArg>& expected) {
  const std::string where = "xclbin '" + file + "'";
  const std::string rebuild = "; rebuild it with v++ (plugins/accel-fpga/kernels/README.md)";
  if (!m.has_metadata)
    return FailedPrecondition(where + " has no EMBEDDED_METADATA section" + rebuild);
  if (!m.has_ip_layout) return FailedPrecondition(where + " has no IP_LAYOUT section" + rebuild);
  if (!m.has_mem_topology)
    return FailedPrecondition(where + " has no MEM_TOPOLOGY section" + rebuild);
  if (!m.has_connectivity)
    return FailedPrecondition(where + " has no CONNECTIVITY section" + rebuild);

  auto found = std::find_if(m.kernels.begin(), m.kernels.end(),
                            [&](const KernelMeta& k) { return k.name == kernel; });
  if (found == m.kernels.end()) {
    std::string names;
    for (const KernelMeta& k : m.kernels) names += (names.empty() ? "'" : ", '") + k.name + "'";
    return FailedPrecondition(where + " has no kernel '" + kernel + "' (it has " +
                              (names.empty() ? std::string("none") : names) +
                              "); set \"kernel\" in signature.json to one of them");
  }
  int32_t cu = -1;
  for (size_t i = 0; i < m.ips.size(); ++i) {
    if (m.ips[i].type == kIpKernel && m.ips[i].name.rfind(kernel + ":", 0) == 0) {
      cu = static_cast<int32_t>(i);
      break;
    }
  }
  if (cu < 0) {
    return FailedPrecondition(where + " declares kernel '" + kernel +
                              "' but IP_LAYOUT has no compute unit '" + kernel + ":<instance>'" +
                              rebuild);
  }
  const std::vector<KernelArgMeta>& args = found->args;
  if (args.size() != expected.size()) {
    return FailedPrecondition(where + ": kernel '" + kernel + "' takes " +
                              std::to_string(args.size()) +
                              " argument(s) but the fpga accelerator binds " +
                              std::to_string(expected.size()) + " (" + ArgList(expected) + ")");
  }
  KernelLayout layout;
  layout.compute_unit = m.ips[static_cast<size_t>(cu)].name;
  layout.bank.resize(expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const KernelArgMeta& arg = args[i];
    const ExpectedArg& want = expected[i];
    const std::string what =
        where + ": kernel '" + kernel + "' argument " + std::to_string(i) + " ('" + arg.name + "')";
    if (arg.id != static_cast<int32_t>(i)) {
      return FailedPrecondition(what + " has id " + std::to_string(arg.id) + ", expected " +
                                std::to_string(i) + " (argument ids must be 0..n-1)");
    }
    const int32_t qualifier = want.buffer ? 1 : 0;
    if (arg.address_qualifier != qualifier) {
      return FailedPrecondition(
          what + " is a " + (arg.address_qualifier == 1 ? "buffer" : "scalar") + " but must be a " +
          (want.buffer ? "buffer" : "scalar") + " (" + want.type + " " + want.name + ")");
    }
    if (!arg.type.empty() && StripSpaces(arg.type) != StripSpaces(want.type)) {
      return FailedPrecondition(what + " has type '" + arg.type + "' but must be '" + want.type +
                                "' (" + ArgList(expected) + ")");
    }
    if (!want.buffer) continue;
    auto conn = std::find_if(m.connections.begin(), m.connections.end(), [&](const Connection& c) {
      return c.ip_index == cu && c.arg_index == static_cast<int32_t>(i);
    });
    if (conn == m.connections.end()) {
      return FailedPrecondition(what +
                                " is not connected to a memory bank in CONNECTIVITY (link with "
                                "--connectivity.sp " +
                                layout.compute_unit.substr(kernel.size() + 1) + "." + want.name +
                                ":DDR[0])");
    }
    if (conn->mem_index < 0 || static_cast<size_t>(conn->mem_index) >= m.banks.size() ||
        !m.banks[static_cast<size_t>(conn->mem_index)].used) {
      return FailedPrecondition(what + " is connected to memory bank " +
                                std::to_string(conn->mem_index) +
                                ", which MEM_TOPOLOGY does not list as used");
    }
    layout.bank[i] = m.banks[static_cast<size_t>(conn->mem_index)].tag;
  }
  return layout;
}

}  // namespace skiff::accel_fpga
