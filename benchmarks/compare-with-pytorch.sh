#!/usr/bin/env bash
# KernelGen's CPU backbone against PyTorch's gather-GEMM-scatter peer on the same KITTI frame, measured in one run.
# Installs the peer's packages if missing (Debian: python3-torch, python3-numpy, libopenblas0-pthread), runs the peer
# (fp32, 2 threads) and the BenchmarkDotNet backbone benchmark (fp32 and W8A8 + SmoothQuant CPU SIMD variants), and
# prints both times and the ratios. Usage: benchmarks/compare-with-pytorch.sh   (KERNELGEN_SHARED overrides ../shared)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${KERNELGEN_SHARED:-$(cd "$root/../shared" && pwd)}
frame=$shared/data/lidar/kitti_raw_2011_09_26_drive_0079_extract_0000000000.bin.gz
python=/usr/bin/python3
[ -f "$frame" ] || { echo "the KITTI frame is missing: $frame" >&2; exit 2; }
if ! "$python" -c "import torch, numpy" 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy libopenblas0-pthread
fi
out=$(mktemp -d)
echo "== PyTorch peer (gather-GEMM-scatter, fp32, 2 threads) =="
"$python" "$shared/peers/torch_sparse_backbone.py" "$frame" --cfg nusc --threads 2 --reps 3 --json "$out/peer.json"
echo "== KernelGen backbone (BenchmarkDotNet) =="
(cd "$root" && KERNELGEN_SHARED=$shared dotnet run -c Release --project benchmarks/KernelGen.Benchmarks -- \
  --filter '*BackboneBenchmarks*' --job short --exporters json --artifacts "$out/bdn" | grep -E '^// (  |total)|^\|')
"$python" - "$out" <<'PY'
import glob, json, sys
out = sys.argv[1]
peer = json.load(open(f"{out}/peer.json"))
report = json.load(open(glob.glob(f"{out}/bdn/results/*.json")[0]))
print(f"\nPyTorch {peer['torch']} fp32 gather-GEMM-scatter ({peer['device']}): {peer['total_ms']:.0f} ms, {peer['gmac']:.2f} GMAC, {peer['voxels']} voxels")
for b in report["Benchmarks"]:
    ms = b["Statistics"]["Mean"] / 1e6
    print(f"KernelGen CPU SIMD {b['Parameters']}: {ms:.0f} ms  ->  {peer['total_ms'] / ms:.1f}x faster than the peer")
PY
