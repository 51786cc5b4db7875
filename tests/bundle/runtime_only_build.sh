#!/usr/bin/env bash
# Builds the runtime-only tree (cmake -DDSV4C_RUNTIME_ONLY=ON) with g++ and a
# PATH holding no LLVM tool, checks dsv4-run needs only the C/C++ runtime
# libraries (ELF NEEDED entries), then runs a bundle compiled by this build's
# dsv4c and checks its logits equal the JIT's bit for bit.
# usage: runtime_only_build.sh SOURCE_DIR DSV4C WORK_DIR
set -euo pipefail
src=$1 dsv4c=$2 work=$3
rm -rf "$work" && mkdir -p "$work/bin"

# A PATH of plain build tools: cmake, ninja, the GNU toolchain, ccache.
for tool in cmake ninja gcc g++ cc c++ as ld ar ranlib readelf ccache; do
  if p=$(command -v "$tool"); then ln -s "$p" "$work/bin/$tool"; fi
done
clean_env=(env -i HOME="$HOME" PATH="$work/bin" LANG=C)

echo "== configure (runtime only, PATH=$work/bin)"
"${clean_env[@]}" cmake -G Ninja -S "$src" -B "$work/rt" \
  -DDSV4C_RUNTIME_ONLY=ON -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
  > "$work/configure.log"
grep -q "runtime-only build (no LLVM/MLIR)" "$work/configure.log"
if grep -Eq '^(LLVM|MLIR)_DIR:' "$work/rt/CMakeCache.txt"; then
  echo "FAIL: the runtime-only configure looked for LLVM/MLIR"; exit 1
fi
echo "== build dsv4-run"
"${clean_env[@]}" ninja -C "$work/rt" dsv4-run > "$work/build.log" ||
  { tail -30 "$work/build.log"; exit 1; }
run="$work/rt/tools/runner/dsv4-run"

echo "== ELF NEEDED of dsv4-run"
needed=$(readelf -d "$run" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "$needed"
for lib in $needed; do
  case "$lib" in
    libstdc++.so.*|libm.so.*|libgcc_s.so.*|libc.so.*|ld-linux*) ;;
    *) echo "FAIL: dsv4-run needs $lib"; exit 1 ;;
  esac
done
if echo "$needed" | grep -Eiq 'llvm|mlir'; then
  echo "FAIL: dsv4-run links LLVM/MLIR"; exit 1
fi

echo "== bundle from this build's dsv4c, run by the runtime-only dsv4-run"
"$dsv4c" gen-checkpoint "$work/m" --seed 5 > /dev/null 2>&1
"$dsv4c" compile "$work/m" -o "$work/m.dsv4" --quiet
ids=3,1,4,1,5,9,2,6,5,3,5,8
"$run" run "$work/m.dsv4" --tokens $ids --max-new-tokens 6 --ignore-eos \
  --quiet --dump-logits "$work/aot.npy"
"$dsv4c" run "$work/m" --tokens $ids --max-new-tokens 6 --ignore-eos \
  --quiet --dump-logits "$work/jit.npy"
cmp "$work/aot.npy" "$work/jit.npy"
echo "PASS: runtime-only dsv4-run logits == JIT logits (bit for bit)"
