#!/usr/bin/env bash
# Runs on the lent GPU machine, from the repository root, after benchmarks/gpu/prepare.sh here:
#   1. the PTX tests, which write every test layer's PTX; ptxas (sm_90) on each, and the tensor-core kernels' SASS:
#      IMMA/HMMA present, the CPU emulation's SHFL gone, LDGSTS (cp.async) in the pipelined ones;
#   2. kernelgen run on CUDA: tune and run the CenterPoint backbone on the shared KITTI frame in fp32, fp16 and
#      W8A8 + SmoothQuant (per-layer kernels and times), 10 warm frames each for the per-frame split from the raw scan
#      (voxelize on the device, kernel maps, network: medians);
#   3. the PyTorch peer (gather-GEMM-scatter) on the same GPU in fp16 and fp32 (PEER_DTYPES overrides);
#   4. benchmarks/gpu/summarize.py: summary.md and summary.json (per-layer table, totals, tuner choices and speed-ups,
#      register-staged against cp.async tensor-core kernels);
#   5. the CUDA test cases (every generated kernel family, tensor cores included, and the networks on the GPU, against
#      the references), then the summary again with their result.
# OUTDIR gets summary.md, summary.json, tuning.json and logs.tgz (every log, JSON and PTX report).
set -uo pipefail
out=${1:?usage: run-on-device.sh OUTDIR}
work=$(mktemp -d)
mkdir -p "$out"
[ -x .gpu/app/kernelgen ] || tar -C .gpu -xJf .gpu/app.tar.xz
export KERNELGEN_CACHE="$out/tuning.json" DOTNET_CLI_TELEMETRY_OPTOUT=1 KERNELGEN_PTX_OUT="$work/ptx"
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader > "$work/gpu.csv" 2>&1
: > "$work/steps.tsv"

step() { # name timeout command...
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" > "$work/$name.log" 2>&1
  local rc=$?
  printf '%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - start))" >> "$work/steps.tsv"
  echo "$name: exit $rc, $((SECONDS - start)) s"
}

# The PTX of every test layer's kernels (the pinned-PTX snapshot needs the source tree, which does not travel).
step ptx-tests 40 .gpu/app/KernelGen.Tests -method "*Every_generated_kernel_compiles_to_ptx*" -noLogo -noColor

# ptxas accepts every kernel; the tensor-core kernels' machine code uses the tensor-core instructions.
printf 'kernel\tptxas\tregisters\tstack_bytes\tspill_bytes\tIMMA\tHMMA\tSHFL\tLDGSTS\n' > "$work/ptxas.tsv"
for ptx in "$work"/ptx/*.ptx; do
  name=$(basename "$ptx" .ptx)
  if ptxas -arch=sm_90 -v -o "$work/k.cubin" "$ptx" > "$work/ptxas-one.log" 2>&1; then status=ok; else status=FAILED; cat "$work/ptxas-one.log" >> "$work/ptxas-errors.log"; fi
  regs=$(grep -oE 'Used [0-9]+ registers' "$work/ptxas-one.log" | grep -oE '[0-9]+' | head -1)
  stack=$(grep -oE '[0-9]+ bytes stack frame' "$work/ptxas-one.log" | grep -oE '^[0-9]+' | head -1)
  spill=$(grep -oE '[0-9]+ bytes spill stores' "$work/ptxas-one.log" | grep -oE '^[0-9]+' | head -1)
  sass=$(cuobjdump -sass "$work/k.cubin" 2>/dev/null)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "${regs:-?}" "${stack:-?}" "${spill:-?}" \
    "$(grep -c 'IMMA' <<< "$sass")" "$(grep -c 'HMMA' <<< "$sass")" "$(grep -c 'SHFL' <<< "$sass")" "$(grep -c 'LDGSTS' <<< "$sass")" >> "$work/ptxas.tsv"
done
echo "ptxas: $(grep -c $'\tok\t' "$work/ptxas.tsv") ok, $(grep -c FAILED "$work/ptxas.tsv") failed"

for quant in fp32 fp16 w8a8-smooth; do
  step "run-$quant" 60 .gpu/app/kernelgen run --model centerpoint --input .gpu/data/frame.bin.gz --quant "$quant" \
    --accelerator cuda --frames 10 --json "$work/run-$quant.json"
done
for dtype in ${PEER_DTYPES:-fp16 fp32}; do
  step "peer-$dtype" 45 python3 .gpu/data/torch_sparse_backbone.py .gpu/data/frame.bin.gz --device cuda --dtype "$dtype" --reps 20 \
    --json "$work/peer-$dtype.json"
done

summarize() {
  python3 benchmarks/gpu/summarize.py "$work" "$out/tuning.json" > "$out/summary.md"
  cp "$work/summary.json" "$out/" 2>/dev/null
  tar -C "$work" -czf "$out/logs.tgz" --exclude='*.cubin' --exclude=ptx .
}
summarize # the numbers come back even if the tests below run out of time

step cuda-tests 150 .gpu/app/KernelGen.Tests -class "*.Cuda*" -noLogo -noColor -parallelMode none -xml "$work/cuda-tests.xml"
grep -E "Total:|\[FAIL\]" "$work/cuda-tests.log"
summarize
cat "$out/summary.md"
