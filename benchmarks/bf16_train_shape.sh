#!/usr/bin/env bash
# bf16 vs fp32 products on the closed loop's training shape (tied `small`, sequence 512 x batch
# 8), interleaved rounds of 25 steps each; prints the median step time of steps 6-25 and the
# load. Usage (after examples/closed_loop/run.sh has built its corpus):
#   benchmarks/bf16_train_shape.sh [KGFORGE] [CORPUS] [ROUNDS] [VOCAB]
set -euo pipefail
k=${1:-build/cli/kgforge}; corpus=${2:-out/closed_loop/countries/corpus}; rounds=${3:-3}
vocab=${4:-2846}
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
for r in $(seq 1 "$rounds"); do
  for p in fp32 bf16; do
    "$k" train --preset small --tie-embeddings yes --vocab-size "$vocab" --data "$corpus" \
      --dataset sft --out "$out/$p$r" --seq-len 512 --batch-size 8 --steps 25 --lr 2e-3 \
      --warmup-steps 100 --log-every 1 --no-progress --precision "$p" \
      --checkpoint-every 1000 > /dev/null 2>&1
    python3 - "$out/$p$r/metrics.jsonl" "$p" "$r" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, statistics, sys
xs = [json.loads(l) for l in open(sys.argv[1]) if '"step_seconds"' in l]
s = [x["step_seconds"] for x in xs if x["step"] > 5]
t = [x["tokens_per_s"] for x in xs if x["step"] > 5]
print(f"{sys.argv[2]} round {sys.argv[3]}: median step {statistics.median(s) * 1000:.0f} ms, "
      f"{statistics.median(t):.0f} tokens/s (load {sys.argv[4]})")
PY
  done
done
