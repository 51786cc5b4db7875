//===- GraphBase.td - graph dialect, types and attributes --*- tablegen -*-===//
//
// The graph dialect is the launch-level IR a model bundle stores and the
// runtime executes: named buffers with static and dynamic dims, launches of
// tile kernels on grids computed from those dims, and entry functions.
//
//===----------------------------------------------------------------------===//

#ifndef DSV4C_GRAPH_BASE_TD
#define DSV4C_GRAPH_BASE_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"

def Graph_Dialect : Dialect {
  let name = "graph";
  let cppNamespace = "::dsv4c::graph";
  let summary = "Launch-level IR: buffers, kernel launches, entry functions";
  let description = [{
    A `graph.func` (e.g. `@prefill`, `@decode`) is an entry point the runtime
    calls. It binds named buffers (weights, activations, caches) and launches
    `tile.kernel`s of the same module on grids computed from dynamic dims.
  }];
  let dependentDialects = ["::dsv4c::tile::TileDialect"];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

class Graph_TypeDef<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Graph_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Graph_BufferType : Graph_TypeDef<"Buffer", "buffer"> {
  let summary = "a dense row-major buffer in device memory";
  let description = [{
    `!graph.buffer<?x4096xbf16>` is a dense, row-major buffer of a tile
    element type. Dims are static (>= 0) or dynamic (`?`); dynamic dims are
    fixed when the buffer is bound (`graph.buffer`) or passed to an entry
    function. A launch passes the buffer's base address as a `!tile.ptr`.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        "::mlir::Type":$elementType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRank() const { return getShape().size(); }
    bool isDynamicDim(unsigned dim) const {
      return ::mlir::ShapedType::isDynamic(getShape()[dim]);
    }
    /// Number of `?` dims.
    unsigned getNumDynamicDims() const;
  }];
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Graph_BufferKind : I32EnumAttr<"BufferKind", "what a buffer holds", [
    I32EnumAttrCase<"Weight", 0, "weight">,
    I32EnumAttrCase<"Activation", 1, "activation">,
    I32EnumAttrCase<"Cache", 2, "cache">]> {
  let cppNamespace = "::dsv4c::graph";
  let genSpecializedAttr = 0;
}
def Graph_BufferKindAttr
    : EnumAttr<Graph_Dialect, Graph_BufferKind, "buffer_kind"> {
  let assemblyFormat = "$value";
}

#endif // DSV4C_GRAPH_BASE_TD
