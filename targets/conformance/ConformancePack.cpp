//===- ConformancePack.cpp - conformance cases to run elsewhere -----------===//
#include "targets/conformance/ConformancePack.h"

#include "runtime/Npy.h"
#include "runtime/TensorCompare.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace dsv4c;
using namespace dsv4c::conformance;

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
      aj.set("input", JsonValue::string(a.input));
      aj.set("want", JsonValue::string(a.want));
    } else {
      aj.set("value", JsonValue::number(a.value));
    }
    args.push(std::move(aj));
  }
  j.set("args", std::move(args));
  return j;
}

bool conformance::writePack(const std::string &dir, const Pack &pack,
                            std::string &error) {
  JsonValue cases = JsonValue::array();
  for (const PackCase &c : pack.cases)
    cases.push(packCaseJson(c));
  JsonValue j = JsonValue::object();
  j.set("format", JsonValue::string("dsv4c-conformance-pack"));
  j.set("version", JsonValue::integer(1));
  j.set("target", JsonValue::string(pack.target));
  j.set("cases", std::move(cases));
  std::string path = (fs::path(dir) / "pack.json").string();
  std::ofstream out(path, std::ios::binary);
  out << writeJson(j);
  if (!out) {
    error = path + ": cannot write";
    return false;
  }
  return true;
}

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
  auto str = [](const JsonValue &o, const char *key) {
    const JsonValue *v = o.find(key);
    return v && v->asString() ? *v->asString() : std::string();
  };
  if (str(*j, "format") != "dsv4c-conformance-pack")
    return fail("field 'format' is not \"dsv4c-conformance-pack\"");
  pack.target = str(*j, "target");
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
      if (a.kind == "buffer") {
        a.input = str(aj, "input");
        a.want = str(aj, "want");
        if (a.input.empty() || a.want.empty())
          return fail("case '" + c.name + "': a buffer lacks 'input'/'want'");
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
  return true;
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
      if (!readNpy((fs::path(dir) / a.input).string(), input, error) ||
          !readNpy((fs::path(dir) / a.want).string(), b.want, error)) {
        r.message = error;
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

void conformance::printResultHeader(std::FILE *out) {
  std::fprintf(out, "%-28s %-36s %-10s %10s %9s %6s %9s\n", "op", "case",
               "grid", "max error", "tolerance", "result", "ms");
}

void conformance::printResultRow(std::FILE *out, const std::string &op,
                                 const std::string &name, const Grid &grid,
                                 double tolerance, const CaseResult &r) {
  char g[48];
  std::snprintf(g, sizeof g, "%lldx%lldx%lld", (long long)grid[0],
                (long long)grid[1], (long long)grid[2]);
  std::fprintf(out, "%-28s %-36s %-10s %10.3g %9.0e %6s %9.3f\n", op.c_str(),
               name.c_str(), g, r.maxError, tolerance,
               r.passed ? "PASS" : "FAIL", r.millis);
  if (!r.passed && !r.message.empty())
    std::fprintf(out, "    %s\n", r.message.c_str());
}
