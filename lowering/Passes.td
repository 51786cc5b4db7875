//===- Passes.td - dsv4c lowering passes -------------------*- tablegen -*-===//
#ifndef DSV4C_LOWERING_PASSES_TD
#define DSV4C_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTileToCPU : Pass<"convert-tile-to-cpu", "::mlir::ModuleOp"> {
  let summary = "Lower tile kernels to func/tensor/scf/llvm for the host CPU";
  let description = [{
    Each `tile.kernel @k` becomes `func.func @k(%args: !llvm.ptr, %pid0..2:
    i64, %n0..2: i64)`, reading its arguments through the calling convention
    of docs/tile-dialect.md. Tile ops become `tensor.generate` bodies and
    `scf` loops with LLVM-dialect loads and stores through raw pointers, and
    tile layouts are dropped (the CPU ignores them). The result is ready for
    one-shot bufferization.
  }];
  let options = [
    Option<"parallelTopK", "parallel-topk", "bool", /*default=*/"false",
           "tile.topk as merge passes of independent elements (only "
           "parallel loops: for GPU targets) instead of sequential merges">,
    Option<"threadedDot", "threaded-dot", "bool", /*default=*/"false",
           "tile.dot loops m, n around k (each result one thread's sum: "
           "GPU targets) instead of m, k, n (vectorisable rows)">,
    Option<"warpMma", "warp-mma", "bool", /*default=*/"false",
           "tile.dots a warp's matrix instructions can do stay on their raw "
           "operands, marked `dsv4c.mma` for dot-to-warp-mma">,
    Option<"warpShuffles", "warp-shuffles", "bool", /*default=*/"false",
           "tile.reduces over 32 or more elements to f32 or i32 are marked "
           "`dsv4c.warp_reduce` for reduce-to-warp-shuffles">,
    Option<"asyncCopies", "async-copies", "bool", /*default=*/"false",
           "tile.loads with contiguous rows are copied into a tile buffer in "
           "16/8/4-byte chunks by dsv4c.copy_async.N calls, then "
           "dsv4c.copy_async_wait (the target defines them)">,
    Option<"parallelStores", "parallel-stores", "bool", /*default=*/"false",
           "tile.stores as parallel loop nests (GPU targets: elements of one "
           "store at the same address land in no particular order) instead "
           "of sequential loops">,
    Option<"atomicScope", "atomic-scope", "std::string", /*default=*/"\"\"",
           "LLVM sync scope of tile.atomic_add's add and fences, the "
           "narrowest covering a launch's programs (NVPTX: device, AMDGPU: "
           "agent); empty: the whole system">,
    Option<"hardwareE4m3", "hardware-e4m3", "bool", /*default=*/"false",
           "tile.quantize to e4m3 rounds through dsv4c.cvt_e4m3(f32) -> i8 "
           "and tile.dequantize of e4m3 widens through "
           "dsv4c.e4m3_to_f32(i8) -> f32 (the target defines both: the "
           "ISA's conversion instructions) instead of integer arithmetic">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

def PipelineTileLoads : Pass<"pipeline-tile-loads"> {
  let summary = "Load the next trip's tiles ahead (a two-stage software pipeline)";
  let description = [{
    For GPU targets with async-copies, on tile IR (before
    convert-tile-to-cpu). In an innermost scf.for, a tile.load that
    async-copies would copy (contiguous rows, no mask), that has bounds, and
    whose offsets, strides and bounds are computed from the induction
    variable and values from outside the loop by pure ops, moves a trip
    ahead: the loop's first tile is loaded before the loop, trip i loads trip
    i+1's tile at its top and yields it, and the tile trip i works on comes in
    an iter_arg. distribute-to-threads then waits for the copies at the first
    op that reads them (the yield), so the next trip's copies are in flight
    while this trip works. The load after the last trip reads inside its
    bounds (or zeros past them).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def FuseElementwiseTiles : Pass<"fuse-elementwise-tiles"> {
  let summary = "Fuse cheap elementwise tile chains into their consumers";
  let description = [{
    For GPU targets, after convert-tile-to-cpu and
    convert-elementwise-to-linalg, before bufferization. There every tile
    value becomes a buffer and a loop between barriers; this pass computes
    cheap elements where they are used instead. `tensor.generate`s whose
    element is straight-line code (tile loads with their masks, casts,
    broadcasts, reshapes) become all-parallel `linalg.generic`s, and
    linalg's elementwise fusion moves every cheap all-parallel producer into
    its consumers: a chain of loads and arith/math ops becomes one loop whose
    values stay in registers. Not fused: producers whose element is a loop
    (a reduction's fold, a dot: computed once, as before), generics marked
    `dsv4c.*` for later passes (dots, warp reductions) and consumers so
    marked, and a producer that reads memory past an op that may write it
    (a load is not moved after a store).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ExpandSmallFloats : Pass<"expand-small-floats"> {
  let summary = "Expand scalar conversions and constants of f8E4M3FN, "
                "f4E2M1FN and f8E8M0FNU into integer code";
  let description = [{
    LLVM has no 8- or 4-bit float types. This rewrites scalar `arith.extf`,
    `arith.truncf` and `arith.constant` of those types into integer bit
    manipulation on their codes, with the rounding rules of
    docs/tile-dialect.md. Run it after the last folding pass: folding would
    turn the bitcast constants back into small-float constants. With
    hardware-e4m3, `arith.extf` from f8E4M3FN to f32 becomes a call of
    `dsv4c.e4m3_to_f32(i8) -> f32` instead, which the target defines with
    its conversion instruction (exact, as the integer code is).
  }];
  let options = [
    Option<"hardwareE4m3", "hardware-e4m3", "bool", /*default=*/"false",
           "f8E4M3FN -> f32 extensions call dsv4c.e4m3_to_f32">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::math::MathDialect"];
}

def ApproximateMath : Pass<"approximate-math"> {
  let summary = "Expand transcendental math ops into polynomial arithmetic";
  let description = [{
    Rewrites f32 `math` ops that GPU code generators have no instructions
    for (exp, log, sin, cos, powf, tanh, ...) into `fma`/`floor`-based
    polynomial approximations (upstream's MathF32Expansion and
    PolynomialApproximation patterns), so the PTX needs no libdevice. The
    results differ from libm's in the last bits; conformance tolerances
    cover that.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def MarkWarpgroupDots : Pass<"mark-warpgroup-dots"> {
  let summary = "Mark the dots a warpgroup matrix instruction computes from "
                "shared memory, and the loads of their operands";
  let description = [{
    For sm_90a (wgmma), on tile IR after pipeline-tile-loads. A tile.dot of
    unscaled bf16 operands (with `f8`, also e4m3 ones whose scale blocks are
    multiples of 128 k), B stored [n, k], with a 64 x N f32 result (N a
    multiple of 8 up to 256) and K whole 128-byte blocks, whose operands are
    each a tile.load read by the dot alone (or a pipelined loop's iter_arg
    whose first and next tiles are such loads), is marked `dsv4c.wgmma`, and
    each of those loads `dsv4c.swizzle128` when all of them can be staged in
    the instruction's layout: 16-byte copies (async-copies), rows of a
    multiple of 128 bytes, a multiple of 8 rows. convert-tile-to-cpu then
    stages the marked loads swizzled (each 128-byte block of k a
    [rows, 128 bytes] region, chunk j of row r at j ^ r % 8, the buffer
    1024-byte aligned) and dot-to-warp-mma calls `dsv4c.wgmma.{bf16,e4m3}.nN`
    per 128-byte block of k.
    e4m3 is off by default: the tensor cores sum an e4m3 chunk of 128 k in
    fewer bits than f32 (about 14; DeepSeek-V3's report, section 3.3.2), and
    on the conformance pack's random data that put `linear_fp8_rows64` up to
    0.64 from the reference on an H100, over its 1e-2 tolerance.
  }];
  let options = [
    Option<"f8", "f8", "bool", /*default=*/"false",
           "also e4m3 dots (reduced-precision sums per 128 k)">,
  ];
}

def DotToWarpMma : Pass<"dot-to-warp-mma", "::mlir::ModuleOp"> {
  let summary = "Rewrite marked dots into warp matrix instructions";
  let description = [{
    For GPU targets with warp-wide matrix instructions, after bufferization
    and before linalg-to-parallel-loops. Each `linalg.generic` marked
    `dsv4c.mma` by convert-tile-to-cpu (warp-mma) becomes an
    `scf.parallel` over (run of 16x8 tiles of the result side by side along
    n, lane of a 32-wide warp): every lane gathers its fragments of A and B
    from the operand buffers as the m16n8 `row.col` layouts place them,
    calls `dsv4c.mma.bf16.m16n8k16` or `dsv4c.mma.f8.m16n8k32` (a, b, c: 4,
    2, 4 scalars; 4 f32 results) along k, and writes its accumulators back
    (4 per tile). A run is 4 or 2 tiles where the result has enough of them
    for every warp of a 4-warp program to keep a run (else 1): a k step's A
    registers are gathered once for the run's instructions. With
    matrix-loads, operands planned in shared memory with rows of a multiple
    of 16 bytes are gathered by the warp together (`dsv4c.ldmatrix.x4/x2`,
    whose 8x8 16-bit matrices are the fragment registers).
    The instructions sum each chunk of at most 128 k from zero; the chunk's
    sums are then scaled (block scales are constant over a chunk) and added
    to the accumulators in f32, which keeps long dots near the reference's
    sum in k order. Rows and columns past the result's edge read zeros and
    are not written. "f8" dots gather e4m3 bytes (e2m1 codes widened
    exactly). distribute-to-threads then hands lane l of every tile to a
    thread with thread id = l (mod 32), so a warp's lanes run a tile
    together; the target defines the two helpers (CudaCompile: mma.sync).
    With widen-f8 (targets with bf16 but no e4m3 instruction: sm_80 to
    sm_88), "f8" dots gather the same e4m3 registers, widen each byte to
    bf16 (exact) and make each m16n8k32 step two bf16 m16n8k16 ones: lane
    q's k values 4q..4q+3 of a 16-k half go to its bf16 k slots 2q, 2q+1,
    8+2q, 8+2q+1, the same relabelling of k for A and B, so the sum is the
    same.
  }];
  let options = [
    Option<"widenF8", "widen-f8", "bool", /*default=*/"false",
           "f8 dots as pairs of bf16 m16n8k16 instructions on operands "
           "widened in registers (no dsv4c.mma.f8 helper needed)">,
    Option<"matrixLoads", "matrix-loads", "bool", /*default=*/"false",
           "operands planned in shared memory (plan-tile-buffers) with "
           "16-byte aligned rows are read by the warp together with "
           "dsv4c.ldmatrix.x4/x2 (the target defines them)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def ReduceToWarpShuffles : Pass<"reduce-to-warp-shuffles", "::mlir::ModuleOp"> {
  let summary = "Split marked reductions and dots over a warp's lanes";
  let description = [{
    For GPU targets with warp shuffles, after bufferization and before
    linalg-to-parallel-loops. Each `linalg.generic` marked
    `dsv4c.warp_reduce` by convert-tile-to-cpu (warp-shuffles: tile.reduces
    over 32 or more elements, and tile.dots with 32 or more k that no warp
    matrix instruction does) becomes an `scf.parallel` over (result
    element, lane of a 32-wide warp): lane l combines the generic's body
    over reduction indices l, l + 32, ... in a register (each input read
    through its indexing map, so a dot's operands are read where they lie),
    then five butterfly exchanges through `dsv4c.shuffle_xor.f32` /
    `dsv4c.shuffle_xor.i32` (value, lane mask) give every lane the total;
    every lane reads the result's old value, `dsv4c.warp_sync()` orders
    those reads before lane 0 combines the total into it (a dot's
    accumulator) and writes it. Sums come
    out in another order than the reference's k order (within the
    tolerances that allow for it). distribute-to-threads runs a warp's
    lanes together; the target defines the helpers (CudaCompile:
    shfl.sync.bfly, bar.warp.sync).
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def DistributeToThreads : Pass<"distribute-to-threads", "::mlir::ModuleOp"> {
  let summary = "Run each program on a group of threads (GPU thread block)";
  let description = [{
    For GPU targets, after bufferization and linalg-to-parallel-loops: every
    outermost `scf.parallel` of a program function becomes a loop over its
    linearised iterations strided by the thread count, between barriers, so
    the threads of a block share the work of each tile op. Code outside
    those loops runs on every thread with the same values (uniform control
    flow); a memory write there runs on thread 0 only, between barriers.
    A program that needs what this cannot express (a loop outside the
    parallel loops that both reads and writes memory and yields values)
    gets a call to `dsv4c.single_thread` and is left for one thread.

    Asynchronous copies (async-copies): each `dsv4c.copy_async_wait` moves
    down its block to the first op that may read the copied buffers, write
    global memory or call anything but a `dsv4c.*` helper, and a barrier
    follows it; a wait that reaches the next one is dropped, so copy nests
    side by side share one round trip and a loop that loads the next trip's
    tiles (pipeline-tile-loads) waits at its yield. A thread's loop of
    global loads (LLVM loads, no calls or inner loops, 2+ iterations per
    thread at 128 threads) is unrolled by 2, 4 or 8 so that several loads
    are in flight.

    The pass declares and calls `dsv4c.thread_id() -> index`,
    `dsv4c.num_threads() -> index`, `dsv4c.barrier()` and
    `dsv4c.single_thread()`; the target defines them (CudaCompile: %tid.x,
    %ntid.x, barrier.sync 0), and its tile buffers (malloc/free) must be
    shared by the block.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
}

def PlanTileBuffers : Pass<"plan-tile-buffers", "::mlir::ModuleOp"> {
  let summary = "Give a program's tile buffers fixed places in shared memory";
  let description = [{
    For GPU targets, after one-shot bufferization, before the deallocation
    pipeline. In each function whose every `memref.alloc` has a constant
    size and stays where this can follow it (views, loads and stores, ops
    on buffers, `dsv4c.*` calls, scf.for iter_args; not a return, an
    scf.if's yield, a select or another call), the buffers get byte offsets
    in one group-shared global, `dsv4c_tiles_<function>` (address space 3),
    at compile time. Each buffer is live from its alloc to its last use (to
    the end of any loop that holds a use but not the alloc, and through
    the loops that carry it); buffers live at the same time get disjoint
    bytes (largest first, first fit, 16-byte aligned). A buffer allocated
    in a loop's body and yielded to its next trip takes two places, used
    on even and odd trips. Allocs become views of the global, cast to the
    default address space, and need no dealloc. Without this, every tile
    buffer is a run-time allocation by one thread between barriers (the
    target's block_malloc/free). A function whose buffers need more than
    `shared-bytes` at once takes them from the launch's dynamic shared
    memory instead, `dsv4c_dynamic_tiles` (an external array of size 0),
    up to `dynamic-shared-bytes`; the public constant
    `dsv4c_dynamic_smem_<function>` (i32) says how many bytes its launches
    must ask for. A function that needs more is left as it is. The
    attribute `dsv4c.tile_bytes` on a planned function gives its size
    (`dsv4c.dynamic_tile_bytes` too where they are dynamic).
  }];
  let options = [
    Option<"sharedBytes", "shared-bytes", "int64_t", /*default=*/"40960",
           "the most static group-shared bytes one function's buffers may "
           "take">,
    Option<"dynamicSharedBytes", "dynamic-shared-bytes", "int64_t",
           /*default=*/"0",
           "the most dynamic shared bytes a launch may ask for, for "
           "functions whose buffers need more than shared-bytes (0: none)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}


def NumberConstantGlobals : Pass<"number-constant-globals", "::mlir::ModuleOp"> {
  let summary = "Name and place constant memref.globals by their first use";
  let description = [{
    After bufferization: each constant `memref.global` is renamed
    `dsv4c_const_<k>`, k counting first uses (`memref.get_global`) in module
    order, and the globals move to the top of the module in that order.
    Bufferization creates them in an order that can change from run to run,
    and their names and order reach the generated code: with this pass a
    compile of the same input is the same bytes.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def DropPlannedDeallocs : Pass<"drop-planned-deallocs", "::mlir::ModuleOp"> {
  let summary = "Remove the deallocation checks of planned programs";
  let description = [{
    After the buffer deallocation pipeline, before its deallocs are lowered.
    A function that plan-tile-buffers planned (`dsv4c.tile_bytes`) allocates
    nothing, so each `bufferization.dealloc` in it frees nothing: loop-
    carried buffers still get run-time ownership flags and alias checks
    (the deallocation helper, a call per loop trip, its flag arrays written
    by every thread). Each such dealloc goes away and the ownership it
    would report for its retained buffers is false.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

#endif
