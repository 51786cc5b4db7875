//===- ConformancePack.cpp - conformance cases to run elsewhere -----------===//
#include "targets/conformance/ConformancePack.h"

#include "runtime/Npy.h"
#include "runtime/TensorCompare.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace dsv4c;
using namespace dsv4c::conformance;

namespace {
JsonValue integers(const std::vector<int64_t> &values) {
  JsonValue a = JsonValue::array();
  for (int64_t v : values)
    a.push(JsonValue::integer(v));
  return a;
}

} // namespace

JsonValue conformance::packCaseJson(const PackCase &c) {
  JsonValue j = JsonValue::object();
  j.set("name", JsonValue::string(c.name));
  j.set("op", JsonValue::string(c.op));
  j.set("kernel", JsonValue::string(c.kernel));
  j.set("code", JsonValue::string(c.code));
  JsonValue grid = JsonValue::array();
  for (int64_t g : c.grid)
    grid.push(JsonValue::integer(g));
  j.set("grid", std::move(grid));
  j.set("tolerance", JsonValue::number(c.tolerance));
  JsonValue args = JsonValue::array();
  for (const PackArg &a : c.args) {
    JsonValue aj = JsonValue::object();
    aj.set("kind", JsonValue::string(a.kind));
    if (a.kind == "buffer") {
      if (a.type) {
        aj.set("type", JsonValue::string(elementTypeName(*a.type)));
        aj.set("shape", integers(a.shape));
        setFillJson(aj, a.fill);
      } else {
        if (!a.input.empty())
          aj.set("input", JsonValue::string(a.input));
        aj.set("want", JsonValue::string(a.want));
      }
    } else {
      aj.set("value", JsonValue::number(a.value));
    }
    args.push(std::move(aj));
  }
  j.set("args", std::move(args));
  return j;
}

namespace {
JsonValue libraryJson(const PackLibrary &l) {
  JsonValue kernels = JsonValue::array();
  for (const PackKernel &k : l.kernels) {
    JsonValue kj = JsonValue::object();
    kj.set("name", JsonValue::string(k.name));
    kj.set("argument_bytes", integers({k.argumentBytes.begin(),
                                       k.argumentBytes.end()}));
    kernels.push(std::move(kj));
  }
  JsonValue j = JsonValue::object();
  j.set("code", JsonValue::string(l.code));
  j.set("kernels", std::move(kernels));
  return j;
}

JsonValue modelJson(const PackModel &m) {
  JsonValue j = JsonValue::object();
  j.set("name", JsonValue::string(m.name));
  j.set("checkpoint", JsonValue::string(m.checkpoint));
  j.set("code", JsonValue::string(m.code));
  j.set("tokens", integers(m.tokens));
  j.set("new_tokens", JsonValue::integer(m.newTokens));
  j.set("want", JsonValue::string(m.want));
  j.set("tolerance", JsonValue::number(m.tolerance));
  return j;
}
} // namespace

const PackLibrary *Pack::findLibrary(const std::string &code) const {
  for (const PackLibrary &l : libraries)
    if (l.code == code)
      return &l;
  return nullptr;
}

bool conformance::writePack(const std::string &dir, const Pack &pack,
                            std::string &error) {
  JsonValue cases = JsonValue::array();
  for (const PackCase &c : pack.cases)
    cases.push(packCaseJson(c));
  JsonValue libraries = JsonValue::array();
  for (const PackLibrary &l : pack.libraries)
    libraries.push(libraryJson(l));
  JsonValue j = JsonValue::object();
  j.set("format", JsonValue::string("dsv4c-conformance-pack"));
  j.set("version", JsonValue::integer(2));
  j.set("target", JsonValue::string(pack.target));
  if (pack.bench)
    j.set("bench", JsonValue::boolean(true));
  j.set("cases", std::move(cases));
  j.set("libraries", std::move(libraries));
  if (pack.hasModel)
    j.set("model", modelJson(pack.model));
  std::string path = (fs::path(dir) / "pack.json").string();
  std::ofstream out(path, std::ios::binary);
  out << writeJson(j);
  if (!out) {
    error = path + ": cannot write";
    return false;
  }
  return true;
}

namespace {
std::string stringField(const JsonValue &o, const char *key) {
  const JsonValue *v = o.find(key);
  return v && v->asString() ? *v->asString() : std::string();
}

/// The integers of array field `key`; false when it is not one.
bool integerList(const JsonValue &o, const char *key,
                 std::vector<int64_t> &out) {
  const JsonValue *v = o.find(key);
  if (!v || !v->asArray())
    return false;
  for (const JsonValue &e : *v->asArray()) {
    std::optional<int64_t> i = e.asInteger();
    if (!i)
      return false;
    out.push_back(*i);
  }
  return true;
}

template <typename Fail>
bool readLibraries(const JsonValue &j, Pack &pack, Fail &fail) {
  const JsonValue *libraries = j.find("libraries");
  if (!libraries)
    return true; // version 1
  if (!libraries->asArray())
    return fail("field 'libraries' is not an array");
  for (const JsonValue &lj : *libraries->asArray()) {
    PackLibrary l;
    l.code = stringField(lj, "code");
    const JsonValue *kernels = lj.find("kernels");
    if (l.code.empty() || !kernels || !kernels->asArray())
      return fail("a library lacks 'code' or 'kernels'");
    for (const JsonValue &kj : *kernels->asArray()) {
      PackKernel k;
      k.name = stringField(kj, "name");
      std::vector<int64_t> bytes;
      if (k.name.empty() || !integerList(kj, "argument_bytes", bytes))
        return fail("library '" + l.code +
                    "': a kernel lacks 'name' or 'argument_bytes'");
      for (int64_t b : bytes) {
        if (b != 4 && b != 8)
          return fail("library '" + l.code + "', kernel '" + k.name +
                      "': an argument of " + std::to_string(b) +
                      " bytes (4 or 8)");
        k.argumentBytes.push_back(uint32_t(b));
      }
      l.kernels.push_back(std::move(k));
    }
    pack.libraries.push_back(std::move(l));
  }
  return true;
}

template <typename Fail>
bool readModel(const JsonValue &j, Pack &pack, Fail &fail) {
  const JsonValue *mj = j.find("model");
  if (!mj)
    return true;
  PackModel &m = pack.model;
  m.name = stringField(*mj, "name");
  m.checkpoint = stringField(*mj, "checkpoint");
  m.code = stringField(*mj, "code");
  m.want = stringField(*mj, "want");
  if (m.name.empty() || m.checkpoint.empty() || m.code.empty() ||
      m.want.empty())
    return fail("field 'model' lacks 'name', 'checkpoint', 'code' or 'want'");
  if (!pack.findLibrary(m.code))
    return fail("model: its code '" + m.code + "' is not under 'libraries'");
  const JsonValue *n = mj->find("new_tokens");
  const JsonValue *tol = mj->find("tolerance");
  if (!integerList(*mj, "tokens", m.tokens) || m.tokens.empty())
    return fail("model: field 'tokens' is not a non-empty integer array");
  if (!n || !n->asInteger() || *n->asInteger() < 1)
    return fail("model: field 'new_tokens' is not a positive integer");
  if (!tol || !tol->asDouble())
    return fail("model: field 'tolerance' missing");
  m.newTokens = *n->asInteger();
  m.tolerance = *tol->asDouble();
  pack.hasModel = true;
  return true;
}
} // namespace

bool conformance::readPack(const std::string &dir, Pack &pack,
                           std::string &error) {
  std::string path = (fs::path(dir) / "pack.json").string();
  std::optional<JsonValue> j = parseJsonFile(path, error);
  if (!j)
    return false;
  auto fail = [&](const std::string &what) {
    error = path + ": " + what;
    return false;
  };
  auto str = stringField;
  if (str(*j, "format") != "dsv4c-conformance-pack")
    return fail("field 'format' is not \"dsv4c-conformance-pack\"");
  pack.target = str(*j, "target");
  if (const JsonValue *b = j->find("bench"))
    pack.bench = b->asBool().value_or(false);
  const JsonValue *cases = j->find("cases");
  if (!cases || !cases->asArray())
    return fail("field 'cases' missing");
  for (const JsonValue &cj : *cases->asArray()) {
    PackCase c;
    c.name = str(cj, "name");
    c.op = str(cj, "op");
    c.kernel = str(cj, "kernel");
    c.code = str(cj, "code");
    if (c.name.empty() || c.kernel.empty() || c.code.empty())
      return fail("a case lacks 'name', 'kernel' or 'code'");
    const JsonValue *grid = cj.find("grid");
    if (!grid || !grid->asArray() || grid->asArray()->size() != 3)
      return fail("case '" + c.name + "': field 'grid' is not 3 integers");
    for (size_t d = 0; d < 3; ++d) {
      std::optional<int64_t> g = (*grid->asArray())[d].asInteger();
      if (!g || *g < 0)
        return fail("case '" + c.name + "': field 'grid' is not 3 integers");
      c.grid[d] = *g;
    }
    const JsonValue *tol = cj.find("tolerance");
    if (!tol || !tol->asDouble())
      return fail("case '" + c.name + "': field 'tolerance' missing");
    c.tolerance = *tol->asDouble();
    const JsonValue *args = cj.find("args");
    if (!args || !args->asArray())
      return fail("case '" + c.name + "': field 'args' missing");
    for (const JsonValue &aj : *args->asArray()) {
      PackArg a;
      a.kind = str(aj, "kind");
      if (a.kind == "buffer" && pack.bench) {
        a.type = parseElementType(str(aj, "type"));
        if (!a.type || !integerList(aj, "shape", a.shape))
          return fail("case '" + c.name +
                      "': a bench buffer lacks 'type' or 'shape'");
        for (int64_t d : a.shape)
          if (d < 0 || d > (int64_t(1) << 40))
            return fail("case '" + c.name + "': a bench buffer's 'shape' " +
                        "has dimension " + std::to_string(d));
        std::string fillError;
        if (!parseFillJson(aj, a.fill, fillError))
          return fail("case '" + c.name + "': a bench buffer's " + fillError);
      } else if (a.kind == "buffer") {
        a.input = str(aj, "input");
        a.want = str(aj, "want");
        if (a.want.empty())
          return fail("case '" + c.name + "': a buffer lacks 'want'");
      } else if (a.kind == "index" || a.kind == "i32" || a.kind == "f32") {
        const JsonValue *v = aj.find("value");
        if (!v || !v->asDouble())
          return fail("case '" + c.name + "': a scalar lacks 'value'");
        a.value = *v->asDouble();
      } else {
        return fail("case '" + c.name + "': argument kind '" + a.kind +
                    "' is not buffer, index, i32 or f32");
      }
      c.args.push_back(std::move(a));
    }
    pack.cases.push_back(std::move(c));
  }
  return readLibraries(*j, pack, fail) && readModel(*j, pack, fail);
}

CaseResult conformance::runPackCase(const std::string &dir, const PackCase &c,
                                    Device &device, KernelRunner &runner) {
  CaseResult r;
  std::string error;
  struct Buffer {
    HostTensor want;
    void *ptr = nullptr;
  };
  std::vector<Buffer> buffers;
  std::vector<uint64_t> slots(c.args.size());
  std::vector<void *> argv(c.args.size());
  auto cleanup = [&] {
    for (Buffer &b : buffers)
      device.release(b.ptr);
  };
  for (size_t i = 0; i < c.args.size(); ++i) {
    const PackArg &a = c.args[i];
    argv[i] = &slots[i];
    if (a.kind == "index") {
      int64_t v = int64_t(a.value);
      std::memcpy(&slots[i], &v, 8);
    } else if (a.kind == "i32") {
      int32_t v = int32_t(a.value);
      std::memcpy(&slots[i], &v, 4);
    } else if (a.kind == "f32") {
      float v = float(a.value);
      std::memcpy(&slots[i], &v, 4);
    } else {
      HostTensor input;
      Buffer b;
      if (!readNpy((fs::path(dir) / a.want).string(), b.want, error) ||
          (!a.input.empty() &&
           !readNpy((fs::path(dir) / a.input).string(), input, error))) {
        r.message = error;
        cleanup();
        return r;
      }
      if (a.input.empty())
        input = HostTensor(b.want.type, b.want.shape); // zeros
      if (input.storage.size() != b.want.storage.size()) {
        r.message = a.input + " is " + input.describe() + " but " + a.want +
                    " is " + b.want.describe();
        cleanup();
        return r;
      }
      b.ptr = device.allocate(input.storage.size(), error);
      if (!b.ptr ||
          !device.upload(b.ptr, input.data(), input.storage.size(), error)) {
        r.message = error;
        cleanup();
        return r;
      }
      slots[i] = uint64_t(uintptr_t(b.ptr));
      buffers.push_back(std::move(b));
    }
  }
  auto start = std::chrono::steady_clock::now();
  bool ok =
      runner.launch(argv.data(), c.grid, error) && device.synchronize(error);
  r.millis = std::chrono::duration<double, std::milli>(
                 std::chrono::steady_clock::now() - start)
                 .count();
  if (!ok) {
    r.message = "launch: " + error;
    cleanup();
    return r;
  }
  for (size_t k = 0; k < buffers.size(); ++k) {
    HostTensor got(buffers[k].want.type, buffers[k].want.shape);
    if (!device.download(got.data(), buffers[k].ptr, got.storage.size(),
                         error)) {
      r.message = error;
      cleanup();
      return r;
    }
    TensorDifference d = compareTensors(buffers[k].want, got);
    if (d.maxError > r.maxError) {
      r.maxError = d.maxError;
      r.message = "buffer #" + std::to_string(k) + " element " +
                  std::to_string(d.worst) + ": target " +
                  std::to_string(d.got) + ", reference " +
                  std::to_string(d.want);
    }
  }
  cleanup();
  r.passed = r.maxError <= c.tolerance;
  if (r.passed)
    r.message.clear();
  return r;
}

bool conformance::compareLogits(const std::vector<std::vector<float>> &want,
                                const std::vector<std::vector<float>> &got,
                                double &worstRelL2, size_t &argmaxAgree,
                                std::string &error) {
  worstRelL2 = 0;
  argmaxAgree = 0;
  if (want.size() != got.size()) {
    error = std::to_string(got.size()) + " steps of logits, the reference has " +
            std::to_string(want.size());
    return false;
  }
  for (size_t s = 0; s < want.size(); ++s) {
    if (want[s].size() != got[s].size() || want[s].empty()) {
      error = "step " + std::to_string(s) + ": " +
              std::to_string(got[s].size()) + " logits, the reference has " +
              std::to_string(want[s].size());
      return false;
    }
    double diff = 0, norm = 0;
    size_t wantMax = 0, gotMax = 0;
    for (size_t i = 0; i < want[s].size(); ++i) {
      double d = double(got[s][i]) - double(want[s][i]);
      diff += d * d;
      norm += double(want[s][i]) * double(want[s][i]);
      wantMax = want[s][i] > want[s][wantMax] ? i : wantMax;
      gotMax = got[s][i] > got[s][gotMax] ? i : gotMax;
    }
    double rel = std::sqrt(diff) / std::max(std::sqrt(norm), 1e-30);
    if (std::isnan(rel)) // NaN logits fail (std::max would drop a NaN)
      rel = std::numeric_limits<double>::infinity();
    worstRelL2 = std::max(worstRelL2, rel);
    argmaxAgree += wantMax == gotMax;
  }
  return true;
}

void conformance::printResultHeader(std::FILE *out) {
  std::fprintf(out, "%-28s %-40s %-10s %10s %9s %6s %9s\n", "op", "case",
               "grid", "max error", "tolerance", "result", "ms");
}

void conformance::printResultRow(std::FILE *out, const std::string &op,
                                 const std::string &name, const Grid &grid,
                                 double tolerance, const CaseResult &r) {
  char g[48];
  std::snprintf(g, sizeof g, "%lldx%lldx%lld", (long long)grid[0],
                (long long)grid[1], (long long)grid[2]);
  std::fprintf(out, "%-28s %-40s %-10s %10.3g %9.0e %6s %9.3f\n", op.c_str(),
               name.c_str(), g, r.maxError, tolerance,
               r.passed ? "PASS" : "FAIL", r.millis);
  if (!r.passed && !r.message.empty())
    std::fprintf(out, "    %s\n", r.message.c_str());
}
