#!/usr/bin/env bash
# KernelGen's CPU backbone against PyTorch's gather-GEMM-scatter peer on the same KITTI frame, measured in one run.
# Installs the peer's packages if missing (Debian: python3-torch, python3-numpy, libopenblas0-pthread), runs the peer
# (fp32, 2 threads), then the BenchmarkDotNet backbone benchmark (fp32, naive W8A8 and W8A8 + SmoothQuant, tuned CPU SIMD kernels)
# once per instruction-set level — every path this CPU has, without AVX-VNNI, AVX2 only (x86-64-v3) — each level with
# its own tuning cache, and prints the times and the ratios to the peer and to KernelGen's fp32.
# Usage: benchmarks/compare-with-pytorch.sh [LEVEL ...]   LEVEL: all | no-vnni | avx2 (default: all three)
#        KERNELGEN_SHARED overrides ../shared.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${KERNELGEN_SHARED:-$(cd "$root/../shared" && pwd)}
frame=$shared/data/lidar/kitti_raw_2011_09_26_drive_0079_extract_0000000000.bin.gz
python=/usr/bin/python3
levels=("$@")
[ ${#levels[@]} -gt 0 ] || levels=(all no-vnni avx2)
[ -f "$frame" ] || { echo "the KITTI frame is missing: $frame" >&2; exit 2; }
if ! "$python" -c "import torch, numpy" 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy libopenblas0-pthread
fi
out=$(mktemp -d)
echo "== PyTorch peer (gather-GEMM-scatter, fp32, 2 threads) =="
"$python" "$shared/peers/torch_sparse_backbone.py" "$frame" --cfg nusc --threads 2 --reps 3 --json "$out/peer.json"
(cd "$root" && dotnet build -c Release benchmarks/KernelGen.Benchmarks -v q -nologo | grep -E "error|Warn|Error" || true)
for level in "${levels[@]}"; do
  case $level in
    all) isa="" ;;
    no-vnni) isa=portable,vector512fma,vector256fma,avx512bw,avx2 ;;
    avx2) isa=portable,vector256fma,avx2 ;;
    *) echo "unknown level '$level' (all, no-vnni, avx2)" >&2; exit 2 ;;
  esac
  echo "== KernelGen backbone (BenchmarkDotNet), level $level ${isa:+(KERNELGEN_CPU_ISA=$isa)} =="
  (cd "$root" && KERNELGEN_SHARED=$shared KERNELGEN_CPU_ISA=$isa KERNELGEN_CACHE=$out/tuning-$level.json \
    dotnet run -c Release --no-build --project benchmarks/KernelGen.Benchmarks -- \
    --filter '*BackboneBenchmarks*' --job short --exporters json --artifacts "$out/bdn-$level" | grep -E '^// (  |total)|^\|')
done
"$python" - "$out" "${levels[@]}" <<'PY'
import glob, json, sys
out, levels = sys.argv[1], sys.argv[2:]
peer = json.load(open(f"{out}/peer.json"))
print(f"\nPyTorch {peer['torch']} fp32 gather-GEMM-scatter ({peer['device']}): {peer['total_ms']:.0f} ms, {peer['gmac']:.2f} GMAC, {peer['voxels']} voxels")
for level in levels:
    report = json.load(open(glob.glob(f"{out}/bdn-{level}/results/*.json")[0]))
    ms = {b["Parameters"]: b["Statistics"]["Mean"] / 1e6 for b in report["Benchmarks"]}
    fp32, naive, int8 = ms["Precision=fp32"], ms["Precision=w8a8-naive"], ms["Precision=w8a8-smooth"]
    print(f"level {level:8} fp32 {fp32:6.1f} ms ({peer['total_ms'] / fp32:4.1f}x the peer)   "
          f"naive W8A8 {naive:6.1f} ms ({fp32 / naive:.2f}x KernelGen fp32)   "
          f"W8A8+SQ {int8:6.1f} ms ({peer['total_ms'] / int8:4.1f}x the peer, {fp32 / int8:.2f}x KernelGen fp32)")
PY
