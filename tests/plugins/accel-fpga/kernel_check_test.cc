// SPDX-License-Identifier: Apache-2.0
// Every load-time kernel error, each naming what is wrong.
#include "kernel_check.h"

#include <gtest/gtest.h>

#include "mlp_kernel_abi.h"
#include "xclbin_writer.h"

namespace skiff::accel_fpga {
namespace {

using test::XclbinSpec;

StatusOr<KernelLayout> Check(const XclbinSpec& spec, const std::string& kernel = "mlp_dense") {
  StatusOr<XclbinMetadata> m = ReadXclbinMetadata(test::XclbinBytes(spec));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return m.status();
  return CheckKernel(*m, "m.xclbin", kernel, MlpDenseArgs());
}

void ExpectError(const XclbinSpec& spec, const std::string& needle,
                 const std::string& kernel = "mlp_dense") {
  StatusOr<KernelLayout> r = Check(spec, kernel);
  ASSERT_FALSE(r.ok()) << "expected: " << needle;
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("m.xclbin"), std::string::npos) << r.status().message();
}

TEST(KernelCheck, AcceptsTheMlpDenseLayoutAndReportsBanks) {
  XclbinSpec spec;
  spec.bank = {0, 1, 1, 0};
  StatusOr<KernelLayout> r = Check(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->compute_unit, "mlp_dense:mlp_dense_1");
  EXPECT_EQ(r->bank,
            (std::vector<std::string>{"DDR[0]", "DDR[1]", "DDR[1]", "DDR[0]", "", "", "", ""}));
}

TEST(KernelCheck, MissingSectionsAreNamed) {
  XclbinSpec a;
  a.metadata = false;
  ExpectError(a, "no EMBEDDED_METADATA section");
  XclbinSpec b;
  b.ip_layout = false;
  ExpectError(b, "no IP_LAYOUT section");
  XclbinSpec c;
  c.mem_topology = false;
  ExpectError(c, "no MEM_TOPOLOGY section");
  XclbinSpec d;
  d.connectivity = false;
  ExpectError(d, "no CONNECTIVITY section");
}

TEST(KernelCheck, MissingKernelListsTheOnesPresent) {
  ExpectError(XclbinSpec{}, "has no kernel 'vadd' (it has 'mlp_dense')", "vadd");
  XclbinSpec spec;
  spec.compute_unit = "other:other_1";
  ExpectError(spec, "IP_LAYOUT has no compute unit 'mlp_dense:<instance>'");
}

TEST(KernelCheck, ArgumentCountKindAndTypeMustMatch) {
  XclbinSpec fewer;
  fewer.args.pop_back();
  ExpectError(fewer, "takes 7 argument(s) but the fpga accelerator binds 8");
  XclbinSpec kind;
  kind.args[4].address_qualifier = 1;
  kind.args[4].type = "int*";
  kind.bank = {0, 0, 0, 0, 0};
  ExpectError(kind, "argument 4 ('batch') is a buffer but must be a scalar");
  XclbinSpec type;
  type.args[1].type = "double*";
  ExpectError(type, "argument 1 ('w') has type 'double*' but must be 'float*'");
  XclbinSpec untyped;  // older v++ omits type: kind alone is checked
  untyped.args[0].type = "";
  EXPECT_TRUE(Check(untyped).ok());
}

TEST(KernelCheck, EveryBufferNeedsAUsedBank) {
  XclbinSpec unconnected;
  unconnected.bank = {0, 0, 0, -1};
  ExpectError(unconnected, "argument 3 ('out') is not connected to a memory bank");
  XclbinSpec unused;
  unused.bank = {0, 1, 0, 0};
  unused.unused_bank = 1;
  ExpectError(
      unused,
      "argument 1 ('w') is connected to memory bank 1, which MEM_TOPOLOGY does not list as used");
  XclbinSpec missing;
  missing.bank = {0, 7, 0, 0};
  ExpectError(missing, "connected to memory bank 7");
}

}  // namespace
}  // namespace skiff::accel_fpga
