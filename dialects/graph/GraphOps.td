//===- GraphOps.td - graph dialect operations --------------*- tablegen -*-===//
//
// Semantics are specified in docs/graph-dialect.md.
//
//===----------------------------------------------------------------------===//

#ifndef DSV4C_GRAPH_OPS_TD
#define DSV4C_GRAPH_OPS_TD

include "dialects/graph/GraphBase.td"
include "mlir/Interfaces/FunctionInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"

class Graph_Op<string mnemonic, list<Trait> traits = []>
    : Op<Graph_Dialect, mnemonic, traits> {
  let hasVerifier = 1;
}

// Operands a launch passes to a kernel: buffers (as `!tile.ptr`) and the
// kernel scalar types.
def Graph_LaunchArg : AnyTypeOf<[Graph_BufferType, Index, I32, I64, F16, BF16,
                                 F32]>;

//===----------------------------------------------------------------------===//
// Entry functions
//===----------------------------------------------------------------------===//

def Graph_FuncOp : Graph_Op<"func", [
    FunctionOpInterface, IsolatedFromAbove, Symbol]> {
  let summary = "an entry function of a model (e.g. @prefill, @decode)";
  let description = [{
    The runtime calls an entry function with buffers and index scalars (e.g.
    the number of tokens). It binds buffers and launches kernels in program
    order; it returns nothing.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<FunctionType>:$function_type,
                       OptionalAttr<DictArrayAttr>:$arg_attrs,
                       OptionalAttr<DictArrayAttr>:$res_attrs);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Region *getCallableRegion() { return &getBody(); }
    ::llvm::ArrayRef<::mlir::Type> getArgumentTypes() {
      return getFunctionType().getInputs();
    }
    ::llvm::ArrayRef<::mlir::Type> getResultTypes() {
      return getFunctionType().getResults();
    }
    bool isDeclaration() { return false; }
  }];
}

def Graph_ReturnOp : Graph_Op<"return", [Pure, Terminator,
                                         HasParent<"FuncOp">]> {
  let summary = "ends an entry function";
  let assemblyFormat = "attr-dict";
  let hasVerifier = 0;
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

def Graph_BufferOp : Graph_Op<"buffer"> {
  let summary = "bind a named buffer (weight, activation or cache)";
  let description = [{
    `%w = graph.buffer "layers.0.attn.wq_a.weight" weight : !graph.buffer<...>`
    names a buffer the runtime provides: a weight of the bundle, an
    activation (scratch, live for one call) or a cache (kept across calls).
    Dynamic dims are given as index operands, one per `?` in order.
  }];
  let arguments = (ins StrAttr:$name, Graph_BufferKindAttr:$kind,
                       Variadic<Index>:$dynamic_dims);
  let results = (outs Graph_BufferType:$result);
  let assemblyFormat = [{
    $name custom<BufferKind>($kind) (`[` $dynamic_dims^ `]`)? attr-dict
    `:` qualified(type($result))
  }];
}

def Graph_DimOp : Graph_Op<"dim", [Pure]> {
  let summary = "the extent of one dim of a buffer";
  let arguments = (ins Graph_BufferType:$buffer, I64Attr:$index);
  let results = (outs Index:$result);
  let assemblyFormat = [{
    $buffer `,` $index attr-dict `:` qualified(type($buffer))
  }];
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

def Graph_LaunchOp : Graph_Op<"launch", [
    AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "launch a tile.kernel of the module on a 1-3 dim grid";
  let description = [{
    Runs every program of the grid `[n0(, n1(, n2))]` of the kernel `@callee`
    with the given arguments: a buffer is passed as a `!tile.ptr` to its base
    (same element type), a scalar as itself (same type). Launches run in
    program order: a launch sees every store of the launches before it.
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<Index>:$grid,
                       Variadic<Graph_LaunchArg>:$args);
  let assemblyFormat = [{
    $callee `grid` `[` $grid `]` `(` $args `)` attr-dict
    `:` `(` qualified(type($args)) `)`
  }];
}

#endif // DSV4C_GRAPH_OPS_TD
