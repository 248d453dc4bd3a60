// SPDX-License-Identifier: Apache-2.0
#include "xclbin_metadata.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "xml_scan.h"

namespace skiff::accel_fpga {
namespace {

// Offsets from struct axlf / axlf_header / axlf_section_header in xclbin.h;
// the tests build files with the real structs, so a mismatch fails there.
constexpr size_t kMagicSize = 8;
constexpr size_t kPlatformOffset = 352, kPlatformSize = 64;
constexpr size_t kUuidOffset = 416;
constexpr size_t kNumSectionsOffset = 448;
constexpr size_t kFirstSectionOffset = 456, kSectionHeaderSize = 40;
constexpr size_t kHeaderSize = 496;
constexpr uint32_t kEmbeddedMetadata = 2, kMemTopology = 6, kConnectivity = 7, kIpLayout = 8;

template <typename T>
T Load(std::string_view bytes, size_t offset) {
  T value{};
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

std::string FixedString(std::string_view bytes, size_t offset, size_t size) {
  std::string_view field = bytes.substr(offset, size);
  return std::string(field.substr(0, std::min(field.find('\0'), field.size())));
}

// A section's count-prefixed array: checks count against the section size.
StatusOr<size_t> ArrayCount(std::string_view section, const char* kind, size_t array_offset,
                            size_t entry_size) {
  if (section.size() < sizeof(int32_t)) {
    return InvalidArgument(std::string("xclbin section ") + kind + " is too short (" +
                           std::to_string(section.size()) + " bytes)");
  }
  const int32_t count = Load<int32_t>(section, 0);
  if (count < 0 || static_cast<size_t>(count) > kMaxXclbinEntries) {
    return InvalidArgument(std::string("xclbin section ") + kind + " claims " +
                           std::to_string(count) + " entries (0 to " +
                           std::to_string(kMaxXclbinEntries) + " allowed)");
  }
  if (count > 0 && (section.size() < array_offset ||
                    (section.size() - array_offset) / entry_size < static_cast<size_t>(count))) {
    return InvalidArgument(std::string("xclbin section ") + kind + " claims " +
                           std::to_string(count) + " entries but holds " +
                           std::to_string(section.size()) + " bytes");
  }
  return static_cast<size_t>(count);
}

Status ReadMemTopology(std::string_view s, XclbinMetadata& m) {
  SKIFF_ASSIGN_OR_RETURN(size_t n, ArrayCount(s, "MEM_TOPOLOGY", 8, 40));
  for (size_t i = 0; i < n; ++i) {
    const size_t at = 8 + i * 40;
    m.banks.push_back(
        {Load<uint8_t>(s, at), Load<uint8_t>(s, at + 1) != 0, FixedString(s, at + 24, 16)});
  }
  m.has_mem_topology = true;
  return OkStatus();
}

Status ReadIpLayout(std::string_view s, XclbinMetadata& m) {
  SKIFF_ASSIGN_OR_RETURN(size_t n, ArrayCount(s, "IP_LAYOUT", 8, 80));
  for (size_t i = 0; i < n; ++i) {
    const size_t at = 8 + i * 80;
    m.ips.push_back(
        {Load<uint32_t>(s, at), Load<uint32_t>(s, at + 4), FixedString(s, at + 16, 64)});
  }
  m.has_ip_layout = true;
  return OkStatus();
}

Status ReadConnectivity(std::string_view s, XclbinMetadata& m) {
  SKIFF_ASSIGN_OR_RETURN(size_t n, ArrayCount(s, "CONNECTIVITY", 4, 12));
  for (size_t i = 0; i < n; ++i) {
    const size_t at = 4 + i * 12;
    m.connections.push_back(
        {Load<int32_t>(s, at), Load<int32_t>(s, at + 4), Load<int32_t>(s, at + 8)});
  }
  m.has_connectivity = true;
  return OkStatus();
}

bool ParseInt(const std::string& text, int32_t& out) {
  if (text.empty() || text.size() > 10) return false;
  int64_t value = 0;
  size_t i = 0;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    i = 2;
  }
  for (; i < text.size(); ++i) {
    const char c = text[i];
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (base == 16 && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return false;
    value = value * base + digit;
    if (value > std::numeric_limits<int32_t>::max()) return false;
  }
  out = static_cast<int32_t>(value);
  return true;
}

Status ReadEmbeddedMetadata(std::string_view xml, XclbinMetadata& m) {
  size_t args = 0;
  Status arg_error;
  Status scanned = ScanXml(xml, [&](const XmlElement& e) {
    if (e.name == "kernel" && !e.ancestors.empty() && e.ancestors.back() == "core") {
      auto name = e.attributes.find("name");
      if (m.kernels.size() < kMaxXclbinEntries) {
        m.kernels.push_back({name == e.attributes.end() ? "" : name->second, {}});
      }
      return;
    }
    if (e.name != "arg" || e.ancestors.empty() || e.ancestors.back() != "kernel" ||
        m.kernels.empty() || ++args > kMaxXclbinEntries || !arg_error.ok()) {
      return;
    }
    KernelArgMeta arg;
    auto get = [&](const char* key) {
      auto it = e.attributes.find(key);
      return it == e.attributes.end() ? std::string() : it->second;
    };
    arg.name = get("name");
    arg.type = get("type");
    if (!ParseInt(get("id"), arg.id) || !ParseInt(get("addressQualifier"), arg.address_qualifier)) {
      arg_error =
          InvalidArgument("embedded metadata: kernel '" + m.kernels.back().name + "' argument '" +
                          arg.name + "' lacks a numeric id or addressQualifier");
      return;
    }
    m.kernels.back().args.push_back(std::move(arg));
  });
  SKIFF_RETURN_IF_ERROR(scanned);
  SKIFF_RETURN_IF_ERROR(arg_error);
  for (KernelMeta& k : m.kernels) {
    std::stable_sort(k.args.begin(), k.args.end(),
                     [](const KernelArgMeta& a, const KernelArgMeta& b) { return a.id < b.id; });
  }
  m.has_metadata = true;
  return OkStatus();
}

}  // namespace

std::string UuidToString(const XclbinUuid& uuid) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[uuid[i] >> 4];
    out += kHex[uuid[i] & 0xf];
  }
  return out;
}

StatusOr<XclbinMetadata> ReadXclbinMetadata(std::string_view bytes) {
  if (bytes.size() < kHeaderSize) {
    return InvalidArgument("not an xclbin: " + std::to_string(bytes.size()) +
                           " bytes, shorter than the 496-byte axlf header");
  }
  if (bytes.compare(0, kMagicSize, std::string_view("xclbin2\0", kMagicSize)) != 0) {
    return InvalidArgument("not an xclbin: the file does not start with the magic \"xclbin2\"");
  }
  XclbinMetadata m;
  std::memcpy(m.uuid.data(), bytes.data() + kUuidOffset, m.uuid.size());
  m.platform = FixedString(bytes, kPlatformOffset, kPlatformSize);
  const uint32_t sections = Load<uint32_t>(bytes, kNumSectionsOffset);
  if (sections > kMaxXclbinSections) {
    return InvalidArgument("xclbin header claims " + std::to_string(sections) +
                           " sections (at most " + std::to_string(kMaxXclbinSections) + ")");
  }
  if (sections > 0 && (bytes.size() - kFirstSectionOffset) / kSectionHeaderSize < sections) {
    return InvalidArgument("xclbin header claims " + std::to_string(sections) +
                           " sections but the file ends inside their headers");
  }
  for (uint32_t i = 0; i < sections; ++i) {
    const size_t at = kFirstSectionOffset + size_t{i} * kSectionHeaderSize;
    const uint32_t kind = Load<uint32_t>(bytes, at);
    const uint64_t offset = Load<uint64_t>(bytes, at + 24);
    const uint64_t size = Load<uint64_t>(bytes, at + 32);
    if (offset > bytes.size() || size > bytes.size() - offset) {
      return InvalidArgument("xclbin section " + std::to_string(i) + " (kind " +
                             std::to_string(kind) + ") lies outside the " +
                             std::to_string(bytes.size()) + "-byte file");
    }
    const std::string_view data = bytes.substr(offset, size);
    switch (kind) {
      case kMemTopology:
        if (!m.has_mem_topology) SKIFF_RETURN_IF_ERROR(ReadMemTopology(data, m));
        break;
      case kIpLayout:
        if (!m.has_ip_layout) SKIFF_RETURN_IF_ERROR(ReadIpLayout(data, m));
        break;
      case kConnectivity:
        if (!m.has_connectivity) SKIFF_RETURN_IF_ERROR(ReadConnectivity(data, m));
        break;
      case kEmbeddedMetadata:
        if (!m.has_metadata) SKIFF_RETURN_IF_ERROR(ReadEmbeddedMetadata(data, m));
        break;
      default:
        break;
    }
  }
  return m;
}

}  // namespace skiff::accel_fpga
