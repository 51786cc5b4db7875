//===- Config.cpp - DeepSeek-V4 configuration and checkpoint layout -------===//
#include "models/v4/Config.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace dsv4c::v4 {

const char *scoreFuncName(ScoreFunc f) {
  switch (f) {
  case ScoreFunc::Softmax:
    return "softmax";
  case ScoreFunc::Sigmoid:
    return "sigmoid";
  case ScoreFunc::SqrtSoftplus:
    return "sqrtsoftplus";
  }
  return "?";
}

const char *weightFormatName(WeightFormat f) {
  switch (f) {
  case WeightFormat::BF16:
    return "bf16";
  case WeightFormat::FP8:
    return "fp8";
  case WeightFormat::FP4:
    return "fp4";
  }
  return "?";
}

namespace {

std::string numberString(double d) {
  JsonValue v = JsonValue::number(d);
  return writeJson(v);
}

/// Reads typed fields of one JSON object; the first problem wins.
class FieldReader {
public:
  /// Messages read "SOURCE: field 'FIELDPREFIX+name' ...".
  FieldReader(const JsonValue &object, std::string source, std::string &error,
              std::string fieldPrefix = "")
      : object_(object), prefix_(std::move(source)),
        fieldPrefix_(std::move(fieldPrefix)), error_(error) {}

  bool ok() const { return ok_; }

  bool fail(const std::string &field, const std::string &what) {
    if (ok_)
      error_ = prefix_ + ": field '" + fieldPrefix_ + field + "' " + what;
    ok_ = false;
    return false;
  }

  /// The value, or nullptr when absent or null (for optional fields) /
  /// after recording "missing" (for required ones).
  const JsonValue *get(const std::string &field, bool required) {
    const JsonValue *v = object_.find(field);
    if (v && !v->isNull())
      return v;
    if (required && ok_) {
      error_ = prefix_ + ": missing required field '" + fieldPrefix_ + field +
               "'";
      ok_ = false;
    }
    return nullptr;
  }

  void integer(const std::string &field, int64_t &out, bool required) {
    if (!ok_)
      return;
    const JsonValue *v = get(field, required);
    if (!v)
      return;
    std::optional<int64_t> i = v->asInteger();
    if (!i) {
      fail(field, std::string("must be an integer, is ") +
                      (v->isNumber() ? writeJson(*v) : v->kindName()));
      return;
    }
    out = *i;
  }

  void number(const std::string &field, double &out, bool required) {
    if (!ok_)
      return;
    const JsonValue *v = get(field, required);
    if (!v)
      return;
    std::optional<double> d = v->asDouble();
    if (!d) {
      fail(field, std::string("must be a number, is ") + v->kindName());
      return;
    }
    out = *d;
  }

  void boolean(const std::string &field, bool &out, bool required) {
    if (!ok_)
      return;
    const JsonValue *v = get(field, required);
    if (!v)
      return;
    std::optional<bool> b = v->asBool();
    if (!b) {
      fail(field, std::string("must be true or false, is ") + v->kindName());
      return;
    }
    out = *b;
  }

  /// Returns the string or nullptr (absent, or wrong type: then failed).
  const std::string *string(const std::string &field, bool required) {
    if (!ok_)
      return nullptr;
    const JsonValue *v = get(field, required);
    if (!v)
      return nullptr;
    const std::string *s = v->asString();
    if (!s)
      fail(field, std::string("must be a string, is ") + v->kindName());
    return s;
  }

private:
  const JsonValue &object_;
  std::string prefix_;
  std::string fieldPrefix_;
  std::string &error_;
  bool ok_ = true;
};

} // namespace

bool parseV4ConfigJson(const JsonValue &json, V4Config &out,
                       std::string &error, const std::string &source) {
  if (!json.isObject()) {
    error = source + ": expected a JSON object, found " + json.kindName();
    return false;
  }
  V4Config c; // defaults: the reference's where a field is optional
  FieldReader r(json, source, error);
  r.integer("hidden_size", c.dim, true);
  r.integer("num_hidden_layers", c.numLayers, true);
  r.integer("num_attention_heads", c.numHeads, true);
  r.integer("num_key_value_heads", c.numKvHeads, false);
  r.integer("head_dim", c.headDim, true);
  r.integer("qk_rope_head_dim", c.ropeHeadDim, true);
  r.integer("q_lora_rank", c.qLoraRank, true);
  r.integer("o_groups", c.oGroups, true);
  r.integer("o_lora_rank", c.oLoraRank, true);
  r.integer("moe_intermediate_size", c.moeInterDim, true);
  r.integer("n_routed_experts", c.nRoutedExperts, true);
  r.integer("n_shared_experts", c.nSharedExperts, false);
  r.integer("num_experts_per_tok", c.nActivatedExperts, true);
  r.integer("num_hash_layers", c.nHashLayers, false);
  if (const std::string *s = r.string("scoring_func", false)) {
    if (*s == "softmax")
      c.scoreFunc = ScoreFunc::Softmax;
    else if (*s == "sigmoid")
      c.scoreFunc = ScoreFunc::Sigmoid;
    else if (*s == "sqrtsoftplus")
      c.scoreFunc = ScoreFunc::SqrtSoftplus;
    else
      r.fail("scoring_func", "must be \"softmax\", \"sigmoid\" or "
                             "\"sqrtsoftplus\", is \"" + *s + "\"");
  }
  r.number("routed_scaling_factor", c.routeScale, false);
  r.boolean("norm_topk_prob", c.normTopkProb, false);
  r.integer("sliding_window", c.windowSize, false);
  if (r.ok()) {
    if (const JsonValue *v = r.get("compress_ratios", true)) {
      const JsonValue::Array *a = v->asArray();
      if (!a) {
        r.fail("compress_ratios", std::string("must be an array of integers, "
                                              "is ") + v->kindName());
      } else {
        for (size_t i = 0; i < a->size() && r.ok(); ++i) {
          std::optional<int64_t> ratio = (*a)[i].asInteger();
          if (!ratio)
            r.fail("compress_ratios", "entry " + std::to_string(i) +
                                          " must be an integer, is " +
                                          ((*a)[i].isNumber()
                                               ? writeJson((*a)[i])
                                               : (*a)[i].kindName()));
          else
            c.compressRatios.push_back(*ratio);
        }
      }
    }
  }
  // Required only where a layer compresses (ModelArgs' default, 40000,
  // matches no published model).
  r.number("compress_rope_theta", c.compressRopeTheta,
           std::any_of(c.compressRatios.begin(), c.compressRatios.end(),
                       [](int64_t ratio) { return ratio != 0; }));
  r.number("rope_theta", c.ropeTheta, false);
  if (r.ok()) {
    if (const JsonValue *rs = r.get("rope_scaling", false)) {
      if (!rs->isObject()) {
        r.fail("rope_scaling", std::string("must be an object, is ") +
                                   rs->kindName());
      } else {
        c.ropeScaling.enabled = true;
        FieldReader rr(*rs, source, error, "rope_scaling.");
        const std::string *type = rr.string("type", false);
        if (!type && rr.ok())
          type = rr.string("rope_type", true);
        if (type)
          c.ropeScaling.type = *type;
        rr.number("factor", c.ropeScaling.factor, true);
        rr.integer("original_max_position_embeddings",
                   c.ropeScaling.originalMaxPositionEmbeddings, true);
        rr.number("beta_fast", c.ropeScaling.betaFast, false);
        rr.number("beta_slow", c.ropeScaling.betaSlow, false);
        if (!rr.ok())
          return false;
        if (c.ropeScaling.type != "yarn")
          r.fail("rope_scaling", "has type \"" + c.ropeScaling.type +
                                     "\": only \"yarn\" is supported");
      }
    }
  }
  r.integer("index_n_heads", c.indexNHeads, false);
  r.integer("index_head_dim", c.indexHeadDim, false);
  r.integer("index_topk", c.indexTopk, false);
  r.integer("hc_mult", c.hcMult, false);
  r.integer("hc_sinkhorn_iters", c.hcSinkhornIters, false);
  r.number("hc_eps", c.hcEps, false);
  r.number("swiglu_limit", c.swigluLimit, false);
  r.integer("num_nextn_predict_layers", c.nMtpLayers, false);
  r.number("rms_norm_eps", c.normEps, false);
  r.integer("vocab_size", c.vocabSize, true);
  r.integer("max_position_embeddings", c.maxPositionEmbeddings, false);

  // Weight formats.
  c.linearFormat = WeightFormat::BF16;
  if (r.ok()) {
    if (const JsonValue *q = r.get("quantization_config", false)) {
      if (!q->isObject()) {
        r.fail("quantization_config",
               std::string("must be an object, is ") + q->kindName());
      } else {
        FieldReader qr(*q, source, error, "quantization_config.");
        const std::string *method = qr.string("quant_method", true);
        if (method && *method != "fp8")
          qr.fail("quant_method", "is \"" + *method +
                                      "\": only \"fp8\" is supported");
        const std::string *fmt = qr.string("fmt", false);
        if (fmt && *fmt != "e4m3")
          qr.fail("fmt", "is \"" + *fmt + "\": only \"e4m3\" is supported");
        const std::string *scale = qr.string("scale_fmt", false);
        if (scale && *scale != "ue8m0")
          qr.fail("scale_fmt",
                  "is \"" + *scale + "\": only \"ue8m0\" is supported");
        if (const JsonValue *bs = qr.get("weight_block_size", false)) {
          const JsonValue::Array *a = bs->asArray();
          if (!a || a->size() != 2 || (*a)[0].asInteger() != 128 ||
              (*a)[1].asInteger() != 128)
            qr.fail("weight_block_size",
                    "is " + writeJson(*bs) + ": only [128, 128] is supported");
        }
        if (!qr.ok())
          return false;
        c.linearFormat = WeightFormat::FP8;
      }
    }
  }
  if (r.ok()) {
    const JsonValue *ed = json.find("expert_dtype");
    if (!ed) {
      c.expertFormat = c.linearFormat == WeightFormat::FP8 ? WeightFormat::FP4
                                                           : c.linearFormat;
    } else if (ed->isNull()) {
      c.expertFormat = c.linearFormat;
    } else if (const std::string *s = ed->asString()) {
      if (*s == "fp4")
        c.expertFormat = WeightFormat::FP4;
      else if (*s == "fp8")
        c.expertFormat = WeightFormat::FP8;
      else if (*s == "bf16")
        c.expertFormat = WeightFormat::BF16;
      else
        r.fail("expert_dtype",
               "must be \"fp4\", \"fp8\", \"bf16\" or null, is \"" + *s +
                   "\"");
    } else {
      r.fail("expert_dtype",
             std::string("must be a string or null, is ") + ed->kindName());
    }
  }
  if (!r.ok())
    return false;
  if (const JsonValue *e = json.find("engram"); e && !e->isNull()) {
    EngramConfig engram;
    if (!parseEngramConfig(*e, engram, error, source))
      return false;
    c.engram = std::move(engram);
  }
  if (!validateV4Config(c, error, source))
    return false;
  out = std::move(c);
  return true;
}

bool parseV4Config(const std::string &path, V4Config &config,
                   std::string &error) {
  std::optional<JsonValue> json = parseJsonFile(path, error);
  if (!json)
    return false;
  return parseV4ConfigJson(*json, config, error, path);
}

bool validateV4Config(const V4Config &c, std::string &error,
                      const std::string &source) {
  auto fail = [&](const std::string &field, const std::string &what) {
    error = source + ": field '" + field + "' " + what;
    return false;
  };
  auto atLeast = [&](const char *field, int64_t value, int64_t min) {
    if (value >= min)
      return true;
    return fail(field, "must be >= " + std::to_string(min) + ", is " +
                           std::to_string(value));
  };
  auto positive = [&](const char *field, double value) {
    if (value > 0 && std::isfinite(value))
      return true;
    return fail(field, "must be > 0, is " + numberString(value));
  };
  if (!atLeast("hidden_size", c.dim, 1) ||
      !atLeast("num_hidden_layers", c.numLayers, 1) ||
      !atLeast("num_attention_heads", c.numHeads, 1) ||
      !atLeast("head_dim", c.headDim, 1) ||
      !atLeast("qk_rope_head_dim", c.ropeHeadDim, 2) ||
      !atLeast("q_lora_rank", c.qLoraRank, 1) ||
      !atLeast("o_groups", c.oGroups, 1) ||
      !atLeast("o_lora_rank", c.oLoraRank, 1) ||
      !atLeast("moe_intermediate_size", c.moeInterDim, 1) ||
      !atLeast("n_routed_experts", c.nRoutedExperts, 1) ||
      !atLeast("num_experts_per_tok", c.nActivatedExperts, 1) ||
      !atLeast("num_hash_layers", c.nHashLayers, 0) ||
      !atLeast("sliding_window", c.windowSize, 1) ||
      !atLeast("hc_mult", c.hcMult, 1) ||
      !atLeast("hc_sinkhorn_iters", c.hcSinkhornIters, 1) ||
      !atLeast("num_nextn_predict_layers", c.nMtpLayers, 0) ||
      !atLeast("vocab_size", c.vocabSize, 1) ||
      !atLeast("max_position_embeddings", c.maxPositionEmbeddings, 0))
    return false;
  if (c.numKvHeads != 1)
    return fail("num_key_value_heads",
                "must be 1 (V4 has one shared KV head), is " +
                    std::to_string(c.numKvHeads));
  if (c.ropeHeadDim % 2 != 0)
    return fail("qk_rope_head_dim", "must be even (RoPE rotates pairs), is " +
                                        std::to_string(c.ropeHeadDim));
  if (c.headDim <= c.ropeHeadDim)
    return fail("head_dim", "(" + std::to_string(c.headDim) +
                                ") must exceed qk_rope_head_dim (" +
                                std::to_string(c.ropeHeadDim) + ")");
  if (c.numHeads % c.oGroups != 0)
    return fail("o_groups", "(" + std::to_string(c.oGroups) +
                                ") must divide num_attention_heads (" +
                                std::to_string(c.numHeads) + ")");
  if (c.nSharedExperts != 1)
    return fail("n_shared_experts",
                "must be 1 (the reference has exactly one shared expert), "
                "is " + std::to_string(c.nSharedExperts));
  if (c.nActivatedExperts > c.nRoutedExperts)
    return fail("num_experts_per_tok",
                "(" + std::to_string(c.nActivatedExperts) +
                    ") must not exceed n_routed_experts (" +
                    std::to_string(c.nRoutedExperts) + ")");
  if (c.nHashLayers > c.numLayers)
    return fail("num_hash_layers", "(" + std::to_string(c.nHashLayers) +
                                       ") must not exceed num_hidden_layers (" +
                                       std::to_string(c.numLayers) + ")");
  int64_t blocks = c.numLayers + c.nMtpLayers;
  if (static_cast<int64_t>(c.compressRatios.size()) != blocks)
    return fail("compress_ratios",
                "must have num_hidden_layers + num_nextn_predict_layers = " +
                    std::to_string(blocks) + " entries, has " +
                    std::to_string(c.compressRatios.size()));
  int64_t firstCsa = -1;
  for (size_t i = 0; i < c.compressRatios.size(); ++i) {
    int64_t r = c.compressRatios[i];
    // Published V4 uses 0, 4 and 128. Any other multiple of 4 is a plain
    // (non-overlapping) compressor like 128's, which lets small test models
    // reach compressed entries with short prompts.
    if (r != 0 && (r < 4 || r % 4 != 0))
      return fail("compress_ratios",
                  "entry " + std::to_string(i) + " is " + std::to_string(r) +
                      ": must be 0 (sliding window only), 4 (CSA) or a "
                      "larger multiple of 4 (HCA; V4 uses 128)");
    if (r == 4 && firstCsa < 0)
      firstCsa = static_cast<int64_t>(i);
  }
  if (firstCsa >= 0) {
    std::string why = " (entry " + std::to_string(firstCsa) +
                      " of compress_ratios is 4: that layer has an indexer)";
    if (c.indexNHeads < 1)
      return fail("index_n_heads",
                  "must be >= 1, is " + std::to_string(c.indexNHeads) + why);
    if (c.indexTopk < 1)
      return fail("index_topk",
                  "must be >= 1, is " + std::to_string(c.indexTopk) + why);
    if (c.indexHeadDim <= c.ropeHeadDim)
      return fail("index_head_dim", "(" + std::to_string(c.indexHeadDim) +
                                        ") must exceed qk_rope_head_dim (" +
                                        std::to_string(c.ropeHeadDim) + ")" +
                                        why);
  }
  if (!positive("rms_norm_eps", c.normEps) || !positive("hc_eps", c.hcEps) ||
      !positive("rope_theta", c.ropeTheta) ||
      !positive("compress_rope_theta", c.compressRopeTheta) ||
      !positive("routed_scaling_factor", c.routeScale))
    return false;
  if (!(c.swigluLimit >= 0) || !std::isfinite(c.swigluLimit))
    return fail("swiglu_limit",
                "must be >= 0 (0: no clamp), is " + numberString(c.swigluLimit));
  if (c.ropeScaling.enabled) {
    if (c.ropeScaling.type != "yarn")
      return fail("rope_scaling",
                  "has type \"" + c.ropeScaling.type +
                      "\": only \"yarn\" is supported");
    if (!(c.ropeScaling.factor > 0) || !std::isfinite(c.ropeScaling.factor))
      return fail("rope_scaling", "factor must be > 0, is " +
                                      numberString(c.ropeScaling.factor));
    if (c.ropeScaling.originalMaxPositionEmbeddings < 1)
      return fail("rope_scaling",
                  "original_max_position_embeddings must be >= 1, is " +
                      std::to_string(
                          c.ropeScaling.originalMaxPositionEmbeddings));
    if (!(c.ropeScaling.betaFast > 0) || !(c.ropeScaling.betaSlow > 0))
      return fail("rope_scaling", "beta_fast and beta_slow must be > 0");
  }
  if (c.expertFormat == WeightFormat::FP4) {
    if (c.dim % V4Config::kFp4BlockSize != 0)
      return fail("hidden_size", "(" + std::to_string(c.dim) +
                                     ") must be a multiple of 32 for fp4 "
                                     "experts (one scale per 32 inputs)");
    if (c.moeInterDim % V4Config::kFp4BlockSize != 0)
      return fail("moe_intermediate_size",
                  "(" + std::to_string(c.moeInterDim) +
                      ") must be a multiple of 32 for fp4 experts (one "
                      "scale per 32 inputs)");
  }
  if (c.linearFormat == WeightFormat::FP4)
    return fail("quantization_config", "cannot make non-expert linears fp4");
  if (c.engram &&
      !validateEngramConfig(*c.engram, c.numLayers, c.vocabSize, error, source))
    return false;
  return true;
}

JsonValue v4ConfigToJson(const V4Config &c) {
  using J = JsonValue;
  J j = J::object();
  j.set("architectures", J::array({J::string("DeepseekV4ForCausalLM")}));
  j.set("model_type", J::string("deepseek_v4"));
  j.set("torch_dtype", J::string("bfloat16"));
  j.set("vocab_size", J::integer(c.vocabSize));
  j.set("hidden_size", J::integer(c.dim));
  j.set("num_hidden_layers", J::integer(c.numLayers));
  j.set("num_attention_heads", J::integer(c.numHeads));
  j.set("num_key_value_heads", J::integer(c.numKvHeads));
  j.set("head_dim", J::integer(c.headDim));
  j.set("qk_rope_head_dim", J::integer(c.ropeHeadDim));
  j.set("q_lora_rank", J::integer(c.qLoraRank));
  j.set("o_groups", J::integer(c.oGroups));
  j.set("o_lora_rank", J::integer(c.oLoraRank));
  j.set("moe_intermediate_size", J::integer(c.moeInterDim));
  j.set("n_routed_experts", J::integer(c.nRoutedExperts));
  j.set("n_shared_experts", J::integer(c.nSharedExperts));
  j.set("num_experts_per_tok", J::integer(c.nActivatedExperts));
  j.set("num_hash_layers", J::integer(c.nHashLayers));
  j.set("scoring_func", J::string(scoreFuncName(c.scoreFunc)));
  j.set("routed_scaling_factor", J::number(c.routeScale));
  j.set("norm_topk_prob", J::boolean(c.normTopkProb));
  j.set("sliding_window", J::integer(c.windowSize));
  J ratios = J::array();
  for (int64_t r : c.compressRatios)
    ratios.push(J::integer(r));
  j.set("compress_ratios", std::move(ratios));
  j.set("compress_rope_theta", J::number(c.compressRopeTheta));
  j.set("rope_theta", J::number(c.ropeTheta));
  if (c.ropeScaling.enabled) {
    J rs = J::object();
    rs.set("type", J::string(c.ropeScaling.type));
    rs.set("factor", J::number(c.ropeScaling.factor));
    rs.set("original_max_position_embeddings",
           J::integer(c.ropeScaling.originalMaxPositionEmbeddings));
    rs.set("beta_fast", J::number(c.ropeScaling.betaFast));
    rs.set("beta_slow", J::number(c.ropeScaling.betaSlow));
    j.set("rope_scaling", std::move(rs));
  }
  j.set("index_n_heads", J::integer(c.indexNHeads));
  j.set("index_head_dim", J::integer(c.indexHeadDim));
  j.set("index_topk", J::integer(c.indexTopk));
  j.set("hc_mult", J::integer(c.hcMult));
  j.set("hc_sinkhorn_iters", J::integer(c.hcSinkhornIters));
  j.set("hc_eps", J::number(c.hcEps));
  j.set("swiglu_limit", J::number(c.swigluLimit));
  j.set("num_nextn_predict_layers", J::integer(c.nMtpLayers));
  if (c.engram)
    j.set("engram", engramConfigToJson(*c.engram));
  j.set("rms_norm_eps", J::number(c.normEps));
  if (c.maxPositionEmbeddings > 0)
    j.set("max_position_embeddings", J::integer(c.maxPositionEmbeddings));
  if (c.linearFormat == WeightFormat::FP8) {
    J q = J::object();
    q.set("quant_method", J::string("fp8"));
    q.set("fmt", J::string("e4m3"));
    q.set("scale_fmt", J::string("ue8m0"));
    q.set("weight_block_size",
          J::array({J::integer(V4Config::kFp8BlockSize),
                    J::integer(V4Config::kFp8BlockSize)}));
    q.set("activation_scheme", J::string("dynamic"));
    j.set("quantization_config", std::move(q));
  }
  // expert_dtype: null means "as the linears".
  if (c.expertFormat == c.linearFormat)
    j.set("expert_dtype", J::null());
  else
    j.set("expert_dtype", J::string(weightFormatName(c.expertFormat)));
  return j;
}

V4Config v4FlashConfig() {
  V4Config c;
  c.dim = 4096;
  c.numLayers = 43;
  c.numHeads = 64;
  c.numKvHeads = 1;
  c.headDim = 512;
  c.ropeHeadDim = 64;
  c.qLoraRank = 1024;
  c.oGroups = 8;
  c.oLoraRank = 1024;
  c.moeInterDim = 2048;
  c.nRoutedExperts = 256;
  c.nSharedExperts = 1;
  c.nActivatedExperts = 6;
  c.nHashLayers = 3;
  c.scoreFunc = ScoreFunc::SqrtSoftplus;
  c.routeScale = 1.5;
  c.normTopkProb = true;
  c.windowSize = 128;
  c.compressRatios = {0, 0};
  for (int i = 0; i < 20; ++i) {
    c.compressRatios.push_back(4);
    c.compressRatios.push_back(128);
  }
  c.compressRatios.push_back(4);
  c.compressRatios.push_back(0); // MTP
  c.compressRopeTheta = 160000;
  c.ropeTheta = 10000;
  c.ropeScaling.enabled = true;
  c.ropeScaling.type = "yarn";
  c.ropeScaling.factor = 16;
  c.ropeScaling.originalMaxPositionEmbeddings = 65536;
  c.ropeScaling.betaFast = 32;
  c.ropeScaling.betaSlow = 1;
  c.indexNHeads = 64;
  c.indexHeadDim = 128;
  c.indexTopk = 512;
  c.hcMult = 4;
  c.hcSinkhornIters = 20;
  c.hcEps = 1e-6;
  c.swigluLimit = 10.0;
  c.nMtpLayers = 1;
  c.normEps = 1e-6;
  c.vocabSize = 129280;
  c.maxPositionEmbeddings = 1048576;
  c.linearFormat = WeightFormat::FP8;
  c.expertFormat = WeightFormat::FP4;
  return c;
}

V4Config v4ProConfig() {
  V4Config c = v4FlashConfig();
  c.dim = 7168;
  c.numLayers = 61;
  c.numHeads = 128;
  c.qLoraRank = 1536;
  c.oGroups = 16;
  c.oLoraRank = 1024;
  c.moeInterDim = 3072;
  c.nRoutedExperts = 384;
  c.routeScale = 2.5;
  c.compressRatios = {128, 128};
  for (int i = 0; i < 29; ++i) {
    c.compressRatios.push_back(4);
    c.compressRatios.push_back(128);
  }
  c.compressRatios.push_back(4);
  c.compressRatios.push_back(0); // MTP
  c.indexTopk = 1024;
  return c;
}

//===----------------------------------------------------------------------===//
// Checkpoint layout
//===----------------------------------------------------------------------===//

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

class LayoutBuilder {
public:
  explicit LayoutBuilder(const V4Config &c) : c_(c) {}

  std::vector<ExpectedTensor> build() {
    add("embed.weight", StDtype::BF16, {c_.vocabSize, c_.dim});
    for (int64_t l = 0; l < c_.numLayers; ++l)
      block("layers." + std::to_string(l) + ".", l);
    add("norm.weight", StDtype::BF16, {c_.dim});
    add("head.weight", StDtype::BF16, {c_.vocabSize, c_.dim});
    for (int64_t m = 0; m < c_.nMtpLayers; ++m) {
      std::string p = "mtp." + std::to_string(m) + ".";
      block(p, c_.numLayers + m);
      linear(p + "e_proj", c_.dim, c_.dim, c_.linearFormat);
      linear(p + "h_proj", c_.dim, c_.dim, c_.linearFormat);
      add(p + "enorm.weight", StDtype::BF16, {c_.dim});
      add(p + "hnorm.weight", StDtype::BF16, {c_.dim});
      add(p + "norm.weight", StDtype::BF16, {c_.dim});
      hcHead(p);
    }
    hcHead("");
    return std::move(out_);
  }

private:
  const V4Config &c_;
  std::vector<ExpectedTensor> out_;

  /// An Engram layer's weights (engram_demo_v1.py's Engram module, the
  /// key projections stacked over the hc streams).
  void engram(const std::string &p, int64_t layer) {
    const EngramConfig &e = *c_.engram;
    const int64_t hc = c_.hcMult, d = c_.dim, E = e.embedWidth();
    const auto primes = engramPrimes(e);
    int64_t rows = 0;
    for (int64_t prime : primes.at(layer))
      rows += prime;
    add(p + "embedding.weight", StDtype::BF16, {rows, e.headDim()});
    add(p + "key_proj.weight", StDtype::BF16, {hc * d, E});
    add(p + "key_proj.bias", StDtype::BF16, {hc, d});
    add(p + "value_proj.weight", StDtype::BF16, {d, E});
    add(p + "value_proj.bias", StDtype::BF16, {d});
    add(p + "norm1.weight", StDtype::BF16, {hc, d});
    add(p + "norm2.weight", StDtype::BF16, {hc, d});
    add(p + "conv.weight", StDtype::BF16, {hc * d, e.kernelSize});
    add(p + "conv_norm.weight", StDtype::BF16, {hc, d});
  }

  void add(std::string name, StDtype dtype, std::vector<int64_t> shape) {
    out_.push_back({std::move(name), dtype, std::move(shape)});
  }

  /// `prefix`.weight (+ `prefix`.scale) of a [out, in] linear.
  void linear(const std::string &prefix, int64_t outF, int64_t inF,
              WeightFormat format) {
    switch (format) {
    case WeightFormat::BF16:
      add(prefix + ".weight", StDtype::BF16, {outF, inF});
      return;
    case WeightFormat::FP8:
      add(prefix + ".weight", StDtype::F8_E4M3, {outF, inF});
      add(prefix + ".scale", StDtype::F8_E8M0,
          {ceilDiv(outF, V4Config::kFp8BlockSize),
           ceilDiv(inF, V4Config::kFp8BlockSize)});
      return;
    case WeightFormat::FP4:
      add(prefix + ".weight", StDtype::I8, {outF, inF / 2});
      add(prefix + ".scale", StDtype::F8_E8M0,
          {outF, inF / V4Config::kFp4BlockSize});
      return;
    }
  }

  /// Compressor: gated pooling of `ratio` tokens into one `headDim` entry;
  /// ratio 4 uses overlapping windows (two halves: width 2 * headDim).
  void compressor(const std::string &p, int64_t ratio, int64_t headDim) {
    int64_t width = (ratio == 4 ? 2 : 1) * headDim;
    add(p + "ape", StDtype::F32, {ratio, width});
    add(p + "wkv.weight", StDtype::BF16, {width, c_.dim});
    add(p + "wgate.weight", StDtype::BF16, {width, c_.dim});
    add(p + "norm.weight", StDtype::BF16, {headDim});
  }

  void block(const std::string &p, int64_t index) {
    const WeightFormat lf = c_.linearFormat;
    const int64_t ratio = c_.compressRatio(index);
    if (index < c_.numLayers && c_.engram && c_.engram->hasLayer(index))
      engram(p + "engram.", index);
    // Attention.
    add(p + "attn.attn_sink", StDtype::F32, {c_.numHeads});
    linear(p + "attn.wq_a", c_.qLoraRank, c_.dim, lf);
    add(p + "attn.q_norm.weight", StDtype::BF16, {c_.qLoraRank});
    linear(p + "attn.wq_b", c_.numHeads * c_.headDim, c_.qLoraRank, lf);
    linear(p + "attn.wkv", c_.headDim, c_.dim, lf);
    add(p + "attn.kv_norm.weight", StDtype::BF16, {c_.headDim});
    linear(p + "attn.wo_a", c_.oGroups * c_.oLoraRank,
           c_.numHeads * c_.headDim / c_.oGroups, lf);
    linear(p + "attn.wo_b", c_.dim, c_.oGroups * c_.oLoraRank, lf);
    if (ratio != 0)
      compressor(p + "attn.compressor.", ratio, c_.headDim);
    if (ratio == 4) {
      linear(p + "attn.indexer.wq_b", c_.indexNHeads * c_.indexHeadDim,
             c_.qLoraRank, lf);
      add(p + "attn.indexer.weights_proj.weight", StDtype::BF16,
          {c_.indexNHeads, c_.dim});
      compressor(p + "attn.indexer.compressor.", 4, c_.indexHeadDim);
    }
    // MoE.
    add(p + "ffn.gate.weight", StDtype::BF16, {c_.nRoutedExperts, c_.dim});
    if (c_.isHashLayer(index))
      add(p + "ffn.gate.tid2eid", StDtype::I64,
          {c_.vocabSize, c_.nActivatedExperts});
    else
      add(p + "ffn.gate.bias", StDtype::F32, {c_.nRoutedExperts});
    for (int64_t e = 0; e < c_.nRoutedExperts; ++e) {
      std::string ep = p + "ffn.experts." + std::to_string(e) + ".";
      linear(ep + "w1", c_.moeInterDim, c_.dim, c_.expertFormat);
      linear(ep + "w2", c_.dim, c_.moeInterDim, c_.expertFormat);
      linear(ep + "w3", c_.moeInterDim, c_.dim, c_.expertFormat);
    }
    linear(p + "ffn.shared_experts.w1", c_.moeInterDim, c_.dim, lf);
    linear(p + "ffn.shared_experts.w2", c_.dim, c_.moeInterDim, lf);
    linear(p + "ffn.shared_experts.w3", c_.moeInterDim, c_.dim, lf);
    // Norms and mHC.
    add(p + "attn_norm.weight", StDtype::BF16, {c_.dim});
    add(p + "ffn_norm.weight", StDtype::BF16, {c_.dim});
    const int64_t mix = (2 + c_.hcMult) * c_.hcMult;
    const int64_t hcDim = c_.hcMult * c_.dim;
    add(p + "hc_attn_fn", StDtype::F32, {mix, hcDim});
    add(p + "hc_ffn_fn", StDtype::F32, {mix, hcDim});
    add(p + "hc_attn_base", StDtype::F32, {mix});
    add(p + "hc_ffn_base", StDtype::F32, {mix});
    add(p + "hc_attn_scale", StDtype::F32, {3});
    add(p + "hc_ffn_scale", StDtype::F32, {3});
  }

  void hcHead(const std::string &p) {
    add(p + "hc_head_fn", StDtype::F32, {c_.hcMult, c_.hcMult * c_.dim});
    add(p + "hc_head_base", StDtype::F32, {c_.hcMult});
    add(p + "hc_head_scale", StDtype::F32, {1});
  }
};

std::string describe(StDtype dtype, const std::vector<int64_t> &shape) {
  return std::string(stDtypeName(dtype)) + " " + shapeToString(shape);
}

} // namespace

std::vector<ExpectedTensor> expectedTensors(const V4Config &config) {
  return LayoutBuilder(config).build();
}

bool validateCheckpoint(const V4Config &config, const Checkpoint &checkpoint,
                        std::string &error, bool allowExtra) {
  std::vector<ExpectedTensor> expected = expectedTensors(config);
  for (const ExpectedTensor &e : expected) {
    const TensorInfo *t = checkpoint.find(e.name);
    if (!t) {
      error = "tensor '" + e.name + "' (" + describe(e.dtype, e.shape) +
              ") is missing from the checkpoint";
      return false;
    }
    if (t->dtype != e.dtype || t->shape != e.shape) {
      error = "tensor '" + e.name + "': expected " +
              describe(e.dtype, e.shape) + ", found " + t->describe() +
              " (in " + t->file + ")";
      return false;
    }
  }
  if (!allowExtra && checkpoint.size() != expected.size()) {
    std::unordered_set<std::string_view> names;
    names.reserve(expected.size());
    for (const ExpectedTensor &e : expected)
      names.insert(e.name);
    for (const TensorInfo &t : checkpoint.tensors())
      if (!names.count(t.name)) {
        error = "unexpected tensor '" + t.name + "' (" + t.describe() +
                ", in " + t.file +
                "): not part of a V4 checkpoint of this config";
        return false;
      }
  }
  return true;
}

} // namespace dsv4c::v4
