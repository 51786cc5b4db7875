// The MoE gate's picks as the routed experts' row lists, on the device (no
// download): the rows of all m * 6 picks grouped by expert, experts
// ascending, each expert's tokens ascending (the order of the official
// loop `idx, top = torch.where(indices == i)`).
// idx: i32 [m, 6] (moe_gate's picks; a token picks an expert at most once);
// E <= 512 experts (moe_gate's limit). With tensor-parallel ranks a rank
// holds experts [expert0, expert0 + E) of the model's: pick p is its
// expert p - expert0, and the other ranks' picks are skipped.
//
// @moe_route_count: per expert, its picks (count), its first row (the
// exclusive prefix sum of the counts) and its place among the experts with
// picks (group); and g, the number of experts with picks:
//   info: i32 [3 * E + 1] = count[E], first[E], group[E], g.
// Picks outside [expert0, expert0 + E) are counted nowhere (moe_route_place
// skips them). One program; grid (1).
tile.kernel @moe_route_count(%idx: !tile.ptr<i32>, %info: !tile.ptr<i32>,
                             %n: index, %e: index, %expert0: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c511 = arith.constant 511 : index
  %zero = arith.constant 0 : i32
  %one = arith.constant 1 : i32
  %neg1 = arith.constant -1 : i32
  %c16 = arith.constant 16 : index
  %experts = tile.iota : tensor<512xi32>
  %experts2 = tile.reshape %experts : tensor<512xi32> -> tensor<1x512xi32>
  %expertsb = tile.broadcast %experts2 : tensor<1x512xi32> -> tensor<16x512xi32>
  %ones = tile.splat %one : tensor<16x512xi32>
  %zeros = tile.splat %zero : tensor<16x512xi32>
  %count0 = tile.splat %zero : tensor<512xi32>
  %first32 = arith.index_cast %expert0 : index to i32
  %firsts = tile.splat %first32 : tensor<16xi32>
  // 16 picks a trip, each expert's count a thread's sum of 16 (a reduction
  // over fewer than 32 elements stays in one thread: no warp exchange).
  %count = scf.for %j = %c0 to %n step %c16 iter_args(%acc = %count0) -> (tensor<512xi32>) {
    %pg = tile.load %idx[%j] strides[%c1] bounds[%n] other %neg1
        : !tile.ptr<i32> -> tensor<16xi32>
    // The rank's expert (padding -1 - first matches none).
    %p = arith.subi %pg, %firsts : tensor<16xi32>
    %p2 = tile.reshape %p : tensor<16xi32> -> tensor<16x1xi32>
    %pb = tile.broadcast %p2 : tensor<16x1xi32> -> tensor<16x512xi32>
    %hit = arith.cmpi eq, %pb, %expertsb : tensor<16x512xi32>
    %hits = arith.select %hit, %ones, %zeros : tensor<16x512xi1>, tensor<16x512xi32>
    %sum = tile.reduce sum %hits {dim = 0} : tensor<16x512xi32> -> tensor<512xi32>
    %next = arith.addi %acc, %sum : tensor<512xi32>
    scf.yield %next : tensor<512xi32>
  }
  %upto = tile.scan sum %count {dim = 0} : tensor<512xi32>
  %first = arith.subi %upto, %count : tensor<512xi32>
  %zero1 = tile.splat %zero : tensor<512xi32>
  %one1 = tile.splat %one : tensor<512xi32>
  %busy = arith.cmpi sgt, %count, %zero1 : tensor<512xi32>
  %busy1 = arith.select %busy, %one1, %zero1 : tensor<512xi1>, tensor<512xi32>
  %groupsUpto = tile.scan sum %busy1 {dim = 0} : tensor<512xi32>
  %group = arith.subi %groupsUpto, %busy1 : tensor<512xi32>
  %e2 = arith.muli %e, %c2 : index
  %e3 = arith.muli %e, %c3 : index
  %e31 = arith.addi %e3, %c1 : index
  tile.store %count, %info[%c0] strides[%c1] bounds[%e]
      : tensor<512xi32> -> !tile.ptr<i32>
  tile.store %first, %info[%e] strides[%c1] bounds[%e2]
      : tensor<512xi32> -> !tile.ptr<i32>
  tile.store %group, %info[%e2] strides[%c1] bounds[%e3]
      : tensor<512xi32> -> !tile.ptr<i32>
  // g: the scan's last element (experts past E counted nothing).
  %g = tile.extract %groupsUpto[%c511] : tensor<512xi32>
  %last = tile.splat %g : tensor<1xi32>
  tile.store %last, %info[%e3] strides[%c1] bounds[%e31]
      : tensor<1xi32> -> !tile.ptr<i32>
  tile.return
}

// @moe_route_place: with info from @moe_route_count, program i < m * 6
// places pick i (token t = i / 6) at its row r = first[e] + (the picks of
// expert e before i):
//   tok[r] = t (i64, the rows' gather), rows[r] = t (i32, the per-expert
//   scatter's destination), rw[r] = w[i], slots[t, q] = r with q the rank of
//   e among token t's picks (moe_gather_add adds in ascending expert order).
// A pick of another rank's expert gets slot -1 (moe_gather_add skips it).
// Program m * 6 + x writes group x of groups: i32 [G, 3] = (expert, first,
// rows) of the x-th expert with picks, or (0, 0, 0) for x >= g, so that
// @linear_fp4_grouped's programs past g do nothing.
// Grid (m * 6 + G); G <= E.
tile.kernel @moe_route_place(%idx: !tile.ptr<i32>, %w: !tile.ptr<f32>,
                             %info: !tile.ptr<i32>, %tok: !tile.ptr<i64>,
                             %rows: !tile.ptr<i32>, %rw: !tile.ptr<f32>,
                             %slots: !tile.ptr<i32>, %groups: !tile.ptr<i32>,
                             %m: index, %e: index, %ngroups: index,
                             %expert0: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c6 = arith.constant 6 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0 : i32
  %one = arith.constant 1 : i32
  %neg1 = arith.constant -1 : i32
  %big = arith.constant 2147483647 : i32
  %pid = tile.program_id 0
  %n = arith.muli %m, %c6 : index
  %isPick = arith.cmpi ult, %pid, %n : index
  scf.if %isPick {
    %i1 = arith.addi %pid, %c1 : index
    %pt = tile.load %idx[%pid] strides[%c1] bounds[%i1]
        : !tile.ptr<i32> -> tensor<1xi32>
    %p = tile.extract %pt[%c0] : tensor<1xi32>
    // Token t's picks below p: p's rank among them, its slot.
    %t = arith.divui %pid, %c6 : index
    %t0 = arith.muli %t, %c6 : index
    %t6 = arith.addi %t0, %c6 : index
    %picks1 = tile.load %idx[%t0] strides[%c1] bounds[%t6] other %big
        : !tile.ptr<i32> -> tensor<8xi32>
    %picks = tile.reshape %picks1 : tensor<8xi32> -> tensor<1x8xi32>
    %p8 = tile.splat %p : tensor<1x8xi32>
    %below = arith.cmpi slt, %picks, %p8 : tensor<1x8xi32>
    %ones8 = tile.splat %one : tensor<1x8xi32>
    %zeros8 = tile.splat %zero : tensor<1x8xi32>
    %below1 = arith.select %below, %ones8, %zeros8 : tensor<1x8xi1>, tensor<1x8xi32>
    %rank = tile.reduce sum %below1 {dim = 1} : tensor<1x8xi32> -> tensor<1xi32>
    %qs = tile.extract %rank[%c0] : tensor<1xi32>
    %qi = arith.index_cast %qs : i32 to index
    %slot = arith.addi %t0, %qi : index
    %slot1 = arith.addi %slot, %c1 : index
    // This rank's expert.
    %first32 = arith.index_cast %expert0 : index to i32
    %pl = arith.subi %p, %first32 : i32
    %e32 = arith.index_cast %e : index to i32
    %lo = arith.cmpi sge, %pl, %zero : i32
    %hi = arith.cmpi slt, %pl, %e32 : i32
    %valid = arith.andi %lo, %hi : i1
    scf.if %valid {
      %pi = arith.index_cast %pl : i32 to index
      %fi = arith.addi %e, %pi : index
      %fi1 = arith.addi %fi, %c1 : index
      %ft = tile.load %info[%fi] strides[%c1] bounds[%fi1]
          : !tile.ptr<i32> -> tensor<1xi32>
      // The picks of expert p before this one.
      %pb = tile.splat %p : tensor<1x64xi32>
      %ones = tile.splat %one : tensor<1x64xi32>
      %zeros = tile.splat %zero : tensor<1x64xi32>
      %before = scf.for %j = %c0 to %pid step %c64 iter_args(%acc = %ft) -> (tensor<1xi32>) {
        %q1 = tile.load %idx[%j] strides[%c1] bounds[%pid] other %neg1
            : !tile.ptr<i32> -> tensor<64xi32>
        %q = tile.reshape %q1 : tensor<64xi32> -> tensor<1x64xi32>
        %hit = arith.cmpi eq, %q, %pb : tensor<1x64xi32>
        %hits = arith.select %hit, %ones, %zeros : tensor<1x64xi1>, tensor<1x64xi32>
        %sum = tile.reduce sum %hits {dim = 1} : tensor<1x64xi32> -> tensor<1xi32>
        %next = arith.addi %acc, %sum : tensor<1xi32>
        scf.yield %next : tensor<1xi32>
      }
      %r = tile.extract %before[%c0] : tensor<1xi32>
      %ri = arith.index_cast %r : i32 to index
      %ri1 = arith.addi %ri, %c1 : index
      %t64 = arith.index_cast %t : index to i64
      %t32 = arith.index_cast %t : index to i32
      %tt = tile.splat %t64 : tensor<1xi64>
      %tr = tile.splat %t32 : tensor<1xi32>
      %wt = tile.load %w[%pid] strides[%c1] bounds[%i1]
          : !tile.ptr<f32> -> tensor<1xf32>
      tile.store %tt, %tok[%ri] strides[%c1] bounds[%ri1]
          : tensor<1xi64> -> !tile.ptr<i64>
      tile.store %tr, %rows[%ri] strides[%c1] bounds[%ri1]
          : tensor<1xi32> -> !tile.ptr<i32>
      tile.store %wt, %rw[%ri] strides[%c1] bounds[%ri1]
          : tensor<1xf32> -> !tile.ptr<f32>
      tile.store %before, %slots[%slot] strides[%c1] bounds[%slot1]
          : tensor<1xi32> -> !tile.ptr<i32>
    } else {
      %none = tile.splat %neg1 : tensor<1xi32>
      tile.store %none, %slots[%slot] strides[%c1] bounds[%slot1]
          : tensor<1xi32> -> !tile.ptr<i32>
    }
  } else {
    // Group entries: expert x's (x, first, count) at its group's place;
    // the places past g get zeros (the place x itself, written by no other
    // program: the busy experts' places are all below g).
    %x = arith.subi %pid, %n : index
    %xp = arith.cmpi ult, %x, %e : index
    scf.if %xp {
      %x1 = arith.addi %x, %c1 : index
      %e3 = arith.muli %e, %c3 : index
      %e31 = arith.addi %e3, %c1 : index
      %ct = tile.load %info[%x] strides[%c1] bounds[%x1]
          : !tile.ptr<i32> -> tensor<1xi32>
      %xf = arith.addi %e, %x : index
      %xf1 = arith.addi %xf, %c1 : index
      %ft = tile.load %info[%xf] strides[%c1] bounds[%xf1]
          : !tile.ptr<i32> -> tensor<1xi32>
      %e2 = arith.muli %e, %c2 : index
      %xg = arith.addi %e2, %x : index
      %xg1 = arith.addi %xg, %c1 : index
      %gt = tile.load %info[%xg] strides[%c1] bounds[%xg1]
          : !tile.ptr<i32> -> tensor<1xi32>
      %nt = tile.load %info[%e3] strides[%c1] bounds[%e31]
          : !tile.ptr<i32> -> tensor<1xi32>
      %count = tile.extract %ct[%c0] : tensor<1xi32>
      %first = tile.extract %ft[%c0] : tensor<1xi32>
      %group = tile.extract %gt[%c0] : tensor<1xi32>
      %g = tile.extract %nt[%c0] : tensor<1xi32>
      %x32 = arith.index_cast %x : index to i32
      %busy = arith.cmpi sgt, %count, %zero : i32
      %io = tile.iota : tensor<4xi32>
      %i0 = tile.splat %zero : tensor<4xi32>
      %i1t = tile.splat %one : tensor<4xi32>
      %is0 = arith.cmpi eq, %io, %i0 : tensor<4xi32>
      %is1 = arith.cmpi eq, %io, %i1t : tensor<4xi32>
      %xs = tile.splat %x32 : tensor<4xi32>
      %fs = tile.splat %first : tensor<4xi32>
      %cs = tile.splat %count : tensor<4xi32>
      %tail = arith.select %is1, %fs, %cs : tensor<4xi1>, tensor<4xi32>
      %entry = arith.select %is0, %xs, %tail : tensor<4xi1>, tensor<4xi32>
      %gi = arith.index_cast %group : i32 to index
      %at = arith.muli %gi, %c3 : index
      %at3 = arith.addi %at, %c3 : index
      scf.if %busy {
        tile.store %entry, %groups[%at] strides[%c1] bounds[%at3]
            : tensor<4xi32> -> !tile.ptr<i32>
      }
      %gx = arith.index_cast %g : i32 to index
      %past = arith.cmpi uge, %x, %gx : index
      %inG = arith.cmpi ult, %x, %ngroups : index
      %clear = arith.andi %past, %inG : i1
      scf.if %clear {
        %z = tile.splat %zero : tensor<4xi32>
        %xa = arith.muli %x, %c3 : index
        %xa3 = arith.addi %xa, %c3 : index
        tile.store %z, %groups[%xa] strides[%c1] bounds[%xa3]
            : tensor<4xi32> -> !tile.ptr<i32>
      }
    }
  }
  tile.return
}
