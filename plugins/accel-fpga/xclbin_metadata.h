// SPDX-License-Identifier: Apache-2.0
// Reads what the load-time checks need from an .xclbin's bytes: header
// (UUID, platform), MEM_TOPOLOGY, IP_LAYOUT, CONNECTIVITY and the kernels'
// argument lists from EMBEDDED_METADATA (format: /usr/include/xrt/xclbin.h).
// The bytes are untrusted (fuzz/xclbin_metadata_fuzzer.cc): every offset,
// count and size is bounds-checked and the totals are capped.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/status.h"

namespace skiff::accel_fpga {

using XclbinUuid = std::array<uint8_t, 16>;
// "8-4-4-4-12" lower-case hex.
std::string UuidToString(const XclbinUuid& uuid);

struct MemBank {
  uint8_t type = 0;  // mem_type (MEM_DDR4 = 2, ...)
  bool used = false;
  std::string tag;  // "DDR[0]", "HBM[3]", ...
};

struct IpInstance {
  uint32_t type = 0;  // IP_TYPE (IP_KERNEL = 1)
  uint32_t properties = 0;
  std::string name;  // "<kernel>:<instance>"
};

struct Connection {
  int32_t arg_index = 0;
  int32_t ip_index = 0;
  int32_t mem_index = 0;
};

struct KernelArgMeta {
  std::string name;
  int32_t id = -1;
  int32_t address_qualifier = -1;  // 0 scalar, 1 global buffer
  std::string type;                // "float*", "int", ... ("" when absent)
};

struct KernelMeta {
  std::string name;
  std::vector<KernelArgMeta> args;  // sorted by id
};

struct XclbinMetadata {
  XclbinUuid uuid{};
  std::string platform;  // m_platformVBNV
  std::vector<MemBank> banks;
  std::vector<IpInstance> ips;
  std::vector<Connection> connections;
  std::vector<KernelMeta> kernels;
  bool has_mem_topology = false, has_ip_layout = false, has_connectivity = false,
       has_metadata = false;
};

// Limits on what the reader accepts.
inline constexpr size_t kMaxXclbinSections = 256;
inline constexpr size_t kMaxXclbinEntries = 4096;  // banks, IPs, connections, args

// Errors (kInvalidArgument) say which part is wrong: bad magic, a section
// outside the file, a count larger than its section, malformed XML. Missing
// sections are not errors here (has_* flags); CheckKernel names them.
// Threading: safe to call concurrently.
StatusOr<XclbinMetadata> ReadXclbinMetadata(std::string_view bytes);

}  // namespace skiff::accel_fpga
