//===- ArgSpec.cpp - command line of `dsv4c run-kernel` -------------------===//
#include "tools/dsv4c/ArgSpec.h"

#include "runtime/FloatFormats.h"
#include "runtime/Npy.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace dsv4c::runkernel {

//===----------------------------------------------------------------------===//
// Small parsers
//===----------------------------------------------------------------------===//

bool parseInt(std::string_view text, int64_t &value) {
  std::string s(text);
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0])))
    return false;
  size_t digits = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  int base = 10;
  if (s.size() > digits + 2 && s[digits] == '0' &&
      (s[digits + 1] == 'x' || s[digits + 1] == 'X'))
    base = 16;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, base);
  if (errno == ERANGE || end != s.c_str() + s.size() ||
      end == s.c_str() + digits)
    return false;
  value = v;
  return true;
}

bool parseFloat(std::string_view text, float &value) {
  std::string s(text);
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0])))
    return false;
  char *end = nullptr;
  errno = 0;
  float v = std::strtof(s.c_str(), &end);
  if (end != s.c_str() + s.size())
    return false;
  // ERANGE on underflow is fine (the value is rounded); on overflow it is
  // not: a literal like 1e40 is a mistake, not infinity.
  if (errno == ERANGE && std::isinf(v))
    return false;
  value = v;
  return true;
}

namespace {

/// A positive decimal integer (no sign, no hex).
bool parsePositive(std::string_view text, int64_t &value) {
  if (text.empty() || text.size() > 18)
    return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  if (v <= 0)
    return false;
  value = v;
  return true;
}

} // namespace

bool parseShape(std::string_view text, std::vector<int64_t> &shape,
                std::string &error) {
  shape.clear();
  if (text.empty()) {
    error = "empty shape (expected e.g. 16x64)";
    return false;
  }
  int64_t total = 1;
  size_t start = 0;
  while (true) {
    size_t x = text.find('x', start);
    std::string_view dim = text.substr(start, x == std::string_view::npos
                                                  ? std::string_view::npos
                                                  : x - start);
    int64_t d;
    if (!parsePositive(dim, d)) {
      error = "bad shape '" + std::string(text) +
              "': dimensions are positive integers separated by 'x', "
              "e.g. 16x64";
      return false;
    }
    if (total > (int64_t(1) << 40) / d) {
      error = "shape '" + std::string(text) + "' is too large";
      return false;
    }
    total *= d;
    shape.push_back(d);
    if (x == std::string_view::npos)
      return true;
    start = x + 1;
  }
}

bool parseGrid(std::string_view text, Grid &grid, std::string &error) {
  grid = {1, 1, 1};
  size_t start = 0;
  for (int i = 0;; ++i) {
    size_t comma = text.find(',', start);
    std::string_view part = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos
                                               : comma - start);
    if (i == 3 || !parsePositive(part, grid[i])) {
      error = "bad --grid '" + std::string(text) +
              "': expected 1 to 3 positive integers X[,Y[,Z]], e.g. 16 or "
              "8,4";
      return false;
    }
    if (comma == std::string_view::npos)
      return true;
    start = comma + 1;
  }
}

bool parseArgSpec(std::string_view text, ArgSpec &spec, std::string &error) {
  spec = ArgSpec();
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    error = "bad --arg '" + std::string(text) +
            "': expected NAME=FILE.npy, NAME=random:SHAPE, NAME=zeros:SHAPE "
            "or NAME=NUMBER";
    return false;
  }
  spec.name = std::string(text.substr(0, eq));
  spec.value = std::string(text.substr(eq + 1));
  if (spec.value.empty()) {
    error = "--arg " + spec.name + "= has no value";
    return false;
  }
  std::string_view value = spec.value;
  auto shapeAfter = [&](std::string_view prefix, ArgSpec::Kind kind) {
    spec.kind = kind;
    std::string shapeError;
    if (!parseShape(value.substr(prefix.size()), spec.shape, shapeError)) {
      error = "--arg " + spec.name + ": " + shapeError;
      return false;
    }
    return true;
  };
  if (value.rfind("random:", 0) == 0)
    return shapeAfter("random:", ArgSpec::Random);
  if (value.rfind("zeros:", 0) == 0)
    return shapeAfter("zeros:", ArgSpec::Zeros);
  if (value == "random" || value == "zeros") {
    error = "--arg " + spec.name + "=" + spec.value +
            " needs a shape, e.g. " + spec.name + "=" + spec.value + ":16x64";
    return false;
  }
  spec.kind = ArgSpec::Literal;
  return true;
}

bool checkArgNames(const std::vector<ArgSpec> &specs, std::string &error) {
  std::set<std::string> seen;
  for (const ArgSpec &spec : specs) {
    if (spec.name == "." || spec.name == ".." ||
        spec.name.find_first_of("/\\") != std::string::npos) {
      error = "--arg name '" + spec.name +
              "' cannot be used as a file name (it names DIR/" + spec.name +
              ".npy)";
      return false;
    }
    if (!seen.insert(spec.name).second) {
      error = "--arg name '" + spec.name + "' is used twice";
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

std::string usageText(const std::string &prog) {
  return "usage: " + prog +
         " FILE.mlir --grid X[,Y[,Z]] --arg SPEC... [options]\n"
         "\n"
         "Compiles a tile kernel of FILE.mlir for a target, runs it on a grid "
         "of\nprograms over host buffers, and prints what the buffers hold "
         "afterwards.\n"
         "\n"
         "options:\n"
         "  --kernel NAME        the kernel to run (default: the only "
         "tile.kernel in FILE)\n"
         "  --target cpu|reference\n"
         "                       cpu: compiled natively (default); "
         "reference: the interpreter\n"
         "  --grid X[,Y[,Z]]     launch grid (required); missing extents "
         "are 1\n"
         "  --arg SPEC           one per kernel argument, in the kernel's "
         "order:\n"
         "                         NAME=FILE.npy      pointer: load the file "
         "(its dtype must\n"
         "                                            match the pointer's "
         "element type)\n"
         "                         NAME=random:SHAPE  pointer: seeded random "
         "fill (floats in\n"
         "                                            [-1,1), ints in "
         "[0,15], i1 0/1, f8E8M0FNU\n"
         "                                            2^-7..2^7)\n"
         "                         NAME=zeros:SHAPE   pointer: zero-filled "
         "(e.g. an output)\n"
         "                         NAME=NUMBER        scalar (index, i32, "
         "i64: integer;\n"
         "                                            f32, f16, bf16: float)\n"
         "                       NAME is a label for printing and output "
         "files; SHAPE is\n"
         "                       e.g. 16x64\n"
         "  --out-dir DIR        after the run, write every pointer argument "
         "to DIR/NAME.npy\n"
         "  --check              also run on the reference target from the "
         "same inputs and\n"
         "                       compare every pointer argument; exit 2 if "
         "one differs by\n"
         "                       more than the tolerance\n"
         "  --tolerance T        --check limit: max abs error <= T * "
         "max(1, max|reference|)\n"
         "                       (default 1e-4)\n"
         "  --seed N             seed of random:SHAPE fills (default 0); "
         "argument i is\n"
         "                       filled from seed N+i\n"
         "  --threads N          cpu target: threads running programs "
         "(default: one per\n"
         "                       hardware thread)\n"
         "  --help               this text\n"
         "\n"
         "Prints, per pointer argument, 'NAME: SHAPExTYPE  first values: "
         "...'.\n"
         "Exit status: 0 ok, 1 error, 2 --check found a difference.\n"
         "\n"
         "example:\n"
         "  " +
         prog +
         " models/v4/kernels/rmsnorm.mlir --grid 4 \\\n"
         "      --arg x=random:16x512 --arg w=random:512 --arg "
         "y=zeros:16x512 \\\n"
         "      --arg rows=16 --arg dim=512 --arg eps=1e-6 --out-dir out "
         "--check\n";
}

bool parseOptions(int argc, char **argv, Options &options,
                  std::string &error) {
  options = Options();
  bool toleranceGiven = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      return true;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg == "-") {
      if (!options.file.empty()) {
        error = "unexpected argument '" + arg + "' (FILE is already '" +
                options.file + "'; did you forget --arg?)";
        return false;
      }
      options.file = arg;
      continue;
    }
    std::string flag = arg, value;
    bool hasValue = false;
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      hasValue = true;
    }
    if (flag == "--check") {
      if (hasValue) {
        error = "--check takes no value";
        return false;
      }
      options.check = true;
      continue;
    }
    static const char *const kValued[] = {
        "--kernel", "--target", "--grid",      "--arg",
        "--out-dir", "--seed",  "--threads",  "--tolerance"};
    bool known = false;
    for (const char *k : kValued)
      known |= flag == k;
    if (!known) {
      error = "unknown option '" + flag + "' (see --help)";
      return false;
    }
    if (!hasValue) {
      if (i + 1 >= argc) {
        error = flag + " needs a value (see --help)";
        return false;
      }
      value = argv[++i];
    }
    if (flag == "--kernel") {
      if (value.empty()) {
        error = "--kernel needs a name";
        return false;
      }
      options.kernel = value;
    } else if (flag == "--target") {
      if (value != "cpu" && value != "reference") {
        error = "unknown --target '" + value + "' (expected cpu or reference)";
        return false;
      }
      options.target = value;
    } else if (flag == "--grid") {
      if (options.gridGiven) {
        error = "--grid given twice";
        return false;
      }
      if (!parseGrid(value, options.grid, error))
        return false;
      options.gridGiven = true;
    } else if (flag == "--arg") {
      ArgSpec spec;
      if (!parseArgSpec(value, spec, error))
        return false;
      options.args.push_back(std::move(spec));
    } else if (flag == "--out-dir") {
      if (value.empty()) {
        error = "--out-dir needs a directory";
        return false;
      }
      options.outDir = value;
    } else if (flag == "--seed") {
      int64_t s;
      if (!parseInt(value, s) || s < 0) {
        error = "bad --seed '" + value + "' (expected a non-negative integer)";
        return false;
      }
      options.seed = uint64_t(s);
    } else if (flag == "--threads") {
      int64_t t;
      if (!parseInt(value, t) || t < 1 || t > 4096) {
        error = "bad --threads '" + value + "' (expected 1 to 4096)";
        return false;
      }
      options.threads = unsigned(t);
    } else if (flag == "--tolerance") {
      float t;
      if (!parseFloat(value, t) || !(t >= 0) || std::isinf(t)) {
        error = "bad --tolerance '" + value +
                "' (expected a non-negative number)";
        return false;
      }
      options.tolerance = t;
      toleranceGiven = true;
    }
  }
  if (options.file.empty()) {
    error = "no input FILE.mlir (see --help)";
    return false;
  }
  if (!options.gridGiven) {
    error = "--grid is required, e.g. --grid 16 or --grid 8,4";
    return false;
  }
  if (toleranceGiven && !options.check) {
    error = "--tolerance only applies with --check";
    return false;
  }
  return checkArgNames(options.args, error);
}

//===----------------------------------------------------------------------===//
// Binding
//===----------------------------------------------------------------------===//

std::string describeParam(const ParamType &param) {
  switch (param.kind) {
  case ParamType::Pointer:
    return std::string("!tile.ptr<") + elementTypeName(param.pointee) + ">";
  case ParamType::Index:
    return "index";
  case ParamType::I32:
    return "i32";
  case ParamType::I64:
    return "i64";
  case ParamType::F32:
    return "f32";
  case ParamType::F16:
    return "f16";
  case ParamType::BF16:
    return "bf16";
  }
  return "?";
}

bool bindArg(const ArgSpec &spec, const ParamType &param, unsigned position,
             uint64_t seed, BoundArg &out, std::string &error) {
  out = BoundArg();
  out.name = spec.name;
  out.param = param;
  std::string where = "--arg " + spec.name + " (argument " +
                      std::to_string(position) + ", " +
                      describeParam(param) + ")";
  if (param.kind == ParamType::Pointer) {
    switch (spec.kind) {
    case ArgSpec::Random:
      out.tensor = HostTensor(param.pointee, spec.shape);
      fillRandom(out.tensor, seed + position);
      return true;
    case ArgSpec::Zeros:
      out.tensor = HostTensor(param.pointee, spec.shape);
      return true;
    case ArgSpec::Literal: {
      std::string npyError;
      if (!readNpy(spec.value, out.tensor, npyError, param.pointee)) {
        error = where + ": " + npyError;
        return false;
      }
      if (out.tensor.type != param.pointee) {
        error = where + ": " + spec.value + " holds " +
                elementTypeName(out.tensor.type) + " but the kernel wants " +
                elementTypeName(param.pointee);
        return false;
      }
      return true;
    }
    }
    return false;
  }

  if (spec.kind != ArgSpec::Literal) {
    error = where + " is a scalar: give a number, not " + spec.value;
    return false;
  }
  switch (param.kind) {
  case ParamType::Index:
  case ParamType::I64:
  case ParamType::I32: {
    int64_t v;
    if (!parseInt(spec.value, v)) {
      error = where + ": '" + spec.value + "' is not an integer";
      return false;
    }
    if (param.kind == ParamType::I32 && (v < INT32_MIN || v > INT32_MAX)) {
      error = where + ": " + spec.value + " does not fit in i32";
      return false;
    }
    out.intValue = v;
    return true;
  }
  default: {
    float v;
    if (!parseFloat(spec.value, v)) {
      error = where + ": '" + spec.value + "' is not a number";
      return false;
    }
    out.floatValue = v;
    return true;
  }
  }
}

void appendKernelArg(BoundArg &arg, KernelArgs &args) {
  switch (arg.param.kind) {
  case ParamType::Pointer:
    args.addPointer(arg.tensor.data());
    return;
  case ParamType::Index:
    args.addIndex(arg.intValue);
    return;
  case ParamType::I64:
    args.addI64(arg.intValue);
    return;
  case ParamType::I32:
    args.addI32(static_cast<int32_t>(arg.intValue));
    return;
  case ParamType::F32:
    args.addF32(arg.floatValue);
    return;
  case ParamType::F16:
    args.addHalfBits(floatToF16(arg.floatValue));
    return;
  case ParamType::BF16:
    args.addHalfBits(floatToBf16(arg.floatValue));
    return;
  }
}

std::string firstValues(const HostTensor &t, int count) {
  std::string s;
  int64_t n = std::min<int64_t>(t.numElements(), count);
  for (int64_t i = 0; i < n; ++i) {
    if (i)
      s += ' ';
    char buf[64];
    if (isFloatType(t.type))
      std::snprintf(buf, sizeof buf, "%g",
                    double(loadFloat(t.data(), t.type, i)));
    else
      std::snprintf(buf, sizeof buf, "%lld",
                    static_cast<long long>(loadInt(t.data(), t.type, i)));
    s += buf;
  }
  return s;
}

double maxAbs(const HostTensor &t) {
  double m = 0;
  for (int64_t i = 0, n = t.numElements(); i < n; ++i) {
    double v = std::fabs(double(loadFloat(t.data(), t.type, i)));
    if (v > m)
      m = v;
  }
  return m;
}

} // namespace dsv4c::runkernel
