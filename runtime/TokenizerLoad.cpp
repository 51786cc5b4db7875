//===- TokenizerLoad.cpp - read a HF tokenizer.json into a Tokenizer -----===//
#include "runtime/Tokenizer.h"

#include "runtime/TokenizerJson.h"
#include "runtime/Utf8.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace dsv4c {
namespace {
using tokjson::Value;

bool readFile(const std::string &path, std::string &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = path + ": read error";
    return false;
  }
  return true;
}

std::string directoryOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

bool getBool(const Value &obj, const char *key, bool dflt,
             const std::string &where, bool &out, std::string &error) {
  const Value *v = obj.find(key);
  if (!v || v->isNull()) {
    out = dflt;
    return true;
  }
  if (!v->isBool()) {
    error = where + "." + key + ": expected a boolean, found " + v->kindName();
    return false;
  }
  out = v->boolean;
  return true;
}

bool getId(const Value &v, const std::string &where, int32_t &out,
           std::string &error) {
  int64_t x;
  if (!v.asInt(x) || x < 0 || x > INT32_MAX) {
    error = where + ": expected a non-negative integer id, found " +
            (v.isNumber() ? v.text : std::string(v.kindName()));
    return false;
  }
  out = int32_t(x);
  return true;
}

/// Present and not null.
const Value *member(const Value &obj, const char *key) {
  const Value *v = obj.find(key);
  return v && !v->isNull() ? v : nullptr;
}
} // namespace

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string &path,
                                           std::string &error) {
  std::string text;
  if (!readFile(path, text, error))
    return nullptr;
  return loadFromString(text, path, error);
}

std::unique_ptr<Tokenizer>
Tokenizer::loadFromString(std::string_view json, const std::string &name,
                          std::string &error, const std::string *configText) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  std::string why;
  if (!t->configure(name, json, why)) {
    error = name + ": " + why;
    return nullptr;
  }
  if (configText) // the given tokenizer_config.json decides BOS/EOS
    t->findSpecialIds(name, configText);
  return t;
}

bool Tokenizer::configure(const std::string &name, std::string_view json,
                          std::string &error) {
  Value root;
  std::string parseError;
  if (!tokjson::parse(json, root, parseError)) {
    error = "invalid JSON: " + parseError;
    return false;
  }
  if (!root.isObject()) {
    error = "expected a JSON object at the top level";
    return false;
  }

  // GPT-2's byte-to-unicode table: printable Latin-1 bytes stand for
  // themselves, the other 68 take U+0100.. in byte order.
  std::fill(std::begin(charToByte), std::end(charToByte), int16_t(-1));
  uint32_t nextExtra = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    uint32_t cp = printable ? b : nextExtra++;
    byteToChar[b].clear();
    utf8::append(byteToChar[b], cp);
    charToByte[cp] = int16_t(b);
  }

  if (const Value *norm = member(root, "normalizer")) {
    const Value *type = norm->find("type");
    const Value *list = norm->find("normalizers");
    bool emptySequence = type && type->isString() && type->text == "Sequence" &&
                         list && list->isArray() && list->items.empty();
    if (!emptySequence) {
      error = "normalizer: only null or an empty Sequence is supported";
      return false;
    }
  }

  const Value *model = root.find("model");
  if (!model || !model->isObject()) {
    error = "model: expected an object, found " +
            std::string(model ? model->kindName() : "nothing");
    return false;
  }
  if (!readModel(*model, error))
    return false;

  if (const Value *added = member(root, "added_tokens")) {
    if (!readAddedTokens(*added, error))
      return false;
  }

  const Value *pt = root.find("pre_tokenizer");
  if (!pt) {
    error = "pre_tokenizer: missing";
    return false;
  }
  if (!pre.configure(*pt, error))
    return false;

  const Value *dec = member(root, "decoder");
  const Value *decType = dec ? dec->find("type") : nullptr;
  if (!decType || !decType->isString() || decType->text != "ByteLevel") {
    error = "decoder: expected {\"type\": \"ByteLevel\", ...}";
    return false;
  }

  findSpecialIds(name, nullptr);
  return true;
}

bool Tokenizer::readModel(const Value &model, std::string &error) {
  const Value *type = model.find("type");
  if (type && !(type->isString() && type->text == "BPE")) {
    error = "model.type: only \"BPE\" is supported";
    return false;
  }
  if (const Value *d = member(model, "dropout")) {
    int64_t zero;
    if (!(d->asInt(zero) && zero == 0)) {
      error = "model.dropout: BPE dropout is not supported";
      return false;
    }
  }
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (const Value *v = member(model, key); v && !(v->isString() && v->text.empty())) {
      error = std::string("model.") + key + ": not supported";
      return false;
    }
  }
  bool byteFallback;
  if (!getBool(model, "byte_fallback", false, "model", byteFallback, error) ||
      !getBool(model, "ignore_merges", false, "model", ignoreMerges, error) ||
      !getBool(model, "fuse_unk", false, "model", fuseUnk, error))
    return false;
  if (byteFallback) {
    error = "model.byte_fallback: true is not supported (byte-level BPE "
            "needs none)";
    return false;
  }

  const Value *v = model.find("vocab");
  if (!v || !v->isObject()) {
    error = "model.vocab: expected an object, found " +
            std::string(v ? v->kindName() : "nothing");
    return false;
  }
  vocab.reserve(v->keys.size());
  for (size_t k = 0; k < v->keys.size(); ++k) {
    const std::string &tok = v->keys[k];
    const Value &idv = v->items[k];
    int32_t id;
    if (!getId(idv, "model.vocab[\"" + tok + "\"]", id, error))
      return false;
    vocab[tok] = id;
    if (size_t(id) >= idToToken.size())
      idToToken.resize(size_t(id) + 1);
    idToToken[id].text = tok;
    idToToken[id].present = true;
  }

  if (const Value *u = member(model, "unk_token")) {
    auto it = u->isString() ? vocab.find(u->text) : vocab.end();
    if (it == vocab.end()) {
      error = "model.unk_token: expected a token of model.vocab";
      return false;
    }
    unk = it->second;
  }

  const Value *m = model.find("merges");
  if (!m || !m->isArray()) {
    error = "model.merges: expected an array, found " +
            std::string(m ? m->kindName() : "nothing");
    return false;
  }
  merges.reserve(m->items.size());
  for (size_t i = 0; i < m->items.size(); ++i) {
    const Value &e = m->items[i];
    std::string where = "model.merges[" + std::to_string(i) + "]";
    std::string a, b;
    if (e.isString()) {
      size_t sp = e.text.find(' ');
      if (sp == std::string::npos || e.text.find(' ', sp + 1) != std::string::npos) {
        error = where + ": expected \"left right\" with one space, found \"" +
                e.text + "\"";
        return false;
      }
      a = e.text.substr(0, sp);
      b = e.text.substr(sp + 1);
    } else if (e.isArray() && e.items.size() == 2 && e.items[0].isString() &&
               e.items[1].isString()) {
      a = e.items[0].text;
      b = e.items[1].text;
    } else {
      error = where + ": expected \"left right\" or [\"left\", \"right\"]";
      return false;
    }
    auto ia = vocab.find(a), ib = vocab.find(b), iab = vocab.find(a + b);
    const std::string &missing = ia == vocab.end()   ? a
                                 : ib == vocab.end() ? b
                                                     : a + b;
    if (ia == vocab.end() || ib == vocab.end() || iab == vocab.end()) {
      error = where + ": token \"" + missing + "\" is not in model.vocab";
      return false;
    }
    uint64_t key = (uint64_t(uint32_t(ia->second)) << 32) | uint32_t(ib->second);
    merges.insert_or_assign(key, std::make_pair(uint32_t(i), iab->second));
  }
  return true;
}

bool Tokenizer::readAddedTokens(const Value &list, std::string &error) {
  if (!list.isArray()) {
    error = std::string("added_tokens: expected an array, found ") +
            list.kindName();
    return false;
  }
  for (size_t i = 0; i < list.items.size(); ++i) {
    const Value &t = list.items[i];
    std::string where = "added_tokens[" + std::to_string(i) + "]";
    if (!t.isObject()) {
      error = where + ": expected an object";
      return false;
    }
    AddedToken a;
    const Value *content = t.find("content");
    const Value *idv = t.find("id");
    if (!content || !content->isString() || content->text.empty()) {
      error = where + ".content: expected a non-empty string";
      return false;
    }
    if (!idv) {
      error = where + ".id: missing";
      return false;
    }
    if (!getId(*idv, where + ".id", a.id, error))
      return false;
    a.content = content->text;
    bool singleWord;
    if (!getBool(t, "special", false, where, a.special, error) ||
        !getBool(t, "normalized", !a.special, where, a.normalized, error) ||
        !getBool(t, "lstrip", false, where, a.lstrip, error) ||
        !getBool(t, "rstrip", false, where, a.rstrip, error) ||
        !getBool(t, "single_word", false, where, singleWord, error))
      return false;
    if (singleWord) {
      error = where + ".single_word: true is not supported";
      return false;
    }
    if (auto it = vocab.find(a.content); it != vocab.end() && it->second != a.id) {
      error = where + ".id: " + std::to_string(a.id) + " but model.vocab has \"" +
              a.content + "\" as " + std::to_string(it->second);
      return false;
    }
    if (size_t(a.id) >= idToToken.size())
      idToToken.resize(size_t(a.id) + 1);
    Entry &e = idToToken[a.id];
    if (e.added) {
      error = where + ".id: " + std::to_string(a.id) + " is used twice";
      return false;
    }
    if (e.present && e.text != a.content) {
      error = where + ".id: " + std::to_string(a.id) + " is \"" + e.text +
              "\" in model.vocab";
      return false;
    }
    e.text = a.content;
    e.present = e.added = true;
    e.special = a.special;
    (a.normalized ? normalizedTrie : rawTrie)
        .insert(a.content, int32_t(addedTokens.size()));
    addedTokens.push_back(std::move(a));
  }
  return true;
}

void Tokenizer::findSpecialIds(const std::string &name,
                               const std::string *configText) {
  auto configToken = [](const Value &cfg, const char *key) -> std::string {
    const Value *v = cfg.find(key);
    if (v && v->isString())
      return v->text;
    if (v && v->isObject())
      if (const Value *c = v->find("content"); c && c->isString())
        return c->text;
    return {};
  };
  std::string cfgText, ignored;
  Value cfg;
  bool haveConfig =
      configText ? (cfgText = *configText, true)
                 : readFile(directoryOf(name) + "/tokenizer_config.json",
                            cfgText, ignored);
  if (haveConfig && tokjson::parse(cfgText, cfg, ignored) && cfg.isObject()) {
    bos = tokenId(configToken(cfg, "bos_token"));
    eos = tokenId(configToken(cfg, "eos_token"));
  }
  auto firstKnown = [&](std::initializer_list<const char *> names) {
    for (const char *n : names)
      if (int32_t id = tokenId(n); id >= 0)
        return id;
    return int32_t(-1);
  };
  if (bos < 0)
    bos = firstKnown({"<｜begin▁of▁sentence｜>", "<|begin_of_text|>", "<s>",
                      "<bos>", "<|startoftext|>"});
  if (eos < 0)
    eos = firstKnown({"<｜end▁of▁sentence｜>", "<|end_of_text|>", "</s>",
                      "<eos>", "<|endoftext|>"});
}

} // namespace dsv4c
