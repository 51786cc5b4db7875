//===- Config.h - DeepSeek-V4 configuration and checkpoint layout -*- C++ -*-===//
//
// The HF config.json of a V4 checkpoint (../shared/docs/v4-model.md,
// "Checkpoint format"), checked for consistency, and the tensors such a
// checkpoint holds (names, dtypes, shapes as the official inference code's
// module tree and convert script lay them out).
//
// Field map (config.json -> V4Config -> official ModelArgs):
//   hidden_size dim | num_hidden_layers numLayers n_layers |
//   num_attention_heads numHeads n_heads | num_key_value_heads (must be 1) |
//   head_dim | qk_rope_head_dim ropeHeadDim rope_head_dim | q_lora_rank |
//   o_groups | o_lora_rank | moe_intermediate_size moeInterDim moe_inter_dim |
//   n_routed_experts | n_shared_experts | num_experts_per_tok
//   nActivatedExperts n_activated_experts | num_hash_layers nHashLayers
//   n_hash_layers | scoring_func scoreFunc score_func |
//   routed_scaling_factor routeScale route_scale | norm_topk_prob |
//   sliding_window windowSize window_size | compress_ratios (layers, then
//   MTP) | compress_rope_theta | rope_theta | rope_scaling {type "yarn",
//   factor rope_factor, original_max_position_embeddings original_seq_len,
//   beta_fast, beta_slow} | index_n_heads | index_head_dim | index_topk |
//   hc_mult | hc_sinkhorn_iters | hc_eps | swiglu_limit |
//   num_nextn_predict_layers nMtpLayers n_mtp_layers | rms_norm_eps normEps
//   norm_eps | vocab_size | max_position_embeddings | quantization_config
//   {quant_method "fp8", fmt "e4m3", scale_fmt "ue8m0", weight_block_size
//   [128, 128]} | expert_dtype ("fp4").
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_CONFIG_H
#define DSV4C_MODELS_V4_CONFIG_H

#include "runtime/Json.h"
#include "runtime/Safetensors.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dsv4c::v4 {

enum class ScoreFunc : uint8_t { Softmax, Sigmoid, SqrtSoftplus };
const char *scoreFuncName(ScoreFunc f); // "softmax", "sigmoid", "sqrtsoftplus"

/// How a quantisable linear's weight is stored.
enum class WeightFormat : uint8_t {
  BF16, ///< bf16 [out, in], no scale
  FP8,  ///< F8_E4M3 [out, in] + F8_E8M0 scale [ceil(out/128), ceil(in/128)]
  FP4,  ///< I8 [out, in/2] (two e2m1 per byte, low nibble = even element) +
        ///< F8_E8M0 scale [out, in/32]
};
const char *weightFormatName(WeightFormat f); // "bf16", "fp8", "fp4"

struct RopeScaling {
  /// False when config.json has no rope_scaling: no YaRN anywhere.
  bool enabled = false;
  std::string type = "yarn";
  double factor = 1.0;
  int64_t originalMaxPositionEmbeddings = 0;
  double betaFast = 32;
  double betaSlow = 1;
};

/// The optional `engram` section of config.json (DeepSeek's Engram
/// conditional memory; field names of engram_demo_v1.py's EngramConfig).
struct EngramConfig {
  std::vector<int64_t> layerIds;   // layer_ids
  std::vector<int64_t> vocabSizes; // engram_vocab_size, for n = 2..maxNgram
  int64_t maxNgram = 3;            // max_ngram_size
  int64_t embedPerNgram = 0;       // n_embed_per_ngram
  int64_t headsPerNgram = 0;       // n_head_per_ngram
  int64_t kernelSize = 4;          // kernel_size (ShortConv)
  int64_t seed = 0;                // seed (of the tables tool's multipliers)
  int64_t padId = 0;               // pad_id (a token id, before compression)

  bool hasLayer(int64_t layer) const;
  /// Embedding width of one head; the hashed ids per token; their
  /// concatenated embedding width.
  int64_t headDim() const { return embedPerNgram / headsPerNgram; }
  int64_t hashColumns() const { return (maxNgram - 1) * headsPerNgram; }
  int64_t embedWidth() const { return (maxNgram - 1) * embedPerNgram; }
  /// ShortConv's dilation (= max_ngram_size) and the rows of conv input a
  /// sequence keeps: (kernel_size - 1) * dilation.
  int64_t convHistory() const { return (kernelSize - 1) * maxNgram; }
};

struct V4Config {
  int64_t dim = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKvHeads = 1;
  int64_t headDim = 0;
  int64_t ropeHeadDim = 0;
  int64_t qLoraRank = 0;
  int64_t oGroups = 0;
  int64_t oLoraRank = 0;
  int64_t moeInterDim = 0;
  int64_t nRoutedExperts = 0;
  int64_t nSharedExperts = 1;
  int64_t nActivatedExperts = 0;
  int64_t nHashLayers = 0;
  ScoreFunc scoreFunc = ScoreFunc::SqrtSoftplus;
  double routeScale = 1.0;
  bool normTopkProb = true;
  int64_t windowSize = 128;
  /// One per layer, then one per MTP layer: 0 (sliding window only),
  /// 4 (CSA: overlapping compressor + indexer) or 128 (HCA).
  std::vector<int64_t> compressRatios;
  double compressRopeTheta = 160000;
  double ropeTheta = 10000;
  RopeScaling ropeScaling;
  int64_t indexNHeads = 0;
  int64_t indexHeadDim = 0;
  int64_t indexTopk = 0;
  int64_t hcMult = 4;
  int64_t hcSinkhornIters = 20;
  double hcEps = 1e-6;
  double swigluLimit = 0;
  int64_t nMtpLayers = 0;
  double normEps = 1e-6;
  int64_t vocabSize = 0;
  /// 0 when config.json does not say.
  int64_t maxPositionEmbeddings = 0;
  /// Non-expert quantisable linears: FP8 with a quantization_config, else
  /// BF16.
  WeightFormat linearFormat = WeightFormat::FP8;
  /// Routed experts: expert_dtype "fp4" -> FP4; expert_dtype null -> the
  /// linear format; absent -> FP4 when quantised (every published V4
  /// checkpoint; the first config.json revisions did not say), else BF16.
  WeightFormat expertFormat = WeightFormat::FP4;

  /// Engram conditional memory, when the config has an `engram` section.
  std::optional<EngramConfig> engram;

  // Fixed by the format (not configurable in the reference).
  static constexpr int64_t kFp8BlockSize = 128;
  static constexpr int64_t kFp4BlockSize = 32;

  /// Transformer blocks including MTP: numLayers + nMtpLayers.
  int64_t numBlocks() const { return numLayers + nMtpLayers; }
  /// Block `block` in [0, numBlocks()): MTP blocks follow the layers.
  int64_t compressRatio(int64_t block) const { return compressRatios.at(block); }
  /// The first nHashLayers layers route by tid2eid (never MTP blocks).
  bool isHashLayer(int64_t block) const { return block < nHashLayers; }
};

/// Parses and validates a V4 config.json. On failure sets `error` to a
/// message naming the file and the field, e.g. "config.json: field
/// 'compress_ratios' must have num_hidden_layers + num_nextn_predict_layers
/// = 45 entries, has 44". Unknown fields are ignored (HF configs carry
/// many); known fields of the wrong type or value are errors.
bool parseV4Config(const std::string &path, V4Config &config,
                   std::string &error);
/// The same from parsed JSON; `source` prefixes messages.
bool parseV4ConfigJson(const JsonValue &json, V4Config &config,
                       std::string &error,
                       const std::string &source = "config.json");
/// Consistency checks (what parseV4Config runs after reading the fields).
/// Messages use the config.json field names, prefixed with `source`.
bool validateV4Config(const V4Config &config, std::string &error,
                      const std::string &source = "config");
/// The config.json (HF field names) that parses back to `config`.
JsonValue v4ConfigToJson(const V4Config &config);

/// Parses the `engram` section (`source` prefixes messages, e.g.
/// "config.json"); checks it against the model's layers and vocabulary.
bool parseEngramConfig(const JsonValue &section, EngramConfig &engram,
                       std::string &error, const std::string &source);
bool validateEngramConfig(const EngramConfig &engram, int64_t numLayers,
                          int64_t vocabSize, std::string &error,
                          const std::string &source);
JsonValue engramConfigToJson(const EngramConfig &engram);
/// The hash moduli of each Engram layer, as engram_demo_v1.py's
/// calculate_vocab_size_across_layers: per layer (layer_ids order), per n,
/// per head, the next prime after the previous one (starting at
/// engram_vocab_size[n-2] - 1) not used by an earlier head or layer.
std::map<int64_t, std::vector<int64_t>>
engramPrimes(const EngramConfig &engram);

/// Published configurations (../shared/docs/v4-model.md).
V4Config v4FlashConfig();
V4Config v4ProConfig();

struct ExpectedTensor {
  std::string name;
  StDtype dtype = StDtype::F32;
  std::vector<int64_t> shape;
};

/// Every tensor of a checkpoint of `config`, in the reference's module
/// order: embed.weight; layers.N.* (attention with its compressor and
/// indexer, gate, experts, shared experts, norms, mHC); norm.weight,
/// head.weight; mtp.N.* (a block, then e_proj, h_proj, enorm, hnorm, norm,
/// hc_head_*); hc_head_*. MTP blocks share embed and head (not repeated).
std::vector<ExpectedTensor> expectedTensors(const V4Config &config);

/// Checks that `checkpoint` holds exactly expectedTensors(config) (extra
/// tensors are an error unless `allowExtra`). Reports the first problem in
/// expectedTensors order, e.g. "tensor 'layers.0.attn.wq_a.scale': expected
/// F8_E8M0 [8, 32], found F32 [8, 32] (in FILE)".
bool validateCheckpoint(const V4Config &config, const Checkpoint &checkpoint,
                        std::string &error, bool allowExtra = false);

} // namespace dsv4c::v4

#endif
