#!/usr/bin/env bash
# `kgforge kg import` scaling, old binary vs new, side by side: generated TSVs of
# BM_Import_Generated's shape (n triples over n/4 entities, 20 relations, tails skewed u*u;
# python, seed 7) imported into a fresh store, the binaries interleaved per size. Prints per
# run the load average, wall / user+sys CPU seconds, triples per CPU second, peak RSS (MB per
# million triples) and the checksum (equal for both binaries), then per binary the per-triple
# CPU cost of the largest size over the smallest (1.00 = linear).
#
#   benchmarks/kg_import_scaling.sh OLD_KGFORGE NEW_KGFORGE [MILLIONS...]   (default 1 2 5 10)
#
# Inputs are written once under $KGF_SCALING_DIR (default /tmp/kgimp; 10M is 200 MB).
set -euo pipefail
old=$(realpath "$1"); new=$(realpath "$2"); shift 2
if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(1 2 5 10); fi
dir=${KGF_SCALING_DIR:-/tmp/kgimp}
mkdir -p "$dir"
for m in "${sizes[@]}"; do
  [ -f "$dir/gen_${m}M.tsv" ] && continue
  python3 - "$((m * 1000000))" "$dir/gen_${m}M.tsv" <<'PY'
import random, sys
n = int(sys.argv[1]); rng = random.Random(7); ne = n // 4
with open(sys.argv[2], "w") as f:
    buf = []
    for i in range(n):
        h = int(rng.random() * ne); r = int(rng.random() * 20); u = rng.random()
        buf.append(f"e{h}\tr{r}\te{int(u * u * ne)}\n")
        if len(buf) == 100000:
            f.write("".join(buf)); buf.clear()
    f.write("".join(buf))
PY
done
printf "%-4s %5s %6s %8s %8s %10s %9s  %s\n" bin M load wall_s cpu_s "trip/cpu_s" "MB/Mtrip" checksum
declare -A cpu
for m in "${sizes[@]}"; do
  for tag in old new; do
    bin=$old; [ $tag = new ] && bin=$new
    db="$dir/scaling_$tag.db"
    rm -f "$db" "$db-wal" "$db-shm" "$db.lock"
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %U %S %M" -o "$dir/time.out" "$bin" kg import "$dir/gen_${m}M.tsv" \
      --store "$db" --json > "$dir/report.json" 2>/dev/null
    read -r wall user sys rss < "$dir/time.out"
    c=$(echo "$user + $sys" | bc)
    cpu[$tag,$m]=$c
    sum=$(grep -o '"checksum":"[^"]*"' "$dir/report.json" | cut -d'"' -f4)
    printf "%-4s %5s %6s %8s %8s %10.0f %9.0f  %s\n" $tag $m "$load" "$wall" "$c" \
      "$(echo "$m * 1000000 / $c" | bc -l)" "$(echo "$rss / 1024 / $m" | bc -l)" "$sum"
    rm -f "$db" "$db-wal" "$db-shm" "$db.lock"
  done
done
first=${sizes[0]}; last=${sizes[-1]}
for tag in old new; do
  printf "%s: CPU per triple at %sM / at %sM = %.2f\n" $tag "$last" "$first" \
    "$(echo "(${cpu[$tag,$last]} / $last) / (${cpu[$tag,$first]} / $first)" | bc -l)"
done
