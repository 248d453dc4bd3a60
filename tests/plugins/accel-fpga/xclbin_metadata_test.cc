// SPDX-License-Identifier: Apache-2.0
// The xclbin reader on files written with the real xclbin.h structs, and on
// damaged ones.
#include "xclbin_metadata.h"

#include <gtest/gtest.h>

#include <cstring>

#include "xclbin_writer.h"
#include "xml_scan.h"

namespace skiff::accel_fpga {
namespace {

using test::XclbinBytes;
using test::XclbinSpec;

TEST(XclbinMetadata, ReadsHeaderSectionsAndKernelArguments) {
  XclbinSpec spec;
  spec.bank = {0, 1, 0, 1};
  StatusOr<XclbinMetadata> m = ReadXclbinMetadata(XclbinBytes(spec));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(UuidToString(m->uuid), "5f1e0a11-2233-4455-6677-8899aabbccdd");
  EXPECT_EQ(m->platform, "xilinx_u250_gen3x16_xdma_4_1_202210_1");
  ASSERT_EQ(m->banks.size(), 2u);
  EXPECT_EQ(m->banks[1].tag, "DDR[1]");
  EXPECT_TRUE(m->banks[1].used);
  ASSERT_EQ(m->ips.size(), 1u);
  EXPECT_EQ(m->ips[0].name, "mlp_dense:mlp_dense_1");
  ASSERT_EQ(m->connections.size(), 4u);
  EXPECT_EQ(m->connections[3].arg_index, 3);
  EXPECT_EQ(m->connections[3].mem_index, 1);
  ASSERT_EQ(m->kernels.size(), 1u);
  EXPECT_EQ(m->kernels[0].name, "mlp_dense");
  ASSERT_EQ(m->kernels[0].args.size(), 8u);
  EXPECT_EQ(m->kernels[0].args[3].name, "out");
  EXPECT_EQ(m->kernels[0].args[3].address_qualifier, 1);
  EXPECT_EQ(m->kernels[0].args[3].type, "float*");
  EXPECT_EQ(m->kernels[0].args[7].name, "relu");
  EXPECT_EQ(m->kernels[0].args[7].address_qualifier, 0);
}

TEST(XclbinMetadata, MissingSectionsAreFlaggedNotFatal) {
  XclbinSpec spec;
  spec.metadata = false;
  spec.connectivity = false;
  StatusOr<XclbinMetadata> m = ReadXclbinMetadata(XclbinBytes(spec));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->has_mem_topology);
  EXPECT_TRUE(m->has_ip_layout);
  EXPECT_FALSE(m->has_connectivity);
  EXPECT_FALSE(m->has_metadata);
}

void ExpectError(const std::string& bytes, const std::string& needle) {
  StatusOr<XclbinMetadata> m = ReadXclbinMetadata(bytes);
  ASSERT_FALSE(m.ok()) << "expected an error containing: " << needle;
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find(needle), std::string::npos) << m.status().message();
}

TEST(XclbinMetadata, DamagedFilesAreClearErrors) {
  const std::string good = XclbinBytes(XclbinSpec{});
  ExpectError(good.substr(0, 100), "shorter than the 496-byte axlf header");
  std::string bad_magic = good;
  bad_magic[0] = 'y';
  ExpectError(bad_magic, "magic \"xclbin2\"");

  std::string many_sections = good;
  const uint32_t huge = 100000;
  std::memcpy(many_sections.data() + 448, &huge, 4);
  ExpectError(many_sections, "claims 100000 sections");

  std::string truncated_headers = good.substr(0, 500);
  const uint32_t four = 4;
  std::memcpy(truncated_headers.data() + 448, &four, 4);
  ExpectError(truncated_headers, "ends inside their headers");

  std::string outside = good;
  const uint64_t far = good.size() + 8;
  std::memcpy(outside.data() + 456 + 24, &far, 8);
  ExpectError(outside, "lies outside");

  // First section is MEM_TOPOLOGY: claim more banks than it holds.
  std::string overcount = good;
  uint64_t offset = 0;
  std::memcpy(&offset, good.data() + 456 + 24, 8);
  const int32_t banks = 1000;
  std::memcpy(overcount.data() + offset, &banks, 4);
  ExpectError(overcount, "MEM_TOPOLOGY claims 1000 entries but holds");
  const int32_t negative = -1;
  std::memcpy(overcount.data() + offset, &negative, 4);
  ExpectError(overcount, "MEM_TOPOLOGY claims -1 entries");
}

TEST(XclbinMetadata, BadEmbeddedXmlIsAnError) {
  XclbinSpec spec;
  spec.args[2].name = "b\" broken";  // ends the attribute early: stray text in the tag
  ExpectError(XclbinBytes(spec), "embedded metadata XML");
}

TEST(XmlScan, FindsElementsWithAncestorsAndDecodedAttributes) {
  std::vector<XmlElement> seen;
  Status s = ScanXml("<?xml version='1.0'?><a x=\"1 &amp; 2\"><!-- c --><b y='&lt;'/></a>",
                     [&](const XmlElement& e) { seen.push_back(e); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].attributes["x"], "1 & 2");
  EXPECT_EQ(seen[1].name, "b");
  EXPECT_EQ(seen[1].attributes["y"], "<");
  EXPECT_EQ(seen[1].ancestors, std::vector<std::string>{"a"});
}

TEST(XmlScan, RejectsMalformedAndTooDeepDocuments) {
  auto ignore = [](const XmlElement&) {};
  EXPECT_NE(ScanXml("<a><b></a>", ignore).message().find("does not match <b>"), std::string::npos);
  EXPECT_NE(ScanXml("<a x=1/>", ignore).message().find("not quoted"), std::string::npos);
  EXPECT_NE(ScanXml("<a x=\"1/>", ignore).message().find("unterminated value"), std::string::npos);
  EXPECT_NE(ScanXml("<a>", ignore).message().find("never closed"), std::string::npos);
  EXPECT_NE(ScanXml("<!-- x", ignore).message().find("unterminated comment"), std::string::npos);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<d>";
  EXPECT_NE(ScanXml(deep, ignore).message().find("deeper than 64"), std::string::npos);
}

}  // namespace
}  // namespace skiff::accel_fpga
