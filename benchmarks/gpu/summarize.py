#!/usr/bin/env python3
"""Summarizes one benchmarks/gpu/run-on-device.sh run (a folder of logs and JSON) as markdown on stdout and
summary.json in that folder: the card, the test and ptxas results, the CenterPoint backbone per layer in fp32, fp16 and
W8A8 + SmoothQuant against the PyTorch peer, and the tuner's choice per layer with its speed-up over the best CUDA-core
kernel (GPU-style, barrier-free or generic) it was timed against, and the best register-staged tensor-core kernel
against the best cp.async pipeline (with any pipelined candidate that failed to run)."""
import json, os, re, sys

work, tuning_path = sys.argv[1], sys.argv[2]

def load(name):
    path = os.path.join(work, name)
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def read(name):
    try:
        with open(os.path.join(work, name)) as f:
            return f.read()
    except OSError:
        return ""

gpu = read("gpu.csv").strip()
steps = [line.split("\t") for line in read("steps.tsv").splitlines() if line]
tests = re.search(r"Total: (\d+), Errors: (\d+), Failed: (\d+), Skipped: (\d+)", read("cuda-tests.log"))
failures = re.findall(r"^\s*(\S+) \[FAIL\]", read("cuda-tests.log"), re.M)
ptxas = [line.split("\t") for line in read("ptxas.tsv").splitlines()[1:] if line]
runs = {q: load(f"run-{q}.json") for q in ("fp32", "fp16", "w8a8-smooth")}
peers = {d: load(f"peer-{d}.json") for d in ("fp16", "fp32")}
try:
    with open(tuning_path) as f:
        tuning = json.load(f).get("Entries", {})
except (OSError, ValueError):
    tuning = {}

summary = {"gpu": gpu, "steps": steps, "tests": tests.groups() if tests else None, "test_failures": failures,
           "ptxas": ptxas, "runs": runs, "peers": {d: p and {k: p[k] for k in ("total_ms", "gmac", "voxels")} for d, p in peers.items()}}

print(f"# KernelGen on {gpu}\n")
print("| step | exit | s |\n|---|---:|---:|")
for name, rc, seconds in steps:
    print(f"| {name} | {rc} | {seconds} |")
if tests:
    print(f"\nCUDA + PTX tests: {tests.group(1)} total, {tests.group(3)} failed, {tests.group(2)} errors, {tests.group(4)} skipped"
          + (f"; failed: {', '.join(failures)}" if failures else ""))
ok = sum(1 for p in ptxas if p[1] == "ok")
print(f"\nptxas -arch=sm_90: {ok} of {len(ptxas)} kernels accepted.")
tensor = [p for p in ptxas if "TensorCore" in p[0]]
if tensor:
    print("\n| tensor-core kernel (test layers) | registers | stack B | spill B | IMMA | HMMA | SHFL | LDGSTS (cp.async) |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|")
    for p in tensor:
        print(f"| {p[0].split('.')[-1]} ({p[0].split('.')[-2]}) | {p[2]} | {p[3]} | {p[4]} | {p[5]} | {p[6]} | {p[7]} | {p[8] if len(p) > 8 else '?'} |")

# The backbone, per layer.
nodes = next((r["nodes"] for r in runs.values() if r), [])
if nodes:
    print("\n## CenterPoint backbone, shared KITTI frame (warm frame; per-node times include launch and synchronisation)\n")
    header = "| node | " + " | ".join(f"{q} kernel | {q} ms" for q in runs) + " |"
    print(header + "\n|---|" + "---|---:|" * len(runs))
    for i, node in enumerate(nodes):
        cells = []
        for q, r in runs.items():
            n = r["nodes"][i] if r else None
            cells += [n["kernel"] if n else "—", f"{n['ms']:.3f}" if n else "—"]
        print(f"| {node['node']} | " + " | ".join(cells) + " |")
    print("| **network** | " + " | ".join(f" | **{r['networkMs']:.2f}**" if r else " | —" for r in runs.values()) + " |")
    print()
    # The frame from the raw scan: voxelize (on the device), kernel maps, network — medians of the warm frames.
    print("| per frame (median of warm frames) | " + " | ".join(runs) + " |\n|---|" + "---:|" * len(runs))
    for phase, key in (("voxelize", "voxelizeMs"), ("kernel maps", "mapsMs"), ("network", "networkMs"), ("**frame**", "frameMs")):
        print(f"| {phase} | " + " | ".join(f"{r[key]:.2f}" if r and key in r else "—" for r in runs.values()) + " |")
    summary["frames"] = {q: {k: r.get(k) for k in ("voxelizeMs", "mapsMs", "networkMs", "frameMs")} for q, r in runs.items() if r}
    print()
    peer16 = peers.get("fp16")
    for q, r in runs.items():
        if r and peer16:
            print(f"- {q}: {r['networkMs']:.2f} ms; PyTorch fp16 gather-GEMM-scatter {peer16['total_ms']:.2f} ms → "
                  f"{peer16['total_ms'] / r['networkMs']:.1f}× faster")
    for d, p in peers.items():
        if p:
            print(f"- PyTorch peer {d}: {p['total_ms']:.2f} ms for {p['gmac']:.2f} GMAC ({p['voxels']} voxels)")

# The tuner: per CUDA entry, the winner and its speed-up over the best CUDA-core candidate.
rows = []
for key, entry in tuning.items():
    if not key.startswith("Cuda"):
        continue
    parts = key.split("|")
    timed = {t["Name"]: t["MedianMs"] for t in entry["Trials"] if t.get("Outcome") == "Timed" and t.get("MedianMs")}
    cuda_core = {n: ms for n, ms in timed.items() if not n.endswith("TensorCore")}
    # Tensor-core kernels gathering through registers against the cp.async pipelines ([Tile(AsyncStages = …)]).
    staged = [ms for n, ms in timed.items() if n.endswith("TensorCore") and "_Async" not in n]
    pipelined = [ms for n, ms in timed.items() if n.endswith("TensorCore") and "_Async" in n]
    failed = [f"{t['Name']}: {t.get('Reason') or t.get('Outcome')}" for t in entry["Trials"]
              if "_Async" in t["Name"] and t.get("Outcome") not in ("Timed", "Dropped")]
    winner = entry["Winner"]
    best_core = min(cuda_core.items(), key=lambda kv: kv[1]) if cuda_core else None
    rows.append({"layer": " ".join(parts[3:6]), "needs": parts[-2], "winner": winner, "winner_ms": timed.get(winner),
                 "best_cuda_core": best_core[0] if best_core else None, "best_cuda_core_ms": best_core[1] if best_core else None,
                 "best_register_staged_ms": min(staged) if staged else None, "best_cp_async_ms": min(pipelined) if pipelined else None,
                 "cp_async_failures": failed})
summary["tuner"] = rows
if rows:
    print("\n## Tuner choices on this GPU (sampled rows; speed-up = best CUDA-core candidate ÷ winner)\n")
    print("| layer | needs | winner | ms | best CUDA-core | ms | speed-up | tensor core: registers ms | cp.async ms |\n"
          "|---|---|---|---:|---|---:|---:|---:|---:|")
    for r in rows:
        speedup = f"{r['best_cuda_core_ms'] / r['winner_ms']:.1f}×" if r["winner_ms"] and r["best_cuda_core_ms"] else "—"
        print(f"| {r['layer']} | {r['needs']} | {r['winner']} | {r['winner_ms']} | {r['best_cuda_core']} | {r['best_cuda_core_ms']} | {speedup} "
              f"| {r['best_register_staged_ms'] or '—'} | {r['best_cp_async_ms'] or '—'} |")
    failures = [f for r in rows for f in r["cp_async_failures"]]
    if failures:
        print(f"\ncp.async candidates that did not run ({len(failures)}):\n" + "\n".join(f"- {f}" for f in sorted(set(failures))))

with open(os.path.join(work, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
