//===- KernelCaseLists.cpp - the V4 kernels' conformance and bench lists --===//
//
// Which cases the conformance pack runs (one per kernel, in the kernel
// files' order) and which shapes the bench pack times (V4-Flash decode and
// prefill); the case builders are in KernelCases.cpp.
//
//===----------------------------------------------------------------------===//
#include "models/v4/KernelCases.h"

namespace dsv4c::v4 {

//===----------------------------------------------------------------------===//
// A case per kernel (two for sparse_attention: unsplit and split)
//===----------------------------------------------------------------------===//

std::vector<conformance::Case> kernelConformanceCases() {
  using namespace cases;
  // V4-Flash: hidden dim 4096, 64 heads of 512 (rope 64), the indexer's 64
  // heads of 128 and top-512, hc 4, MoE inter dim 2048 and 256 experts.
  // Token counts are ragged (37, or 19 where a row is hc x 4096 wide: not a
  // multiple of the 16-row tiles); the vocabulary, the experts' widths and
  // the attention's keys are cut so that the reference target runs each
  // case quickly and a pack (dsv4c conform --export) stays near 60 MB.
  const CompressorCfg csa{512, 64, 4, 1};
  ConvShape conv;
  conv.rows = 19;
  conv.d = 4096;
  return {
      // A CSA layer's compressor (ratio 4, overlapping windows).
      compressorCase("flash_s37_overlap4_d512", {1, 37, 512, 64, 4, 1, 10}),
      stateWriteCase(csa, 37),
      decodeCase(csa, 36),
      // The indexer's weights_proj; the indexer compressor's wkv (2 x 128).
      denseCase({37, 64, 4096, 1, 4096, 64, 3}, false), // split-k
      denseCase({37, 256, 4096, 1, 4096, 256}, true),
      // The trunk's embedding into hc = 4 streams (vocabulary cut).
      embeddingCase(19, 300, 4096, 4),
      // Engram as engram_demo_v1 (3-grams, 8 heads each) on the hc streams.
      hashCase(19, 3, 8),
      engramGateCase(19, 4, 4096),
      convNormCase(conv),
      convCase(conv),
      // 5 sequences' last rows, vocabulary cut to 300.
      headCase({5, 4096, 300}),
      // Ragged rows and vocabulary; two row blocks of a 4-block vocabulary.
      headRows64Case({5, 4096, 300}),
      headRows64Case({100, 512, 500}),
      // Ragged: the last slice of 4096 ids is partly past the row.
      greedyPartCase(5, 9000),
      greedyTokenCase(5, 9000),
      headRmsCase(197, 512),
      rotateQuantCase(165),
      topkCase("flash_s3_700_top512", {1, 3, 64, 700, 700, 512, 2797, 4, 128}),
      // A decode split over its 1100 entries (9 blocks, 4 slices), and the
      // merge of 3 rows' 5 slices in one program each.
      topkCase("flash_decode_1100_top512_split4",
               {1, 1, 64, 1100, 1100, 512, 4400, 4, 128, 4}),
      topkMergeCase({3, 5, 5, 5, 1, 512}),
      packCase("flash_37x512", 37, 512),
      // An expert's w1 (FP4) and an attention projection (FP8), outputs cut.
      fp4Case({9, 150, 4096}),
      // Split-k (what small-M launches do on GPUs): 3 slices of K.
      fp4GroupedCase(150, 4096, 3),
      // An activation quantised once for the linears (ragged last block).
      actQuantCase({37, 1, 700}),
      fp8Case({37, 150, 4096}, 3),
      // Blocks of 64 rows: one ragged in M and N, and 3 x 3 programs whose
      // last ones are ragged (M 130, N 300).
      fp8Rows64Case({37, 150, 4096}),
      fp8Rows64Case({130, 300, 640}),
      mixCase(19, 4096, 24),
      preCase(19, 4096),
      postCase(19, 4096),
      headMixCase(19, 4096),
      scatterAddCase(37, 4096),
      finishCase(37, 4096),
      gatherAddCase(13, 6, 4096),
      moeGateCase(13, 256, false, 8),
      routeCountCase(13, 256),
      routePlaceCase(13, 256, 1),
      mtpCase(19, 4, 4096),
      rmsnormCase(37, 4096),
      // Fewer programs than rows: each takes every 8th (5th) row.
      rmsnormCase(37, 4096, 8),
      // q_norm's and kv_norm's widths, and a row of two ragged blocks.
      rmsnormCase(5, 1024),
      rmsnormCase(3, 512),
      rmsnormCase(2, 7000),
      rmsnormCase(7, 7000, 5),
      ropeCase("flash_q_s19_h64_hd512", 1, 19, 64, 512, 64, 5, 1, 0),
      tableCase("flash_yarn_299", 299, 1),
      // Sampling over a ragged vocabulary (the last slice of 4096 ids
      // partly past the row).
      samplePartCase(5, 9000),
      sampleTokenCase(7, 9000, false),
      sampleTokenCase(4, 9000, true),
      // A CSA layer's index list: window 128 + top-512, over 300 keys.
      attnCase("flash_m3_h64_n300_k640", 1, 3, 64, 300, 640, -1, 299,
               0.0441941738),
      // The same split over the keys (a batch-1 decode on a GPU): 4 slices
      // of 3, 3, 3 and 1 blocks; then a join of slices.
      attnCase("flash_m3_h64_n300_k640_split4", 1, 3, 64, 300, 640, -1, 299,
               0.0441941738, 4),
      attnCombineCase("rows3_h20_split5", 3, 20, 5),
      // V4 clamps at 10; inputs lie in [-1, 1), so 0.5 makes both clamps
      // active.
      swigluCase(37, 2048, true, 0.5),
  };
}

std::vector<conformance::Case> kernelBenchCases() {
  using namespace cases;
  const int64_t tokens = 64, prefill = 4096;
  return {
      rmsnormCase(tokens, 4096),
      swigluCase(tokens, 2048, true, 10),
      // The activation of a linear quantised (once, for all its readers),
      // then an attention projection (FP8) and an expert's w1 (FP4).
      actQuantCase({tokens, 1, 4096}),
      fp8Case({tokens, 4096, 4096}, 1),
      fp8Rows64Case({tokens, 4096, 4096}),
      // A batch-1 decode step's attention projection, unsplit and split
      // over K as the executor launches it on a GPU (split-k in one launch).
      fp8Case({1, 4096, 4096}, 1),
      fp8Case({1, 4096, 4096}, 8),
      fp4Case({tokens, 2048, 4096}),
      // Every routed expert's w1 at once: the 6 picks of each token, here
      // 64 experts of 6 rows (every fourth of 256).
      fp4GroupedCase(2048, 4096, 256,
                     [&] {
                       std::vector<int64_t> groups;
                       for (int64_t g = 0; g < tokens; ++g)
                         groups.insert(groups.end(), {4 * g, 6 * g, 6});
                       return groups;
                     }()),
      // The indexer's weights_proj.
      denseCase({tokens, 64, 4096, 1, 4096, 64}, false),
      headCase({tokens, 4096, 129280}),
      headRows64Case({tokens, 4096, 129280}),
      greedyPartCase(tokens, 129280),
      greedyTokenCase(tokens, 129280),
      samplePartCase(tokens, 129280),
      sampleTokenCase(tokens, 129280, false),
      embeddingCase(tokens, 129280, 4096, 4),
      // One query per sequence: window 128 + top-512 of 4096 keys.
      attnCase("decode_b64_h64_n4096_k640", tokens, 1, 64, 4096, 640, -1, 4095,
               0.0441941738),
      // One sequence's query, split over the keys as a batch-1 decode step
      // is (10 slices of one block), then the join.
      attnCase("decode_b1_h64_n4096_k640_split10", 1, 1, 64, 4096, 640, -1,
               4095, 0.0441941738, 10),
      attnCase("decode_b1_h64_n4096_k640", 1, 1, 64, 4096, 640, -1, 4095,
               0.0441941738),
      attnCombineCase("rows1_h64_split10", 1, 64, 10),
      // The indexer's picks: 64 sequences at an 8K context (2048 compressed
      // entries), and one at 32K (8192).
      topkCase("decode_b64_n2048_top512",
               {tokens, 1, 64, 2048, 2048, 512, 8191, 4, 128}),
      topkCase("decode_b1_n8192_top512",
               {1, 1, 64, 8192, 8192, 512, 32767, 4, 128}),
      // The same as a GPU launches it: 16 slices of 4 blocks, then the
      // merge as a tree: 4 programs of 4 slices, then one of their 4 runs
      // (time the three rows together).
      topkCase("decode_b1_n8192_top512_split16",
               {1, 1, 64, 8192, 8192, 512, 32767, 4, 128, 16}),
      topkMergeCase({1, 16, 16, 4, 1, 512}),
      topkMergeCase({1, 16, 4, 4, 4, 512}),
      ropeCase("decode_b64_h64_hd512", tokens, 1, 64, 512, 64, 1000, 1, 0),
      // The gate's logits (matmul_bf16_f32), then the routing.
      denseCase({tokens, 256, 4096, 1, 4096, 256}, true),
      moeGateCase(tokens, 256, false, 8),
      packCase("decode_64x512", tokens, 512),
      mixCase(tokens, 4096, 24),
      preCase(tokens, 4096),
      // A prefill of 4096 tokens (one sequence) through the same kernels.
      rmsnormCase(prefill, 4096),
      // The executor's grid for it on an H100 (8 programs an SM by shared
      // memory, 132 SMs): each program 3-4 rows, the next row's load in
      // flight.
      rmsnormCase(prefill, 4096, 1056),
      swigluCase(prefill, 2048, true, 10),
      actQuantCase({prefill, 1, 4096}),
      fp8Case({prefill, 4096, 4096}, 1),
      fp8Rows64Case({prefill, 4096, 4096}),
      // Every routed expert's w1: 6 picks per token over 256 experts, 96
      // rows each.
      fp4GroupedCase(2048, 4096, 256,
                     [&] {
                       std::vector<int64_t> groups;
                       for (int64_t g = 0; g < 256; ++g)
                         groups.insert(groups.end(), {g, 96 * g, 96});
                       return groups;
                     }()),
      embeddingCase(prefill, 129280, 4096, 4),
      // Queries attend to window 128 + top-512 of the sequence's 4096 rows
      // and 1024 compressed entries.
      attnCase("prefill_b1_m4096_h64_n5120_k640", 1, prefill, 64, 5120, 640, -1,
               5119, 0.0441941738),
      ropeCase("prefill_s4096_h64_hd512", 1, prefill, 64, 512, 64, 0, 1, 0),
      topkCase("prefill_s4096_n1024_top512",
               {1, prefill, 64, 1024, 1024, 512, 0, 4, prefill}),
      packCase("prefill_4096x512", prefill, 512),
      mixCase(prefill, 4096, 24),
      preCase(prefill, 4096),
  };
}

} // namespace dsv4c::v4
