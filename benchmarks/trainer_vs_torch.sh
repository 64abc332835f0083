#!/usr/bin/env bash
# Side by side, one core each, interleaved rounds: kgforge's train step (trainer_benchmark's
# BM_TrainStep_*OneCore, CPU time) against the PyTorch peer (torch_train_step.py, process CPU
# time, torch.set_num_threads(1)) on the same presets, batch (2 x 256) and step (zero grads,
# forward + backward with balance and z losses, clip, AdamW), fp32 and bf16 (ours: bf16
# products with fp32 master weights; torch: CPU autocast to bfloat16). Prints tokens per CPU
# second per round and the medians with ratios. Usage:
#   benchmarks/trainer_vs_torch.sh [ROUNDS (3)] [PRESETS ("small small-dense ling-lite-shape")]
# Needs build/benchmarks/trainer_benchmark and Debian's python3-torch (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
presets="${2:-small small-dense ling-lite-shape}"
bench=build/benchmarks/trainer_benchmark
py=/usr/bin/python3
[ -x "$bench" ] || { echo "build first: bash scripts/build.sh" >&2; exit 1; }
$py -c "import torch" 2>/dev/null || { echo "needs python3-torch (apt install python3-torch)" >&2; exit 1; }
# SkylakeX kernels on AVX-512 CPUs only (Debian's OpenBLAS misdetects them); they fault elsewhere.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
name_of() { case "$1" in small) echo SmallMoe ;; small-dense) echo SmallDense ;; ling-lite-shape) echo LingLiteShape ;; esac; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); bf16: $(grep -qw avx512_bf16 /proc/cpuinfo && echo avx512_bf16 || echo none)"
for r in $(seq 1 "$rounds"); do
  echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
  for p in $presets; do
    n=$(name_of "$p")
    for prec in fp32 bf16; do
      filter="BM_TrainStep_${n}OneCore"
      [ "$prec" = bf16 ] && filter="BM_TrainStep_${n}Bf16OneCore"
      ours=$("$bench" --benchmark_filter="^${filter}/" --benchmark_format=json 2>/dev/null |
        $py -c 'import json,sys; b=json.load(sys.stdin)["benchmarks"][0]; print(round(b["items_per_second"],1), round(b["MFLOP/token"],2))')
      tok=${ours% *}; mflop=${ours#* }
      peer=$($py benchmarks/torch_train_step.py --preset "$p" --precision "$prec" --threads 1 \
        --steps 6 --mflop-per-token "$mflop" |
        $py -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_cpu_s"])')
      echo "$p $prec $tok $peer" | tee -a "$out" | awk '{printf "  %-16s %-5s kgforge %8.1f tok/CPU-s  pytorch %8.1f  ratio %.2fx\n", $1, $2, $3, $4, $3/$4}'
    done
  done
done
echo "medians over $rounds rounds (tokens per CPU second):"
$py - "$out" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    p, prec, ours, peer = line.split()
    rows.setdefault((p, prec), []).append((float(ours), float(peer)))
med = {k: (statistics.median(o for o, _ in v), statistics.median(t for _, t in v)) for k, v in rows.items()}
print("| preset | kgforge fp32 | kgforge bf16 | bf16/fp32 | torch fp32 | torch bf16 | ours bf16 / torch fp32 | ours bf16 / torch bf16 |")
print("|---|---|---|---|---|---|---|---|")
for p in dict.fromkeys(k[0] for k in med):
    of, tf = med[(p, "fp32")]
    ob, tb = med[(p, "bf16")]
    print(f"| {p} | {of:,.0f} | {ob:,.0f} | {ob/of:.2f}x | {tf:,.0f} | {tb:,.0f} | {ob/tf:.2f}x | {ob/tb:.2f}x |")
PY
