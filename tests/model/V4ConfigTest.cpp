//===- V4ConfigTest.cpp - V4 config.json and checkpoint layout ------------===//
#include "models/v4/CheckpointGenerator.h"
#include "models/v4/Config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <unistd.h>

using namespace dsv4c;
using namespace dsv4c::v4;
namespace fs = std::filesystem;

namespace {

/// A config.json shaped like the published V4-Flash one (extra HF fields
/// included, which the parser ignores).
const char *kFlashJson = R"({
  "architectures": ["DeepseekV4ForCausalLM"],
  "model_type": "deepseek_v4",
  "torch_dtype": "bfloat16",
  "bos_token_id": 0,
  "eos_token_id": 1,
  "attention_bias": false,
  "attention_dropout": 0.0,
  "initializer_range": 0.02,
  "tie_word_embeddings": false,
  "use_cache": true,
  "topk_method": "noaux_tc",
  "vocab_size": 129280,
  "hidden_size": 4096,
  "num_hidden_layers": 43,
  "num_attention_heads": 64,
  "num_key_value_heads": 1,
  "head_dim": 512,
  "qk_rope_head_dim": 64,
  "q_lora_rank": 1024,
  "o_groups": 8,
  "o_lora_rank": 1024,
  "moe_intermediate_size": 2048,
  "n_routed_experts": 256,
  "n_shared_experts": 1,
  "num_experts_per_tok": 6,
  "num_hash_layers": 3,
  "scoring_func": "sqrtsoftplus",
  "routed_scaling_factor": 1.5,
  "norm_topk_prob": true,
  "sliding_window": 128,
  "compress_ratios": [0, 0, 4, 128, 4, 128, 4, 128, 4, 128, 4, 128, 4, 128,
                      4, 128, 4, 128, 4, 128, 4, 128, 4, 128, 4, 128, 4, 128,
                      4, 128, 4, 128, 4, 128, 4, 128, 4, 128, 4, 128, 4, 128,
                      4, 0],
  "compress_rope_theta": 160000,
  "rope_theta": 10000,
  "rope_scaling": {"type": "yarn", "factor": 16,
                   "original_max_position_embeddings": 65536,
                   "beta_fast": 32, "beta_slow": 1},
  "max_position_embeddings": 1048576,
  "index_n_heads": 64,
  "index_head_dim": 128,
  "index_topk": 512,
  "hc_mult": 4,
  "hc_sinkhorn_iters": 20,
  "hc_eps": 1e-06,
  "swiglu_limit": 10.0,
  "num_nextn_predict_layers": 1,
  "rms_norm_eps": 1e-06,
  "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3",
                          "quant_method": "fp8", "scale_fmt": "ue8m0",
                          "weight_block_size": [128, 128]},
  "expert_dtype": "fp4"
})";

JsonValue flashJson() {
  std::string error;
  std::optional<JsonValue> v = parseJson(kFlashJson, error);
  EXPECT_TRUE(v) << error;
  return *v;
}

/// Parse `json` (as "config.json"); expect failure with exactly `message`.
void expectConfigError(const JsonValue &json, const std::string &message) {
  V4Config c;
  std::string error;
  EXPECT_FALSE(parseV4ConfigJson(json, c, error)) << writeJson(json);
  EXPECT_EQ(error, message);
}

JsonValue with(JsonValue json, const std::string &field, JsonValue value) {
  json.set(field, std::move(value));
  return json;
}

JsonValue without(JsonValue json, const std::string &field) {
  JsonValue::Object &o = *json.asObject();
  o.erase(std::remove_if(o.begin(), o.end(),
                         [&](const JsonValue::Member &m) {
                           return m.first == field;
                         }),
          o.end());
  return json;
}

JsonValue ints(std::initializer_list<int64_t> values) {
  JsonValue a = JsonValue::array();
  for (int64_t v : values)
    a.push(JsonValue::integer(v));
  return a;
}

std::map<std::string, const ExpectedTensor *>
byName(const std::vector<ExpectedTensor> &tensors) {
  std::map<std::string, const ExpectedTensor *> m;
  for (const ExpectedTensor &t : tensors)
    m[t.name] = &t;
  return m;
}

/// A tiny but complete V4: SWA, CSA and HCA layers, a hash layer, MTP
/// (the generator's preset, with a smaller vocabulary).
V4Config tinyConfig() {
  V4Config c = v4TinyConfig();
  c.vocabSize = 50;
  return c;
}

class V4CheckpointTest : public ::testing::Test {
protected:
  fs::path dir;
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("dsv4c_v4_" +
           std::string(::testing::UnitTest::GetInstance()
                           ->current_test_info()
                           ->name()) +
           "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string &name) const {
    return (dir / name).string();
  }
};

/// Zero-filled tensors for `expected`, with optional edits.
struct Tensors {
  std::vector<std::vector<uint8_t>> storage;
  std::vector<TensorToWrite> list;
  explicit Tensors(const std::vector<ExpectedTensor> &expected) {
    storage.reserve(expected.size() + 1);
    for (const ExpectedTensor &e : expected)
      add(e.name, e.dtype, e.shape);
  }
  void add(const std::string &name, StDtype dtype, std::vector<int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    size_t bytes = static_cast<size_t>(n * stDtypeBits(dtype) / 8);
    storage.emplace_back(bytes, 0);
    list.push_back({name, dtype, std::move(shape), storage.back().data(), bytes});
  }
  TensorToWrite *find(const std::string &name) {
    for (TensorToWrite &t : list)
      if (t.name == name)
        return &t;
    return nullptr;
  }
};

} // namespace

TEST(V4Config, ParsesFlashConfig) {
  V4Config c;
  std::string error;
  ASSERT_TRUE(parseV4ConfigJson(flashJson(), c, error)) << error;
  EXPECT_EQ(c.dim, 4096);
  EXPECT_EQ(c.numLayers, 43);
  EXPECT_EQ(c.numHeads, 64);
  EXPECT_EQ(c.headDim, 512);
  EXPECT_EQ(c.ropeHeadDim, 64);
  EXPECT_EQ(c.qLoraRank, 1024);
  EXPECT_EQ(c.oGroups, 8);
  EXPECT_EQ(c.oLoraRank, 1024);
  EXPECT_EQ(c.moeInterDim, 2048);
  EXPECT_EQ(c.nRoutedExperts, 256);
  EXPECT_EQ(c.nActivatedExperts, 6);
  EXPECT_EQ(c.nHashLayers, 3);
  EXPECT_EQ(c.scoreFunc, ScoreFunc::SqrtSoftplus);
  EXPECT_DOUBLE_EQ(c.routeScale, 1.5);
  EXPECT_EQ(c.windowSize, 128);
  ASSERT_EQ(c.compressRatios.size(), 44u);
  EXPECT_EQ(c.compressRatio(0), 0);
  EXPECT_EQ(c.compressRatio(2), 4);
  EXPECT_EQ(c.compressRatio(3), 128);
  EXPECT_EQ(c.compressRatio(42), 4);
  EXPECT_EQ(c.compressRatio(43), 0); // MTP
  EXPECT_DOUBLE_EQ(c.compressRopeTheta, 160000);
  EXPECT_TRUE(c.ropeScaling.enabled);
  EXPECT_DOUBLE_EQ(c.ropeScaling.factor, 16);
  EXPECT_EQ(c.ropeScaling.originalMaxPositionEmbeddings, 65536);
  EXPECT_DOUBLE_EQ(c.ropeScaling.betaFast, 32);
  EXPECT_DOUBLE_EQ(c.ropeScaling.betaSlow, 1);
  EXPECT_EQ(c.indexTopk, 512);
  EXPECT_DOUBLE_EQ(c.hcEps, 1e-6);
  EXPECT_DOUBLE_EQ(c.swigluLimit, 10);
  EXPECT_EQ(c.nMtpLayers, 1);
  EXPECT_EQ(c.numBlocks(), 44);
  EXPECT_EQ(c.vocabSize, 129280);
  EXPECT_EQ(c.linearFormat, WeightFormat::FP8);
  EXPECT_EQ(c.expertFormat, WeightFormat::FP4);
  EXPECT_TRUE(c.isHashLayer(2));
  EXPECT_FALSE(c.isHashLayer(3));
  // Everything agrees with the preset.
  EXPECT_EQ(writeJson(v4ConfigToJson(c)), writeJson(v4ConfigToJson(v4FlashConfig())));
}

TEST(V4Config, ExpertDtypeDefaults) {
  V4Config c;
  std::string error;
  // Absent with FP8 linears: FP4 (the published layout).
  ASSERT_TRUE(parseV4ConfigJson(without(flashJson(), "expert_dtype"), c, error))
      << error;
  EXPECT_EQ(c.expertFormat, WeightFormat::FP4);
  // null: as the linears (the reference's ModelArgs default).
  ASSERT_TRUE(parseV4ConfigJson(with(flashJson(), "expert_dtype", JsonValue()),
                                c, error))
      << error;
  EXPECT_EQ(c.expertFormat, WeightFormat::FP8);
  // No quantization_config: bf16 everywhere.
  ASSERT_TRUE(parseV4ConfigJson(
      without(without(flashJson(), "quantization_config"), "expert_dtype"), c,
      error))
      << error;
  EXPECT_EQ(c.linearFormat, WeightFormat::BF16);
  EXPECT_EQ(c.expertFormat, WeightFormat::BF16);
}

TEST(V4Config, PresetsRoundTripThroughJson) {
  for (const V4Config &preset : {v4FlashConfig(), v4ProConfig(), tinyConfig()}) {
    std::string error;
    ASSERT_TRUE(validateV4Config(preset, error)) << error;
    JsonValue j = v4ConfigToJson(preset);
    V4Config back;
    ASSERT_TRUE(parseV4ConfigJson(j, back, error)) << error;
    EXPECT_EQ(writeJson(v4ConfigToJson(back)), writeJson(j));
  }
  V4Config pro = v4ProConfig();
  EXPECT_EQ(pro.dim, 7168);
  EXPECT_EQ(pro.numLayers, 61);
  EXPECT_EQ(pro.numHeads, 128);
  EXPECT_EQ(pro.qLoraRank, 1536);
  EXPECT_EQ(pro.oGroups, 16);
  EXPECT_EQ(pro.nRoutedExperts, 384);
  EXPECT_EQ(pro.moeInterDim, 3072);
  EXPECT_DOUBLE_EQ(pro.routeScale, 2.5);
  EXPECT_EQ(pro.indexTopk, 1024);
  ASSERT_EQ(pro.compressRatios.size(), 62u);
  EXPECT_EQ(pro.compressRatio(0), 128);
  EXPECT_EQ(pro.compressRatio(1), 128);
  EXPECT_EQ(pro.compressRatio(2), 4);
  EXPECT_EQ(pro.compressRatio(60), 4);
  EXPECT_EQ(pro.compressRatio(61), 0);
}

TEST(V4Config, ParsesConfigFileAndNamesItInErrors) {
  fs::path dir = fs::temp_directory_path() /
                 ("dsv4c_v4cfg_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string p = (dir / "config.json").string();
  std::ofstream(p) << kFlashJson;
  V4Config c;
  std::string error;
  EXPECT_TRUE(parseV4Config(p, c, error)) << error;
  EXPECT_EQ(c.numLayers, 43);

  // The brief's example: 2 MTP layers want 45 ratios.
  JsonValue j = with(flashJson(), "num_nextn_predict_layers", JsonValue::integer(2));
  std::ofstream(p) << writeJson(j);
  EXPECT_FALSE(parseV4Config(p, c, error));
  EXPECT_EQ(error, p + ": field 'compress_ratios' must have num_hidden_layers "
                       "+ num_nextn_predict_layers = 45 entries, has 44");

  std::ofstream(p) << "{\n  \"hidden_size\": 4096,\n  \"vocab_size\" 3\n}";
  EXPECT_FALSE(parseV4Config(p, c, error));
  EXPECT_EQ(error, p + ":3:16: expected ':' after an object key, found '3'");

  EXPECT_FALSE(parseV4Config((dir / "nope.json").string(), c, error));
  EXPECT_EQ(error.rfind((dir / "nope.json").string() + ": cannot open", 0), 0u);
  fs::remove_all(dir);
}

TEST(V4Config, RejectsBadConfigs) {
  const std::string f = "config.json: ";
  JsonValue flash = flashJson();
  expectConfigError(JsonValue::array(), "config.json: expected a JSON object, "
                                        "found an array");
  expectConfigError(without(flash, "hidden_size"),
                    f + "missing required field 'hidden_size'");
  expectConfigError(with(flash, "hidden_size", JsonValue()),
                    f + "missing required field 'hidden_size'");
  expectConfigError(with(flash, "hidden_size", JsonValue::string("4096")),
                    f + "field 'hidden_size' must be an integer, is a string");
  expectConfigError(with(flash, "hidden_size", JsonValue::number(4096.5)),
                    f + "field 'hidden_size' must be an integer, is 4096.5");
  expectConfigError(with(flash, "hidden_size", JsonValue::integer(0)),
                    f + "field 'hidden_size' must be >= 1, is 0");
  expectConfigError(with(flash, "head_dim", JsonValue::integer(64)),
                    f + "field 'head_dim' (64) must exceed qk_rope_head_dim (64)");
  expectConfigError(with(flash, "qk_rope_head_dim", JsonValue::integer(63)),
                    f + "field 'qk_rope_head_dim' must be even (RoPE rotates "
                        "pairs), is 63");
  expectConfigError(with(flash, "num_hash_layers", JsonValue::integer(50)),
                    f + "field 'num_hash_layers' (50) must not exceed "
                        "num_hidden_layers (43)");
  expectConfigError(with(flash, "num_experts_per_tok", JsonValue::integer(300)),
                    f + "field 'num_experts_per_tok' (300) must not exceed "
                        "n_routed_experts (256)");
  expectConfigError(with(flash, "o_groups", JsonValue::integer(7)),
                    f + "field 'o_groups' (7) must divide num_attention_heads "
                        "(64)");
  expectConfigError(with(flash, "num_key_value_heads", JsonValue::integer(8)),
                    f + "field 'num_key_value_heads' must be 1 (V4 has one "
                        "shared KV head), is 8");
  expectConfigError(with(flash, "n_shared_experts", JsonValue::integer(2)),
                    f + "field 'n_shared_experts' must be 1 (the reference has "
                        "exactly one shared expert), is 2");
  expectConfigError(with(flash, "scoring_func", JsonValue::string("relu")),
                    f + "field 'scoring_func' must be \"softmax\", \"sigmoid\" "
                        "or \"sqrtsoftplus\", is \"relu\"");
  expectConfigError(with(flash, "norm_topk_prob", JsonValue::integer(1)),
                    f + "field 'norm_topk_prob' must be true or false, is a "
                        "number");
  expectConfigError(with(flash, "rms_norm_eps", JsonValue::number(0)),
                    f + "field 'rms_norm_eps' must be > 0, is 0.0");
  // compress_ratios.
  JsonValue ratios = *flash.find("compress_ratios");
  (*ratios.asArray())[5] = JsonValue::integer(3);
  expectConfigError(with(flash, "compress_ratios", ratios),
                    f + "field 'compress_ratios' entry 5 is 3: must be 0 "
                        "(sliding window only), 4 (CSA) or a larger multiple "
                        "of 4 (HCA; V4 uses 128)");
  (*ratios.asArray())[5] = JsonValue::integer(8); // a small HCA ratio is fine
  V4Config small;
  std::string smallError;
  EXPECT_TRUE(parseV4ConfigJson(with(flash, "compress_ratios", ratios), small,
                                smallError))
      << smallError;
  (*ratios.asArray())[5] = JsonValue::number(4.5);
  expectConfigError(with(flash, "compress_ratios", ratios),
                    f + "field 'compress_ratios' entry 5 must be an integer, "
                        "is 4.5");
  expectConfigError(with(flash, "compress_ratios", JsonValue::string("0,4")),
                    f + "field 'compress_ratios' must be an array of "
                        "integers, is a string");
  expectConfigError(with(flash, "compress_ratios", ints({0, 0, 4})),
                    f + "field 'compress_ratios' must have num_hidden_layers "
                        "+ num_nextn_predict_layers = 44 entries, has 3");
  expectConfigError(without(flash, "compress_rope_theta"),
                    f + "missing required field 'compress_rope_theta'");
  expectConfigError(with(flash, "index_n_heads", JsonValue::integer(0)),
                    f + "field 'index_n_heads' must be >= 1, is 0 (entry 2 of "
                        "compress_ratios is 4: that layer has an indexer)");
  // Nested objects.
  JsonValue rope = *flash.find("rope_scaling");
  expectConfigError(with(flash, "rope_scaling", without(rope, "factor")),
                    f + "missing required field 'rope_scaling.factor'");
  expectConfigError(
      with(flash, "rope_scaling", with(rope, "type", JsonValue::string("linear"))),
      f + "field 'rope_scaling' has type \"linear\": only \"yarn\" is "
          "supported");
  expectConfigError(
      with(flash, "rope_scaling", with(rope, "beta_fast", JsonValue::string("x"))),
      f + "field 'rope_scaling.beta_fast' must be a number, is a string");
  expectConfigError(with(flash, "rope_scaling", JsonValue::integer(16)),
                    f + "field 'rope_scaling' must be an object, is a number");
  JsonValue quant = *flash.find("quantization_config");
  expectConfigError(
      with(flash, "quantization_config", with(quant, "fmt", JsonValue::string("e5m2"))),
      f + "field 'quantization_config.fmt' is \"e5m2\": only \"e4m3\" is "
          "supported");
  expectConfigError(with(flash, "quantization_config",
                         with(quant, "weight_block_size", ints({64, 64}))),
                    f + "field 'quantization_config.weight_block_size' is "
                        "[64,64]: only [128, 128] is supported");
  expectConfigError(with(flash, "quantization_config",
                         with(quant, "quant_method", JsonValue::string("awq"))),
                    f + "field 'quantization_config.quant_method' is \"awq\": "
                        "only \"fp8\" is supported");
  expectConfigError(with(flash, "expert_dtype", JsonValue::string("int4")),
                    f + "field 'expert_dtype' must be \"fp4\", \"fp8\", "
                        "\"bf16\" or null, is \"int4\"");
  // FP4 packing needs multiples of 32.
  expectConfigError(with(flash, "moe_intermediate_size", JsonValue::integer(2040)),
                    f + "field 'moe_intermediate_size' (2040) must be a "
                        "multiple of 32 for fp4 experts (one scale per 32 "
                        "inputs)");
}

TEST(V4Layout, FlashTensorCountsAndShapes) {
  std::vector<ExpectedTensor> tensors = expectedTensors(v4FlashConfig());
  // Per block: attention 13, MoE 2 + 256 * 6 + 6, norms 2, mHC 6 = 1565;
  // HCA +4 (compressor), CSA +11 (compressor, indexer with its own).
  // 2 SWA + 21 CSA + 20 HCA layers, an SWA MTP block (+10), 6 globals.
  EXPECT_EQ(tensors.size(), 6u + 2 * 1565 + 21 * 1576 + 20 * 1569 + 1575);
  EXPECT_EQ(tensors.size(), 69187u);
  auto m = byName(tensors);
  EXPECT_EQ(m.size(), tensors.size()) << "names must be unique";
  size_t scales = 0;
  for (const ExpectedTensor &t : tensors)
    scales += t.name.size() > 6 && t.name.ends_with(".scale");
  EXPECT_EQ(scales, 43u * 776 + 21 + 778); // FP8/FP4 weight+scale pairs

  auto expect = [&](const std::string &name, StDtype dtype,
                    std::vector<int64_t> shape) {
    auto it = m.find(name);
    ASSERT_NE(it, m.end()) << name << " missing";
    EXPECT_EQ(it->second->dtype, dtype) << name;
    EXPECT_EQ(it->second->shape, shape) << name;
  };
  const StDtype F8 = StDtype::F8_E4M3, E8 = StDtype::F8_E8M0;
  expect("embed.weight", StDtype::BF16, {129280, 4096});
  expect("head.weight", StDtype::BF16, {129280, 4096});
  expect("norm.weight", StDtype::BF16, {4096});
  expect("hc_head_fn", StDtype::F32, {4, 16384});
  expect("hc_head_base", StDtype::F32, {4});
  expect("hc_head_scale", StDtype::F32, {1});
  // Attention (checked by hand against the reference's Linear shapes).
  expect("layers.0.attn.wq_a.weight", F8, {1024, 4096});
  expect("layers.0.attn.wq_a.scale", E8, {8, 32});
  expect("layers.0.attn.q_norm.weight", StDtype::BF16, {1024});
  expect("layers.0.attn.wq_b.weight", F8, {32768, 1024});
  expect("layers.0.attn.wq_b.scale", E8, {256, 8});
  expect("layers.0.attn.wkv.weight", F8, {512, 4096});
  expect("layers.0.attn.wkv.scale", E8, {4, 32});
  expect("layers.0.attn.kv_norm.weight", StDtype::BF16, {512});
  expect("layers.0.attn.wo_a.weight", F8, {8192, 4096});
  expect("layers.0.attn.wo_a.scale", E8, {64, 32});
  expect("layers.0.attn.wo_b.weight", F8, {4096, 8192});
  expect("layers.0.attn.wo_b.scale", E8, {32, 64});
  expect("layers.0.attn.attn_sink", StDtype::F32, {64});
  // Compressors: ratio 4 overlaps (2 x 512 wide), ratio 128 does not.
  expect("layers.2.attn.compressor.ape", StDtype::F32, {4, 1024});
  expect("layers.2.attn.compressor.wkv.weight", StDtype::BF16, {1024, 4096});
  expect("layers.2.attn.compressor.wgate.weight", StDtype::BF16, {1024, 4096});
  expect("layers.2.attn.compressor.norm.weight", StDtype::BF16, {512});
  expect("layers.3.attn.compressor.ape", StDtype::F32, {128, 512});
  expect("layers.3.attn.compressor.wkv.weight", StDtype::BF16, {512, 4096});
  // Indexer (CSA only).
  expect("layers.2.attn.indexer.wq_b.weight", F8, {8192, 1024});
  expect("layers.2.attn.indexer.wq_b.scale", E8, {64, 8});
  expect("layers.2.attn.indexer.weights_proj.weight", StDtype::BF16, {64, 4096});
  expect("layers.2.attn.indexer.compressor.ape", StDtype::F32, {4, 256});
  expect("layers.2.attn.indexer.compressor.wkv.weight", StDtype::BF16,
         {256, 4096});
  expect("layers.2.attn.indexer.compressor.norm.weight", StDtype::BF16, {128});
  EXPECT_EQ(m.count("layers.0.attn.compressor.ape"), 0u);
  EXPECT_EQ(m.count("layers.3.attn.indexer.wq_b.weight"), 0u);
  EXPECT_EQ(m.count("mtp.0.attn.compressor.ape"), 0u);
  // MoE: hash layers 0-2 route by tid2eid, the rest by score + bias.
  expect("layers.0.ffn.gate.weight", StDtype::BF16, {256, 4096});
  expect("layers.0.ffn.gate.tid2eid", StDtype::I64, {129280, 6});
  expect("layers.2.ffn.gate.tid2eid", StDtype::I64, {129280, 6});
  EXPECT_EQ(m.count("layers.2.ffn.gate.bias"), 0u);
  expect("layers.3.ffn.gate.bias", StDtype::F32, {256});
  EXPECT_EQ(m.count("layers.3.ffn.gate.tid2eid"), 0u);
  expect("mtp.0.ffn.gate.bias", StDtype::F32, {256});
  // FP4 experts: two e2m1 per byte, one scale per 32 inputs.
  expect("layers.0.ffn.experts.0.w1.weight", StDtype::I8, {2048, 2048});
  expect("layers.0.ffn.experts.0.w1.scale", E8, {2048, 128});
  expect("layers.0.ffn.experts.0.w2.weight", StDtype::I8, {4096, 1024});
  expect("layers.0.ffn.experts.0.w2.scale", E8, {4096, 64});
  expect("layers.42.ffn.experts.255.w3.weight", StDtype::I8, {2048, 2048});
  EXPECT_EQ(m.count("layers.0.ffn.experts.256.w1.weight"), 0u);
  // Shared expert: FP8.
  expect("layers.0.ffn.shared_experts.w1.weight", F8, {2048, 4096});
  expect("layers.0.ffn.shared_experts.w1.scale", E8, {16, 32});
  expect("layers.0.ffn.shared_experts.w2.weight", F8, {4096, 2048});
  expect("layers.0.ffn.shared_experts.w2.scale", E8, {32, 16});
  // Norms and mHC.
  expect("layers.5.attn_norm.weight", StDtype::BF16, {4096});
  expect("layers.5.ffn_norm.weight", StDtype::BF16, {4096});
  expect("layers.5.hc_attn_fn", StDtype::F32, {24, 16384});
  expect("layers.5.hc_ffn_base", StDtype::F32, {24});
  expect("layers.5.hc_attn_scale", StDtype::F32, {3});
  // MTP.
  expect("mtp.0.e_proj.weight", F8, {4096, 4096});
  expect("mtp.0.e_proj.scale", E8, {32, 32});
  expect("mtp.0.h_proj.weight", F8, {4096, 4096});
  expect("mtp.0.enorm.weight", StDtype::BF16, {4096});
  expect("mtp.0.hnorm.weight", StDtype::BF16, {4096});
  expect("mtp.0.norm.weight", StDtype::BF16, {4096});
  expect("mtp.0.hc_head_fn", StDtype::F32, {4, 16384});
  expect("mtp.0.attn.wq_a.weight", F8, {1024, 4096});
  expect("mtp.0.ffn.experts.7.w1.weight", StDtype::I8, {2048, 2048});
  EXPECT_EQ(m.count("layers.43.attn_norm.weight"), 0u);
  EXPECT_EQ(m.count("mtp.0.embed.weight"), 0u);
  EXPECT_EQ(m.count("mtp.0.head.weight"), 0u);
  // Order: embed first, then layers, globals, MTP, hc_head last.
  EXPECT_EQ(tensors.front().name, "embed.weight");
  EXPECT_EQ(tensors.back().name, "hc_head_scale");
}

TEST(V4Layout, ProCountAndShapes) {
  std::vector<ExpectedTensor> tensors = expectedTensors(v4ProConfig());
  // Per block: 13 + (2 + 384 * 6 + 6) + 8 = 2333; 30 CSA, 31 HCA layers.
  EXPECT_EQ(tensors.size(), 6u + 61 * 2333 + 30 * 11 + 31 * 4 + 2343);
  auto m = byName(tensors);
  EXPECT_EQ(m.at("layers.0.attn.wq_b.weight")->shape,
            (std::vector<int64_t>{65536, 1536}));
  EXPECT_EQ(m.at("layers.0.attn.wq_b.scale")->shape,
            (std::vector<int64_t>{512, 12}));
  EXPECT_EQ(m.at("layers.0.attn.wo_a.weight")->shape,
            (std::vector<int64_t>{16384, 4096}));
  EXPECT_EQ(m.at("layers.0.attn.wo_b.scale")->shape,
            (std::vector<int64_t>{56, 128}));
  EXPECT_EQ(m.at("layers.0.attn.compressor.ape")->shape,
            (std::vector<int64_t>{128, 512}));
  EXPECT_EQ(m.at("layers.60.ffn.experts.383.w2.scale")->shape,
            (std::vector<int64_t>{7168, 96}));
}

TEST(V4Layout, Bf16AndFp8ExpertVariants) {
  V4Config c = tinyConfig();
  c.linearFormat = WeightFormat::BF16;
  c.expertFormat = WeightFormat::BF16;
  std::vector<ExpectedTensor> bf16 = expectedTensors(c);
  auto m = byName(bf16);
  EXPECT_EQ(m.at("layers.0.attn.wq_a.weight")->dtype, StDtype::BF16);
  EXPECT_EQ(m.count("layers.0.attn.wq_a.scale"), 0u);
  EXPECT_EQ(m.at("layers.0.ffn.experts.0.w1.weight")->shape,
            (std::vector<int64_t>{32, 64}));
  c.linearFormat = WeightFormat::FP8;
  c.expertFormat = WeightFormat::FP8;
  std::vector<ExpectedTensor> fp8 = expectedTensors(c);
  m = byName(fp8);
  EXPECT_EQ(m.at("layers.0.ffn.experts.0.w1.weight")->dtype, StDtype::F8_E4M3);
  EXPECT_EQ(m.at("layers.0.ffn.experts.0.w1.scale")->shape,
            (std::vector<int64_t>{1, 1}));
}

TEST_F(V4CheckpointTest, ValidatesTinyCheckpoint) {
  V4Config c = tinyConfig();
  std::vector<ExpectedTensor> expected = expectedTensors(c);
  std::string error;
  std::string file = path("model.safetensors");
  {
    Tensors t(expected);
    ASSERT_TRUE(writeSafetensors(file, t.list, {{"format", "pt"}}, error))
        << error;
  }
  std::unique_ptr<Checkpoint> ckpt = Checkpoint::open(file, error);
  ASSERT_NE(ckpt, nullptr) << error;
  EXPECT_TRUE(validateCheckpoint(c, *ckpt, error)) << error;

  // A scale of the wrong dtype.
  {
    Tensors t(expected);
    TensorToWrite *s = t.find("layers.0.attn.wq_a.scale");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->shape, (std::vector<int64_t>{1, 1}));
    t.storage.emplace_back(4, 0);
    s->dtype = StDtype::F32;
    s->data = t.storage.back().data();
    s->bytes = 4;
    ASSERT_TRUE(writeSafetensors(file, t.list, {}, error)) << error;
  }
  ckpt = Checkpoint::open(file, error);
  ASSERT_NE(ckpt, nullptr) << error;
  EXPECT_FALSE(validateCheckpoint(c, *ckpt, error));
  EXPECT_EQ(error, "tensor 'layers.0.attn.wq_a.scale': expected F8_E8M0 [1, "
                   "1], found F32 [1, 1] (in " + file + ")");

  // A wrong shape.
  {
    Tensors t(expected);
    TensorToWrite *w = t.find("layers.1.attn.compressor.ape");
    ASSERT_NE(w, nullptr);
    w->shape = {8, 512};
    ASSERT_TRUE(writeSafetensors(file, t.list, {}, error)) << error;
  }
  ckpt = Checkpoint::open(file, error);
  ASSERT_NE(ckpt, nullptr) << error;
  EXPECT_FALSE(validateCheckpoint(c, *ckpt, error));
  EXPECT_EQ(error, "tensor 'layers.1.attn.compressor.ape': expected F32 [4, "
                   "1024], found F32 [8, 512] (in " + file + ")");

  // Missing, and extra.
  {
    Tensors t(expected);
    t.list.erase(std::remove_if(t.list.begin(), t.list.end(),
                                [](const TensorToWrite &w) {
                                  return w.name == "layers.0.ffn.gate.tid2eid";
                                }),
                 t.list.end());
    ASSERT_TRUE(writeSafetensors(file, t.list, {}, error)) << error;
  }
  ckpt = Checkpoint::open(file, error);
  ASSERT_NE(ckpt, nullptr) << error;
  EXPECT_FALSE(validateCheckpoint(c, *ckpt, error));
  EXPECT_EQ(error, "tensor 'layers.0.ffn.gate.tid2eid' (I64 [50, 6]) is "
                   "missing from the checkpoint");
  {
    Tensors t(expected);
    t.add("layers.0.attn.compressor.ape", StDtype::F32, {4, 1024});
    ASSERT_TRUE(writeSafetensors(file, t.list, {}, error)) << error;
  }
  ckpt = Checkpoint::open(file, error);
  ASSERT_NE(ckpt, nullptr) << error;
  EXPECT_FALSE(validateCheckpoint(c, *ckpt, error));
  EXPECT_EQ(error, "unexpected tensor 'layers.0.attn.compressor.ape' (F32 [4, "
                   "1024], in " + file +
                   "): not part of a V4 checkpoint of this config");
  EXPECT_TRUE(validateCheckpoint(c, *ckpt, error, /*allowExtra=*/true)) << error;
}

TEST_F(V4CheckpointTest, ValidatesShardedTinyCheckpointWithConfig) {
  V4Config c = tinyConfig();
  std::string error;
  ASSERT_TRUE(writeJsonFile(path("config.json"), v4ConfigToJson(c), error,
                            JsonWriteOptions{2}))
      << error;
  std::vector<ExpectedTensor> expected = expectedTensors(c);
  Tensors t(expected);
  // Shard by block, as published checkpoints do: globals, layers, MTP.
  std::map<std::string, std::vector<TensorToWrite>> shards;
  std::map<std::string, std::string> weightMap;
  uint64_t total = 0;
  for (const TensorToWrite &w : t.list) {
    std::string shard = w.name.rfind("layers.", 0) == 0
                            ? "model-00002-of-00003.safetensors"
                        : w.name.rfind("mtp.", 0) == 0
                            ? "model-00003-of-00003.safetensors"
                            : "model-00001-of-00003.safetensors";
    shards[shard].push_back(w);
    weightMap[w.name] = shard;
    total += w.bytes;
  }
  for (const auto &[name, list] : shards)
    ASSERT_TRUE(writeSafetensors(path(name), list, {}, error)) << error;
  ASSERT_TRUE(writeSafetensorsIndex(path("model.safetensors.index.json"),
                                    weightMap, total, error))
      << error;

  V4Config parsed;
  ASSERT_TRUE(parseV4Config(path("config.json"), parsed, error)) << error;
  std::unique_ptr<Checkpoint> ckpt = Checkpoint::open(dir.string(), error);
  ASSERT_NE(ckpt, nullptr) << error;
  EXPECT_EQ(ckpt->files().size(), 3u);
  EXPECT_EQ(ckpt->size(), expected.size());
  EXPECT_TRUE(validateCheckpoint(parsed, *ckpt, error)) << error;
  EXPECT_EQ(ckpt->find("mtp.0.e_proj.weight")->file,
            path("model-00003-of-00003.safetensors"));
  // The same checkpoint does not fit a config with one more expert.
  parsed.nRoutedExperts = 9;
  EXPECT_FALSE(validateCheckpoint(parsed, *ckpt, error));
  EXPECT_EQ(error, "tensor 'layers.0.ffn.gate.weight': expected BF16 [9, 64], "
                   "found BF16 [8, 64] (in " +
                       path("model-00002-of-00003.safetensors") + ")");
}
