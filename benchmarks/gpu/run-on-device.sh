#!/usr/bin/env bash
# Runs on the lent GPU machine, from the repository root, after benchmarks/gpu/prepare.sh here:
#   1. the CUDA test cases (every generated kernel family and the generic kernels on the GPU, against the references);
#   2. kernelgen run on CUDA: tune and run the CenterPoint backbone on the shared KITTI frame, fp32 and W8A8+SmoothQuant;
#   3. the PyTorch peer (gather-GEMM-scatter) on the same GPU in fp16.
# Everything lands in OUTDIR: logs, JSON, and summary.md.
set -uo pipefail
out=${1:?usage: run-on-device.sh OUTDIR}
mkdir -p "$out"
[ -x .gpu/app/kernelgen ] || tar -C .gpu -xJf .gpu/app.tar.xz
export KERNELGEN_CACHE="$out/tuning.json" DOTNET_CLI_TELEMETRY_OPTOUT=1
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv > "$out/gpu.csv" 2>&1
summary="$out/summary.md"
echo "# GPU run $(date -u +%F\ %T) UTC" > "$summary"
cat "$out/gpu.csv" >> "$summary"

step() { # name timeout command...
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  echo "- $name: exit $rc, $((SECONDS - start)) s" >> "$summary"
}

step cuda-tests 150 .gpu/app/KernelGen.Tests -class "*.Cuda*" -noLogo -noColor -parallelMode none -xml "$out/cuda-tests.xml"
grep -E "Total:|\[FAIL\]" "$out/cuda-tests.log" >> "$summary"
for quant in fp32 w8a8-smooth; do
  step "run-$quant" 100 .gpu/app/kernelgen run --model centerpoint --input .gpu/data/frame.bin.gz --quant "$quant" \
    --accelerator cuda --json "$out/run-$quant.json"
  tail -n 40 "$out/run-$quant.log" >> "$summary"
done
for dtype in fp16; do
  step "peer-$dtype" 60 python3 .gpu/data/torch_sparse_backbone.py .gpu/data/frame.bin.gz --device cuda --dtype "$dtype" --reps 20 \
    --json "$out/peer-$dtype.json"
  tail -n 5 "$out/peer-$dtype.log" >> "$summary"
done
cat "$summary"
