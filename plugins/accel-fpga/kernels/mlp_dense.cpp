// SPDX-License-Identifier: Apache-2.0
// mlp_dense: one dense layer of an MLP, out = act(in * W^T + b), as a Vitis
// HLS kernel. The host (plugins/accel-fpga) runs it once per layer, chaining
// each layer's `out` buffer into the next layer's `in`; reference_mlp.cc is
// the same computation on the host. Build: kernels/README.md.
//
// Layouts (row-major float32, the same as torch.nn.Linear):
//   in  [batch][in_dim]    w [out_dim][in_dim]    b [out_dim]
//   out [batch][out_dim]   relu: 1 = max(0, .), 0 = identity
//
// Not compiled by the skiff build (it needs Vitis HLS); it is plain C++ and
// the HLS pragmas are ignored by a normal compiler.

#define MLP_MAX_IN 4096

extern "C" void mlp_dense(const float* in, const float* w, const float* b, float* out, int batch,
                          int in_dim, int out_dim, int relu) {
#pragma HLS INTERFACE m_axi port = in offset = slave bundle = gmem0 max_read_burst_length = 64
#pragma HLS INTERFACE m_axi port = w offset = slave bundle = gmem1 max_read_burst_length = 64
#pragma HLS INTERFACE m_axi port = b offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = out offset = slave bundle = gmem0 max_write_burst_length = 64
#pragma HLS INTERFACE s_axilite port = in
#pragma HLS INTERFACE s_axilite port = w
#pragma HLS INTERFACE s_axilite port = b
#pragma HLS INTERFACE s_axilite port = out
#pragma HLS INTERFACE s_axilite port = batch
#pragma HLS INTERFACE s_axilite port = in_dim
#pragma HLS INTERFACE s_axilite port = out_dim
#pragma HLS INTERFACE s_axilite port = relu
#pragma HLS INTERFACE s_axilite port = return

  // One input row is cached on chip; weights stream from DDR per output.
  float row[MLP_MAX_IN];
#pragma HLS BIND_STORAGE variable = row type = ram_2p impl = bram

rows:
  for (int r = 0; r < batch; ++r) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 64
  load_row:
    for (int i = 0; i < in_dim; ++i) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4096
      row[i] = in[r * in_dim + i];
    }
  outputs:
    for (int o = 0; o < out_dim; ++o) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4096
      float acc = b[o];
    dot:
      for (int i = 0; i < in_dim; ++i) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4096
        acc += row[i] * w[o * in_dim + i];
      }
      out[r * out_dim + o] = (relu != 0 && acc < 0.0f) ? 0.0f : acc;
    }
  }
}
