#!/usr/bin/env bash
# Side by side at scale: bare sentencepiece (corpus_benchmark's BM_SentencePiece_EncodeFile:
# Encode on every "text", N std::threads, texts already in memory) against the whole
# `kgforge corpus build` (read JSONL, tokenize, shuffle, write shards, checksums, manifest,
# catalog, process start included) on the same text repeated COPIES times, same tokenizer, at 1
# and 2 threads. Runs are interleaved over ROUNDS rounds (the machine is shared and noisy);
# prints per-run wall and CPU (user + system, all threads) times, medians, and ratios on the same
# bytes: bare / build wall time at the same thread count, bare / build CPU time (per-core
# throughput, less sensitive to other load), 1 -> 2 thread wall scaling. 1.00 means as fast as
# bare sentencepiece.
# Usage: benchmarks/corpus_vs_sentencepiece.sh TEXT.jsonl TOKENIZER.model KGFORGE [KGFORGE...]
#   e.g. ... data/brown/brown.jsonl out/tokenizer.model build/cli/kgforge /tmp/old/kgforge
# env: KGF_BUILD_DIR (build: where corpus_benchmark is), COPIES (10), ROUNDS (5), THREADS ("1 2")
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,12p "$0" >&2; exit 2; }
text=$(realpath "$1"); model=$(realpath "$2"); shift 2
bins=(); for b in "$@"; do bins+=("$(realpath "$b")"); done
bench=$(realpath "${KGF_BUILD_DIR:-build}/benchmarks/corpus_benchmark")
copies=${COPIES:-10}; rounds=${ROUNDS:-5}; threads=${THREADS:-1 2}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for _ in $(seq "$copies"); do cat "$text"; done > "$work/text.jsonl"
cp "$model" "$work/tokenizer.model"
cat > "$work/mix.json" <<JSON
{"seed": 1, "tokenizer": "tokenizer.model", "max_document_tokens": 1024,
 "sources": [{"name": "text", "kind": "text", "paths": ["text.jsonl"]}]}
JSON
echo "input: $copies x $(basename "$text") = $(wc -l < "$work/text.jsonl") lines, $(( $(stat -c %s "$work/text.jsonl") / 1000000 )) MB"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores"
echo "start: $(uptime)"
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
results="$work/results.tsv"
for r in $(seq "$rounds"); do
  for t in $threads; do
    KGF_BENCH_JSONL="$work/text.jsonl" KGF_BENCH_TOKENIZER="$work/tokenizer.model" \
      "$bench" --benchmark_filter="BM_SentencePiece_EncodeFile/$t/" --benchmark_min_time=0.01 \
      --benchmark_format=json > "$work/bm.json" 2>/dev/null
    bare=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["benchmarks"][0]; print(round(b["real_time"]), round(b["process_cpu_ms"]))' "$work/bm.json")
    printf 'bare\t%s\t%s\t%s\n' "$t" $bare >> "$results"
    for i in "${!bins[@]}"; do
      rm -rf "$work/out"
      start=$(date +%s%N)
      /usr/bin/time -f '%U %S' -o "$work/time.txt" \
        "${bins[$i]}" corpus build --config "$work/mix.json" --out "$work/out" --threads "$t" > /dev/null
      wall=$(ms "$start")
      cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$work/time.txt")
      printf 'kgforge%s\t%s\t%s\t%s\n' "$i" "$t" "$wall" "$cpu" >> "$results"
    done
  done
  echo "round $r: $(uptime | sed 's/.*load/load/')"
done
for i in "${!bins[@]}"; do echo "kgforge$i = ${bins[$i]}"; done
python3 - "$results" <<'PY'
import sys, statistics, collections
wall, cpu = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    who, t, w, c = line.split()
    wall[(who, int(t))].append(int(w))
    cpu[(who, int(t))].append(int(c))
mw = {k: statistics.median(v) for k, v in wall.items()}
mc = {k: statistics.median(v) for k, v in cpu.items()}
print("who        threads  wall ms (median; runs)            cpu ms (median; runs)")
for k in sorted(wall):
    print(f"{k[0]:10} {k[1]:7}  {mw[k]:6.0f}; {' '.join(map(str, wall[k])):24}  {mc[k]:6.0f}; {' '.join(map(str, cpu[k]))}")
whos = sorted({w for w, _ in wall})
ts = sorted({t for _, t in wall})
print("\nvs bare sentencepiece on the same text (bare / build; 1.00 = as fast)")
for who in whos:
    if who == "bare": continue
    print(f"{who:10} " + "  ".join(f"{t} thr: wall {mw[('bare', t)] / mw[(who, t)]:.2f} cpu {mc[('bare', t)] / mc[(who, t)]:.2f}" for t in ts))
if len(ts) > 1:
    print(f"\nscaling {ts[0]} -> {ts[-1]} threads (median wall time ratio)")
    for who in whos:
        print(f"{who:10} {mw[(who, ts[0])] / mw[(who, ts[-1])]:.2f}x")
PY
echo "end: $(uptime)"
