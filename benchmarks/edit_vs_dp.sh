#!/usr/bin/env bash
# Time to a target loss: synchronous data parallel vs EDiT time-based local SGD, 2 ranks, one
# rank slowed to about half speed (the --test-slow-ms hook sleeps inside its every update).
#   bash benchmarks/edit_vs_dp.sh CORPUS_DIR [STEPS] [TARGET_LOSS] [SLOW_MS]
# CORPUS_DIR: a `kgforge corpus build` output with a pretrain dataset (the quick start's works).
# Prints wall seconds to the first logged loss <= TARGET for each mode and their ratio.
set -euo pipefail
corpus=$1
steps=${2:-200}
target=${3:-6.0}
slow_ms=${4:-0}
kgforge=${KGFORGE:-build/cli/kgforge}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(train --preset small --data "$corpus" --dataset pretrain --seq-len 128 --batch-size 8
        --warmup-steps 10 --lr 2e-3 --log-every 1 --no-progress --threads 1
        --checkpoint-every 0 --no-spike-detection)
# Calibrate the slow rank's sleep to its own update time (so it runs at about half speed).
if [ "$slow_ms" = 0 ]; then
  mpirun --allow-run-as-root --oversubscribe -np 2 "$kgforge" "${common[@]}" \
    --steps 6 --out "$work/cal" > /dev/null 2>&1
  slow_ms=$(python3 -c "import json;l=[json.loads(x) for x in open('$work/cal/metrics.jsonl')][2:];print(int(1000*sum(m['ranks'][1]['compute'] for m in l)/len(l)))")
fi
echo "slow rank sleeps ${slow_ms} ms per update (about its own compute time)"
run() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  mpirun --allow-run-as-root --oversubscribe -np 2 "$kgforge" "${common[@]}" \
    --steps "$steps" --out "$work/$name" --test-slow-rank 1 --test-slow-ms "$slow_ms" "$@" > "$work/$name.log" 2>&1
  t1=$(date +%s.%N)
  python3 - "$work/$name/metrics.jsonl" "$target" "$t0" "$t1" "$name" <<'PY'
import json, sys
path, target, t0, t1, name = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
elapsed = 0.0
hit = None
for line in open(path):
    m = json.loads(line)
    if "step_seconds" not in m: continue
    elapsed += m["step_seconds"]
    if hit is None and m["loss"] <= target: hit = (m["step"], elapsed)
print(f"{name}: wall {t1 - t0:.1f} s for the run; " +
      (f"loss <= {target} at update {hit[0]} after {hit[1]:.1f} s" if hit else f"never reached loss {target}"))
open(path + ".hit", "w").write(str(hit[1] if hit else "nan"))
PY
}
run dp --sync dp
run edit --sync local-sgd --sync-seconds 2 --local-sgd-warmup 10
python3 -c "
a=float(open('$work/dp/metrics.jsonl.hit').read()); b=float(open('$work/edit/metrics.jsonl.hit').read())
print(f'time to loss $target: dp {a:.1f} s, EDiT {b:.1f} s, speed-up {a/b:.2f}x')"
