//===- TileOps.cpp - the tile dialect ops of the reference interpreter ----===//
//
// Each op follows its row of the table in docs/tile-dialect.md.
//
//===----------------------------------------------------------------------===//
#include "targets/reference/Interpreter.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;

namespace dsv4c::reference {
namespace {

SmallVector<int64_t> scalarsOf(Interpreter &in, ValueRange values) {
  SmallVector<int64_t> out;
  for (Value v : values)
    out.push_back(in.get(v).ints[0]);
  return out;
}

/// Reads element `index` of global memory `base` into element `i` of `r`.
void loadElement(Val &r, int64_t i, void *base, ElementType type,
                 int64_t index) {
  if (r.kind.isFloat())
    r.floats[i] = loadFloat(base, type, index);
  else
    r.ints[i] = wrapInt(loadInt(base, type, index), r.kind.width);
}

void storeElement(const Val &t, int64_t i, void *base, ElementType type,
                  int64_t index) {
  if (t.kind.isFloat())
    storeFloat(base, type, index, t.floats[i]);
  else
    storeInt(base, type, index,
             t.kind.width == 1 ? (t.ints[i] & 1) : t.ints[i]);
}

/// The value of `other` (or zero) to fill skipped elements with.
Val otherOrZero(Interpreter &in, Value other, Kind kind) {
  return other ? in.get(other) : Val::zeros(kind, {});
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// Shared addressing of load and store: calls `fn(i, address)` for each
/// element `i` of a tile of `shape` that the bounds and mask let through.
template <typename Fn>
void forEachAddress(Interpreter &in, ArrayRef<int64_t> shape,
                    ValueRange offsetValues, ValueRange strideValues,
                    ValueRange boundValues, Value maskValue, Fn fn) {
  SmallVector<int64_t> offsets = scalarsOf(in, offsetValues);
  SmallVector<int64_t> strides = scalarsOf(in, strideValues);
  SmallVector<int64_t> bounds = scalarsOf(in, boundValues);
  const Val *mask = maskValue ? &in.get(maskValue) : nullptr;
  int64_t n = numElementsOf(shape);
  for (int64_t i = 0; i < n; ++i) {
    if (mask && mask->ints[i] == 0) {
      fn(i, std::optional<int64_t>());
      continue;
    }
    SmallVector<int64_t> index = unravel(i, shape);
    bool inBounds = true;
    int64_t address = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t pos = offsets[d] + index[d];
      if (!bounds.empty() && pos >= bounds[d])
        inBounds = false;
      address += pos * strides[d];
    }
    fn(i, inBounds ? std::optional<int64_t>(address) : std::nullopt);
  }
}

LogicalResult execLoad(Interpreter &in, tile::LoadOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  const Val &base = in.get(op.getBase());
  Val other = otherOrZero(in, op.getOther(), r->kind);
  bool nullRead = false;
  forEachAddress(in, r->shape, op.getOffsets(), op.getStrides(), op.getBounds(),
                 op.getMask(), [&](int64_t i, std::optional<int64_t> address) {
                   if (!address)
                     r->copyElement(i, other, 0);
                   else if (!base.ptr)
                     nullRead = true;
                   else
                     loadElement(*r, i, base.ptr, base.kind.format, *address);
                 });
  if (nullRead)
    return in.fail(op, "tile.load reads through a null pointer");
  in.set(op.getResult(), std::move(*r));
  return success();
}

LogicalResult execStore(Interpreter &in, tile::StoreOp op) {
  const Val &value = in.get(op.getValue());
  const Val &base = in.get(op.getBase());
  bool nullWrite = false;
  forEachAddress(
      in, value.shape, op.getOffsets(), op.getStrides(), op.getBounds(),
      op.getMask(), [&](int64_t i, std::optional<int64_t> address) {
        if (!address)
          return;
        if (!base.ptr)
          nullWrite = true;
        else
          storeElement(value, i, base.ptr, base.kind.format, *address);
      });
  if (nullWrite)
    return in.fail(op, "tile.store writes through a null pointer");
  return success();
}

LogicalResult execGather(Interpreter &in, tile::GatherOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  const Val &base = in.get(op.getBase());
  int64_t offset = in.get(op.getOffset()).ints[0];
  const Val &indices = in.get(op.getIndices());
  int64_t rowStride = in.get(op.getRowStride()).ints[0];
  Val other = otherOrZero(in, op.getOther(), r->kind);
  int64_t rows = r->shape[0], cols = r->shape[1];
  for (int64_t i = 0; i < rows; ++i) {
    int64_t row = indices.ints[i];
    for (int64_t j = 0; j < cols; ++j) {
      if (row < 0) {
        r->copyElement(i * cols + j, other, 0);
        continue;
      }
      if (!base.ptr)
        return in.fail(op, "tile.gather reads through a null pointer");
      loadElement(*r, i * cols + j, base.ptr, base.kind.format,
                  offset + row * rowStride + j);
    }
  }
  in.set(op.getResult(), std::move(*r));
  return success();
}

/// Programs run one after another here, so the add needs no atomicity.
LogicalResult execAtomicAdd(Interpreter &in, tile::AtomicAddOp op) {
  const Val &base = in.get(op.getBase());
  if (!base.ptr)
    return in.fail(op, "tile.atomic_add updates through a null pointer");
  int32_t *word =
      static_cast<int32_t *>(base.ptr) + in.get(op.getIndex()).ints[0];
  const int32_t old = *word;
  *word = int32_t(uint32_t(old) + uint32_t(in.get(op.getValue()).ints[0]));
  in.set(op.getResult(), Val::scalarInt(*kindOf(op.getType()), old));
  return success();
}

//===----------------------------------------------------------------------===//
// Construction and shape
//===----------------------------------------------------------------------===//

LogicalResult execSplat(Interpreter &in, tile::SplatOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  const Val &s = in.get(op.getValue());
  for (int64_t i = 0; i < r->numElements(); ++i)
    r->copyElement(i, s, 0);
  in.set(op.getResult(), std::move(*r));
  return success();
}

LogicalResult execIota(Interpreter &in, tile::IotaOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  for (int64_t i = 0; i < r->numElements(); ++i)
    r->ints[i] = wrapInt(i, r->kind.width);
  in.set(op.getResult(), std::move(*r));
  return success();
}

LogicalResult execBroadcast(Interpreter &in, tile::BroadcastOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  const Val &x = in.get(op.getInput());
  SmallVector<int64_t> xStrides = rowMajorStrides(x.shape);
  for (int64_t i = 0; i < r->numElements(); ++i) {
    SmallVector<int64_t> index = unravel(i, r->shape);
    int64_t j = 0;
    for (size_t d = 0; d < index.size(); ++d)
      j += (x.shape[d] == 1 ? 0 : index[d]) * xStrides[d];
    r->copyElement(i, x, j);
  }
  in.set(op.getResult(), std::move(*r));
  return success();
}

LogicalResult execReshape(Interpreter &in, tile::ReshapeOp op) {
  Val r = in.get(op.getInput());
  auto type = cast<RankedTensorType>(op.getResult().getType());
  r.shape.assign(type.getShape().begin(), type.getShape().end());
  in.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult execTrans(Interpreter &in, tile::TransOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  const Val &x = in.get(op.getInput());
  ArrayRef<int64_t> perm = op.getPerm();
  SmallVector<int64_t> xStrides = rowMajorStrides(x.shape);
  for (int64_t i = 0; i < r->numElements(); ++i) {
    SmallVector<int64_t> index = unravel(i, r->shape);
    int64_t j = 0;
    for (size_t d = 0; d < index.size(); ++d)
      j += index[d] * xStrides[perm[d]]; // j_{perm[d]} = i_d
    r->copyElement(i, x, j);
  }
  in.set(op.getResult(), std::move(*r));
  return success();
}

LogicalResult execExtract(Interpreter &in, tile::ExtractOp op) {
  const Val &x = in.get(op.getTile());
  SmallVector<int64_t> index = scalarsOf(in, op.getIndices());
  SmallVector<int64_t> strides = rowMajorStrides(x.shape);
  int64_t j = 0;
  for (size_t d = 0; d < index.size(); ++d) {
    if (index[d] < 0 || index[d] >= x.shape[d])
      return in.fail(op, "index " + std::to_string(index[d]) +
                             " is out of range for dimension " +
                             std::to_string(d) + " of size " +
                             std::to_string(x.shape[d]));
    j += index[d] * strides[d];
  }
  Val r = Val::zeros(x.kind, {});
  r.copyElement(0, x, j);
  in.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult execSlice(Interpreter &in, tile::SliceOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  const Val &x = in.get(op.getInput());
  ArrayRef<int64_t> offsets = op.getOffsets();
  SmallVector<int64_t> steps(offsets.size(), 1);
  if (op.getStrides())
    steps.assign(op.getStrides()->begin(), op.getStrides()->end());
  SmallVector<int64_t> xStrides = rowMajorStrides(x.shape);
  for (int64_t i = 0; i < r->numElements(); ++i) {
    SmallVector<int64_t> index = unravel(i, r->shape);
    int64_t j = 0;
    for (size_t d = 0; d < index.size(); ++d)
      j += (offsets[d] + index[d] * steps[d]) * xStrides[d];
    r->copyElement(i, x, j);
  }
  in.set(op.getResult(), std::move(*r));
  return success();
}

LogicalResult execConcat(Interpreter &in, tile::ConcatOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  int64_t dim = op.getDim();
  for (int64_t i = 0; i < r->numElements(); ++i) {
    SmallVector<int64_t> index = unravel(i, r->shape);
    for (Value v : op.getInputs()) { // find the input holding index[dim]
      const Val &x = in.get(v);
      if (index[dim] >= x.shape[dim]) {
        index[dim] -= x.shape[dim];
        continue;
      }
      SmallVector<int64_t> xStrides = rowMajorStrides(x.shape);
      int64_t j = 0;
      for (size_t d = 0; d < index.size(); ++d)
        j += index[d] * xStrides[d];
      r->copyElement(i, x, j);
      break;
    }
  }
  in.set(op.getResult(), std::move(*r));
  return success();
}

/// tile.cast of one element (docs/tile-dialect.md, "Element conversions").
/// i1 counts as 0/1 in both directions.
void castElement(const Val &x, int64_t i, Val &r) {
  if (x.kind.isFloat()) {
    if (r.kind.isFloat())
      r.floats[i] = roundToFormat(x.floats[i], r.kind.format);
    else
      r.ints[i] = floatToInt(x.floats[i], /*isUnsigned=*/false, r.kind.width);
    return;
  }
  bool fromBool = x.kind.width == 1;
  if (r.kind.isFloat()) {
    r.floats[i] = intToFloat(x.ints[i], fromBool, x.kind.width, r.kind.format);
    return;
  }
  int64_t v = fromBool ? (x.ints[i] & 1) : x.ints[i];
  r.ints[i] = wrapInt(v, r.kind.width);
}

LogicalResult execCast(Interpreter &in, tile::CastOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  const Val &x = in.get(op.getInput());
  for (int64_t i = 0; i < r->numElements(); ++i)
    castElement(x, i, *r);
  in.set(op.getResult(), std::move(*r));
  return success();
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

/// Operand element (row, col) of a rank-2 `x`, times its block scale.
float scaledElement(const Val &x, const Val *scale,
                    std::optional<ArrayRef<int64_t>> block, int64_t row,
                    int64_t col) {
  float v = x.asFloat(row * x.shape[1] + col);
  if (!scale)
    return v;
  int64_t sr = row / (*block)[0], sc = col / (*block)[1];
  return v * scale->floats[sr * scale->shape[1] + sc];
}

/// Products are formed in f32 as the spec says (A = f32(a) * f32(scale));
/// the sum over k is accumulated in double and rounded to f32 once, which
/// is as close to the exact result as an f32 answer can get.
LogicalResult execDot(Interpreter &in, tile::DotOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  const Val &a = in.get(op.getLhs());
  const Val &b = in.get(op.getRhs());
  const Val *sa = op.getLhsScale() ? &in.get(op.getLhsScale()) : nullptr;
  const Val *sb = op.getRhsScale() ? &in.get(op.getRhsScale()) : nullptr;
  const Val *acc = op.getAcc() ? &in.get(op.getAcc()) : nullptr;
  bool transposed = op.getRhsTransposed();
  int64_t m = a.shape[0], k = a.shape[1], n = r->shape[1];
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = acc ? acc->floats[i * n + j] : 0.0;
      for (int64_t l = 0; l < k; ++l) {
        float av = scaledElement(a, sa, op.getLhsScaleBlock(), i, l);
        float bv = transposed
                       ? scaledElement(b, sb, op.getRhsScaleBlock(), j, l)
                       : scaledElement(b, sb, op.getRhsScaleBlock(), l, j);
        sum += static_cast<double>(av) * static_cast<double>(bv);
      }
      r->floats[i * n + j] = static_cast<float>(sum);
    }
  in.set(op.getResult(), std::move(*r));
  return success();
}

/// The combine of reduce and scan on two elements. Floats: in f32 (sums
/// are rounded by the caller), NaN wins for max/min.
float combineFloat(tile::CombineKind kind, float acc, float x) {
  switch (kind) {
  case tile::CombineKind::Sum:
    return acc + x;
  case tile::CombineKind::Max:
    if (std::isnan(acc) || std::isnan(x))
      return std::numeric_limits<float>::quiet_NaN();
    return x > acc ? x : acc;
  case tile::CombineKind::Min:
    if (std::isnan(acc) || std::isnan(x))
      return std::numeric_limits<float>::quiet_NaN();
    return x < acc ? x : acc;
  }
  return acc;
}

int64_t combineInt(tile::CombineKind kind, int64_t acc, int64_t x,
                   unsigned width) {
  switch (kind) {
  case tile::CombineKind::Sum:
    return wrapInt(static_cast<int64_t>(static_cast<uint64_t>(acc) +
                                        static_cast<uint64_t>(x)),
                   width);
  case tile::CombineKind::Max:
    return std::max(acc, x);
  case tile::CombineKind::Min:
    return std::min(acc, x);
  }
  return acc;
}

/// Splits `shape` around `dim`: (product before, size of dim, product after).
std::array<int64_t, 3> splitAround(ArrayRef<int64_t> shape, int64_t dim) {
  return {numElementsOf(shape.take_front(dim)), shape[dim],
          numElementsOf(shape.drop_front(dim + 1))};
}

LogicalResult execReduce(Interpreter &in, tile::ReduceOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  const Val &x = in.get(op.getInput());
  auto [outer, len, inner] = splitAround(x.shape, op.getDim());
  if (len == 0)
    return in.fail(op, "tile.reduce over an empty dimension");
  tile::CombineKind kind = op.getKind();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t l) { return (o * len + l) * inner + i; };
      int64_t out = o * inner + i;
      if (x.kind.isFloat()) {
        float acc = x.floats[at(0)];
        for (int64_t l = 1; l < len; ++l)
          acc = combineFloat(kind, acc, x.floats[at(l)]);
        r->floats[out] = roundToFormat(acc, x.kind.format);
      } else {
        int64_t acc = x.ints[at(0)];
        for (int64_t l = 1; l < len; ++l)
          acc = combineInt(kind, acc, x.ints[at(l)], x.kind.width);
        r->ints[out] = acc;
      }
    }
  in.set(op.getResult(), std::move(*r));
  return success();
}

LogicalResult execScan(Interpreter &in, tile::ScanOp op) {
  const Val &x = in.get(op.getInput());
  Val r = Val::zeros(x.kind, x.shape);
  auto [outer, len, inner] = splitAround(x.shape, op.getDim());
  tile::CombineKind kind = op.getKind();
  bool reverse = op.getReverse();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      float facc = 0.0f; // f32 running value, rounded per output
      int64_t iacc = 0;
      for (int64_t step = 0; step < len; ++step) {
        int64_t l = reverse ? len - 1 - step : step;
        int64_t at = (o * len + l) * inner + i;
        if (x.kind.isFloat()) {
          facc =
              step == 0 ? x.floats[at] : combineFloat(kind, facc, x.floats[at]);
          r.floats[at] = roundToFormat(facc, x.kind.format);
        } else {
          iacc = step == 0 ? x.ints[at]
                           : combineInt(kind, iacc, x.ints[at], x.kind.width);
          r.ints[at] = iacc;
        }
      }
    }
  in.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult execTopK(Interpreter &in, tile::TopKOp op) {
  FailureOr<Val> values = in.zerosFor(op, op.getValues().getType());
  FailureOr<Val> indices = in.zerosFor(op, op.getIndices().getType());
  if (failed(values) || failed(indices))
    return failure();
  const Val &x = in.get(op.getInput());
  int64_t n = x.shape.back(), k = op.getK();
  int64_t rows = x.numElements() / n;
  // "a ranks before b": the larger value first, NaN above all (unspecified
  // by the spec, but keeps the order strict and weak); equal values keep the
  // smaller position first.
  auto before = [&](int64_t a, int64_t b) {
    if (x.kind.isInt())
      return x.ints[a] != x.ints[b] ? x.ints[a] > x.ints[b] : a < b;
    float fa = x.floats[a], fb = x.floats[b];
    bool nanA = std::isnan(fa), nanB = std::isnan(fb);
    if (nanA != nanB)
      return nanA;
    if (!nanA && fa != fb)
      return fa > fb;
    return a < b;
  };
  for (int64_t row = 0; row < rows; ++row) {
    SmallVector<int64_t> order(n);
    std::iota(order.begin(), order.end(), row * n);
    std::sort(order.begin(), order.end(), before);
    for (int64_t j = 0; j < k; ++j) {
      values->copyElement(row * k + j, x, order[j]);
      indices->ints[row * k + j] = order[j] - row * n;
    }
  }
  in.set(op.getValues(), std::move(*values));
  in.set(op.getIndices(), std::move(*indices));
  return success();
}

/// 2^ceil(log2(s)) on the f32 bits of s, as DeepSeek's fast_round_scale:
/// exponent - 127, plus one if any mantissa bit is set.
float roundScaleToPowerOfTwo(float s) {
  uint32_t bits = std::bit_cast<uint32_t>(s);
  int32_t exponent = static_cast<int32_t>((bits >> 23) & 0xFF) - 127 +
                     ((bits & 0x7FFFFF) != 0 ? 1 : 0);
  return std::bit_cast<float>(static_cast<uint32_t>(exponent + 127) << 23);
}

LogicalResult execQuantize(Interpreter &in, tile::QuantizeOp op) {
  FailureOr<Val> q = in.zerosFor(op, op.getResult().getType());
  FailureOr<Val> scale = in.zerosFor(op, op.getScale().getType());
  if (failed(q) || failed(scale))
    return failure();
  const Val &x = in.get(op.getInput());
  bool fp4 = q->kind.format == ElementType::F4E2M1FN;
  float fmax = fp4 ? 6.0f : 448.0f;
  float floor = fp4 ? 6.0f * std::ldexp(1.0f, -126) : 1e-4f;
  float fmaxInv = static_cast<float>(1.0 / static_cast<double>(fmax));
  ArrayRef<int64_t> block = op.getBlock();
  SmallVector<int64_t> xStrides = rowMajorStrides(x.shape);
  int64_t rank = x.shape.size();

  for (int64_t b = 0; b < scale->numElements(); ++b) {
    SmallVector<int64_t> blockIndex = unravel(b, scale->shape);
    // The block's elements: [start, end) per dimension, the last partial.
    SmallVector<int64_t> start(rank), extent(rank);
    for (int64_t d = 0; d < rank; ++d) {
      start[d] = blockIndex[d] * block[d];
      extent[d] = std::min(block[d], x.shape[d] - start[d]);
    }
    SmallVector<int64_t> members;
    for (int64_t e = 0; e < numElementsOf(extent); ++e) {
      SmallVector<int64_t> local = unravel(e, extent);
      int64_t at = 0;
      for (int64_t d = 0; d < rank; ++d)
        at += (start[d] + local[d]) * xStrides[d];
      members.push_back(at);
    }
    float amax = 0.0f;
    for (int64_t at : members)
      amax = std::fmax(amax, std::fabs(x.floats[at]));
    amax = std::max(amax, floor);
    float s = amax * fmaxInv;
    if (op.getRoundScale())
      s = roundScaleToPowerOfTwo(s);
    scale->floats[b] = roundToFormat(s, scale->kind.format);
    for (int64_t at : members) {
      float v = x.floats[at] / s;
      v = std::max(std::min(v, fmax), -fmax);
      q->floats[at] = roundToFormat(v, q->kind.format);
    }
  }
  in.set(op.getResult(), std::move(*q));
  in.set(op.getScale(), std::move(*scale));
  return success();
}

LogicalResult execDequantize(Interpreter &in, tile::DequantizeOp op) {
  FailureOr<Val> r = in.zerosFor(op, op.getResult().getType());
  if (failed(r))
    return failure();
  const Val &x = in.get(op.getInput());
  const Val &s = in.get(op.getScale());
  ArrayRef<int64_t> block = op.getBlock();
  SmallVector<int64_t> sStrides = rowMajorStrides(s.shape);
  for (int64_t i = 0; i < r->numElements(); ++i) {
    SmallVector<int64_t> index = unravel(i, x.shape);
    int64_t si = 0;
    for (size_t d = 0; d < index.size(); ++d)
      si += (index[d] / block[d]) * sStrides[d];
    r->floats[i] = roundToFormat(x.floats[i] * s.floats[si], r->kind.format);
  }
  in.set(op.getResult(), std::move(*r));
  return success();
}

} // namespace

bool isSupportedTileOp(StringRef name) {
  return llvm::is_contained(
      {"tile.return", "tile.program_id", "tile.num_programs", "tile.load",
       "tile.store",  "tile.gather",     "tile.atomic_add",   "tile.splat",
       "tile.iota",   "tile.broadcast",  "tile.reshape",      "tile.trans",
       "tile.cast",   "tile.dot",        "tile.reduce",       "tile.scan",
       "tile.topk",   "tile.quantize",   "tile.dequantize",   "tile.extract",
       "tile.slice",  "tile.concat"},
      name);
}

LogicalResult execTileOp(Interpreter &in, Operation *op) {
  if (auto p = dyn_cast<tile::ProgramIdOp>(op)) {
    in.set(p.getResult(), Val::scalarInt(Kind(), in.getProgramId(p.getDim())));
    return success();
  }
  if (auto p = dyn_cast<tile::NumProgramsOp>(op)) {
    in.set(p.getResult(),
           Val::scalarInt(Kind(), in.getNumPrograms(p.getDim())));
    return success();
  }
  if (auto o = dyn_cast<tile::LoadOp>(op))
    return execLoad(in, o);
  if (auto o = dyn_cast<tile::StoreOp>(op))
    return execStore(in, o);
  if (auto o = dyn_cast<tile::GatherOp>(op))
    return execGather(in, o);
  if (auto o = dyn_cast<tile::AtomicAddOp>(op))
    return execAtomicAdd(in, o);
  if (auto o = dyn_cast<tile::SplatOp>(op))
    return execSplat(in, o);
  if (auto o = dyn_cast<tile::IotaOp>(op))
    return execIota(in, o);
  if (auto o = dyn_cast<tile::BroadcastOp>(op))
    return execBroadcast(in, o);
  if (auto o = dyn_cast<tile::ReshapeOp>(op))
    return execReshape(in, o);
  if (auto o = dyn_cast<tile::TransOp>(op))
    return execTrans(in, o);
  if (auto o = dyn_cast<tile::CastOp>(op))
    return execCast(in, o);
  if (auto o = dyn_cast<tile::ExtractOp>(op))
    return execExtract(in, o);
  if (auto o = dyn_cast<tile::SliceOp>(op))
    return execSlice(in, o);
  if (auto o = dyn_cast<tile::ConcatOp>(op))
    return execConcat(in, o);
  if (auto o = dyn_cast<tile::DotOp>(op))
    return execDot(in, o);
  if (auto o = dyn_cast<tile::ReduceOp>(op))
    return execReduce(in, o);
  if (auto o = dyn_cast<tile::ScanOp>(op))
    return execScan(in, o);
  if (auto o = dyn_cast<tile::TopKOp>(op))
    return execTopK(in, o);
  if (auto o = dyn_cast<tile::QuantizeOp>(op))
    return execQuantize(in, o);
  if (auto o = dyn_cast<tile::DequantizeOp>(op))
    return execDequantize(in, o);
  return in.fail(op, "unsupported op '" + op->getName().getStringRef() + "'");
}

} // namespace dsv4c::reference
