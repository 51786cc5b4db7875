//===- CpuPipeline.cpp - tile kernels to LLVM for the host CPU ------------===//
#include "lowering/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
/// `o`: the GPU options (all off for the CPU).
void buildPipeline(OpPassManager &pm, bool gpu, bool parallelTopK,
                   const dsv4c::GpuPipelineOptions &o) {
  if (o.asyncCopies)
    pm.addPass(dsv4c::createPipelineTileLoads());
  // Only where the operands are staged by copies and planned in shared
  // memory, which the instruction reads them from.
  if (o.warpgroupMma && o.warpMma && o.asyncCopies && o.planTileBytes > 0) {
    dsv4c::MarkWarpgroupDotsOptions mark;
    mark.f8 = o.warpgroupMmaF8;
    pm.addPass(dsv4c::createMarkWarpgroupDots(mark));
  }
  dsv4c::ConvertTileToCPUOptions tileOptions;
  tileOptions.parallelTopK = parallelTopK;
  tileOptions.threadedDot = gpu;
  tileOptions.warpMma = o.warpMma;
  tileOptions.warpShuffles = o.warpShuffles;
  tileOptions.asyncCopies = o.asyncCopies;
  tileOptions.parallelStores = o.parallelStores;
  tileOptions.hardwareE4m3 = o.hardwareE4m3;
  tileOptions.atomicScope = o.atomicScope;
  pm.addPass(dsv4c::createConvertTileToCPU(tileOptions));
  pm.addPass(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  if (o.fuseElementwise) {
    pm.addPass(dsv4c::createFuseElementwiseTiles());
    pm.addPass(createCanonicalizerPass());
  }

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  // Tiles carried by scf.for are new values each iteration.
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(dsv4c::createNumberConstantGlobals());
  if (gpu && o.planTileBytes > 0) {
    // Before the deallocation pipeline: planned buffers are never freed.
    dsv4c::PlanTileBuffersOptions plan;
    plan.sharedBytes = o.planTileBytes;
    plan.dynamicSharedBytes = o.planDynamicTileBytes;
    pm.addPass(dsv4c::createPlanTileBuffers(plan));
  }
  if (gpu && o.planTileBytes > 0) {
    // The deallocation pipeline (buildBufferDeallocationPipeline), with the
    // planned programs' deallocs dropped before they are lowered.
    memref::ExpandReallocPassOptions expand;
    expand.emitDeallocs = false;
    pm.addPass(memref::createExpandReallocPass(expand));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(bufferization::createOwnershipBasedBufferDeallocationPass());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(bufferization::createBufferDeallocationSimplificationPass());
    pm.addPass(dsv4c::createDropPlannedDeallocs());
    pm.addPass(bufferization::createLowerDeallocationsPass());
    pm.addPass(createCSEPass());
    pm.addPass(createCanonicalizerPass());
  } else {
    bufferization::BufferDeallocationPipelineOptions dealloc;
    bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  }

  if (gpu) {
    if (o.warpMma) {
      dsv4c::DotToWarpMmaOptions mma;
      mma.widenF8 = !o.warpMmaF8;
      mma.matrixLoads = o.warpMatrixLoads;
      pm.addPass(dsv4c::createDotToWarpMma(mma));
    }
    if (o.warpShuffles)
      pm.addPass(dsv4c::createReduceToWarpShuffles());
    // Tile ops as parallel loops, shared out over a block's threads.
    pm.addPass(createConvertLinalgToParallelLoopsPass());
    // The deallocation helper's barriers must sit in uniform code: make it
    // now (not in finalize-memref-to-llvm) and inline it.
    pm.addPass(bufferization::createLowerDeallocationsPass());
    pm.addPass(createInlinerPass());
    pm.addPass(createSymbolDCEPass());
    pm.addPass(dsv4c::createDistributeToThreads());
  } else {
    pm.addPass(createConvertLinalgToLoopsPass());
  }
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  arith::ArithEmulateUnsupportedFloatsOptions emulate;
  emulate.sourceTypeStrs = {"f8E4M3FN", "f4E2M1FN", "f8E8M0FNU"};
  emulate.targetTypeStr = "f32";
  pm.addPass(arith::createArithEmulateUnsupportedFloats(emulate));
  dsv4c::ExpandSmallFloatsOptions expand;
  expand.hardwareE4m3 = gpu && o.hardwareE4m3;
  pm.addPass(dsv4c::createExpandSmallFloats(expand));

  if (gpu)
    pm.addPass(dsv4c::createApproximateMath());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // Intrinsics first; libm only for what LLVM has no intrinsic for (tanh, erf).
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}
} // namespace

void dsv4c::buildCpuPipeline(OpPassManager &pm, bool parallelTopK) {
  buildPipeline(pm, false, parallelTopK, GpuPipelineOptions());
}
void dsv4c::buildGpuPipeline(OpPassManager &pm,
                             const GpuPipelineOptions &options) {
  buildPipeline(pm, true, true, options);
}

void dsv4c::registerDsv4cLoweringPasses() {
  registerConvertTileToCPU();
  registerExpandSmallFloats();
  registerApproximateMath();
  registerDistributeToThreads();
  registerDotToWarpMma();
  registerReduceToWarpShuffles();
  registerFuseElementwiseTiles();
  registerNumberConstantGlobals();
  registerPlanTileBuffers();
  registerPipelineTileLoads();
  registerMarkWarpgroupDots();
  registerDropPlannedDeallocs();
  PassPipelineRegistration<>(
      "dsv4c-cpu-pipeline",
      "Lower tile kernels to the LLVM dialect for the host CPU",
      [](OpPassManager &pm) { buildCpuPipeline(pm); });
  PassPipelineRegistration<GpuPipelineOptions>(
      "dsv4c-gpu-pipeline",
      "Lower tile kernels to the LLVM dialect for a GPU backend: programs "
      "on thread blocks (distribute-to-threads), math approximated",
      [](OpPassManager &pm, const GpuPipelineOptions &options) {
        buildGpuPipeline(pm, options);
      });
}
