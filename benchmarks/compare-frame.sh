#!/usr/bin/env bash
# The whole CPU frame — voxelize, kernel maps, network — of `kernelgen run` against the PyTorch peer's frame (its NumPy
# kernel maps + its gather-GEMM-scatter convs), and kernelgen's peak memory, on the shared KITTI frame, per built-in
# model, in one run (#34). For each model: the peer (fp32, 2 threads); then `kernelgen run` with fp32, with a
# calibrated profile's recipe plan (int8 with the first three convs fp32) and its policy plan, each for --frames N
# warm frames (medians) under /usr/bin/time -v, plus a one-warm-frame run (the default) for its peak memory.
# The profile is calibrated on the frame's front, left and right sectors (benchmarks/kitti_sectors.py), as
# docs/BENCHMARKS.md's #32 section does. Prints a table; the JSON and logs stay in the temporary folder it names.
# Usage: benchmarks/compare-frame.sh [FRAMES]   (default 10)   KERNELGEN_SHARED overrides ../shared.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${KERNELGEN_SHARED:-$(cd "$root/../shared" && pwd)}
frame=$shared/data/lidar/kitti_raw_2011_09_26_drive_0079_extract_0000000000.bin.gz
frames=${1:-10}
python=/usr/bin/python3
[ -f "$frame" ] || { echo "the KITTI frame is missing: $frame" >&2; exit 2; }
if ! "$python" -c "import torch, numpy" 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy libopenblas0-pthread
fi
out=$(mktemp -d)
echo "results in $out; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
(cd "$root" && dotnet build -c Release runtime/KernelGen.Cli -v q -nologo | grep -E " error |rror\(s\)" || true)
kernelgen=$root/runtime/KernelGen.Cli/bin/Release/net10.0/kernelgen
export KERNELGEN_CACHE=$out/tuning.json
"$python" "$root/benchmarks/kitti_sectors.py" "$frame" "$out/sectors" > /dev/null
for model in centerpoint second; do
  cfg=$([ $model = centerpoint ] && echo nusc || echo kitti)
  echo "== $model: PyTorch peer (NumPy maps + gather-GEMM-scatter, fp32, 2 threads)"
  "$python" "$shared/peers/torch_sparse_backbone.py" "$frame" --model $model --cfg $cfg --threads 2 --reps 3 --json "$out/peer-$model.json" | tail -1
  echo "== $model: calibrating a profile on the front, left and right sectors"
  "$kernelgen" calibrate --model $model --inputs "$out/sectors/front.bin" "$out/sectors/left.bin" "$out/sectors/right.bin" \
    --out "$out/profile-$model.json" --accelerator cpu > "$out/calibrate-$model.log"
  for run in fp32 recipe policy; do
    case $run in
      fp32) args=(--quant fp32) ;;
      recipe) args=(--profile "$out/profile-$model.json" --plan recipe) ;;
      policy) args=(--profile "$out/profile-$model.json" --plan policy) ;;
    esac
    # The first call tunes (filling the cache); the measured calls read it.
    "$kernelgen" run --model $model --input "$frame" --accelerator cpu "${args[@]}" > /dev/null
    /usr/bin/time -v "$kernelgen" run --model $model --input "$frame" --accelerator cpu "${args[@]}" --frames "$frames" \
      --json "$out/$model-$run.json" > "$out/$model-$run.log" 2> "$out/$model-$run.time"
    /usr/bin/time -v "$kernelgen" run --model $model --input "$frame" --accelerator cpu "${args[@]}" \
      > /dev/null 2> "$out/$model-$run-one.time"
  done
done
"$python" - "$out" "$frames" <<'PY'
import json, re, sys
out, frames = sys.argv[1], sys.argv[2]
def rss(path):
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read()).group(1)) / 1024
print(f"\nmedians of {frames} warm frames; peak RSS of that run and of a one-warm-frame run (the default)")
print("| model | run | voxelize | maps | network | voxelize + maps ÷ network | frame | peer frame | peer ÷ frame | peak RSS (N frames / 1) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for model in ("centerpoint", "second"):
    peer = json.load(open(f"{out}/peer-{model}.json"))
    peer_frame = peer["kernel_maps_ms"] + peer["total_ms"]
    for run in ("fp32", "recipe", "policy"):
        r = json.load(open(f"{out}/{model}-{run}.json"))
        share = (r["voxelizeMs"] + r["mapsMs"]) / r["networkMs"]
        print(f"| {model} | {run} | {r['voxelizeMs']:.1f} ms | {r['mapsMs']:.1f} ms | {r['networkMs']:.1f} ms | {100 * share:.0f} % | "
              f"{r['frameMs']:.1f} ms | {peer_frame:,.0f} ms | {peer_frame / r['frameMs']:.1f}× | "
              f"{rss(f'{out}/{model}-{run}.time'):.0f} / {rss(f'{out}/{model}-{run}-one.time'):.0f} MB |")
    print(f"| {model} | peer | — | {peer['kernel_maps_ms']:,.0f} ms (NumPy) | {peer['total_ms']:,.0f} ms (fp32) | | {peer_frame:,.0f} ms | | | |")
PY
