//===- GpuAbi.h - how runtimes launch kernels of the GPU targets -*- C++ -*-===//
//
// Shared by the compiler side (GpuModule) and the runtime side of every GPU
// target, which links no LLVM. A tile.kernel K with N arguments becomes an
// entry in the ISA's kernel calling convention:
//
//   device malloc (cuda):  K(arg0, ..., argN-1, u64 gx, u64 gy, u64 gz)
//     A launch has one group per program; group g runs program
//     (g % gx, g / gx % gy, g / (gx * gy)).
//
//   arena (hip, level_zero, opencl):
//     K(arg0, ..., argN-1, u64 gx, u64 gy, u64 gz, ptr heap,
//       u64 heapBytesPerGroup, u64 groups)
//     A launch has `groups` groups (as many as fit; at most gx * gy * gz);
//     group g runs programs g, g + groups, ... Its tile buffers come from
//     heap[S + g * heapBytesPerGroup, S + (g + 1) * heapBytesPerGroup) with
//     S = kArenaStatusBytes. A program that needs more sets the u32 status
//     flag at heap[0] to 1 and reuses its slice (wrong results, which the
//     runtime reports: ArenaRunner.h).
//
// Every group has kThreadsPerGroup threads. Pointers are device addresses;
// index arguments are 64-bit; f16/bf16 are passed as their 16 bits.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_GPU_GPUABI_H
#define DSV4C_TARGETS_GPU_GPUABI_H

#include <cstdint>

namespace dsv4c::gpu {

/// Threads of the group that runs one program.
inline constexpr unsigned kThreadsPerGroup = 128;

/// Arguments an arena entry takes after the kernel's own.
inline constexpr unsigned kArenaExtraArguments = 6;

/// Bytes at the start of an arena heap before the slices: a u32 status flag.
inline constexpr uint64_t kArenaStatusBytes = 16;

/// Bytes each buffer of the tile heap carries before its data (its size).
inline constexpr uint64_t kTileBufferHeader = 16;

/// How an arena launch uses a tile heap of `heapBytes`: slices of
/// kArenaBytesPerGroup, as many groups as there are slices (at most one per
/// program).
inline constexpr uint64_t kArenaBytesPerGroup = uint64_t(8) << 20;
inline uint64_t arenaGroups(uint64_t programs, uint64_t heapBytes) {
  uint64_t slices = heapBytes < kArenaStatusBytes
                        ? 0
                        : (heapBytes - kArenaStatusBytes) / kArenaBytesPerGroup;
  return programs < slices ? programs : slices;
}

} // namespace dsv4c::gpu

#endif
