#!/usr/bin/env bash
# Kill and rerun (label `reliability`): `filter` and `corpus build` are killed (SIGKILL) at
# seeded random moments, then rerun with the same command; the output must be byte-identical
# to an uninterrupted run and nothing the killed run left (temp files / folders) may remain.
# Usage: kill_rerun_test.sh KGFORGE_BINARY [KILLS]
set -euo pipefail
kgforge=$1
kills=${2:-6}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# ~14 MB of English-like JSON Lines text, deterministic.
/usr/bin/python3 - <<'PY'
import json, random
rng = random.Random(7)
words = ("the of and to in a is that for it as was with be by on not he this are or his from at "
         "which but have an they you were her she there been one all we their has would when if "
         "so no what up out who can more said will time about into only some could them other "
         "then its now these two may first any new very my like than our over such").split()
with open("text.jsonl", "w") as f:
    for i in range(30000):
        sents = []
        for _ in range(rng.randint(4, 12)):
            n = rng.randint(6, 18)
            sents.append(" ".join(rng.choice(words) for _ in range(n)).capitalize() + ".")
        f.write(json.dumps({"id": i, "text": " ".join(sents)}) + "\n")
PY
cat > rules.json <<'JSON'
{"filters": [{"type": "gopher_quality"}, {"type": "gopher_repetition"}, {"type": "c4"},
             {"type": "exact_dedup"}]}
JSON
cat > mix.json <<'JSON'
{"seed": 3, "tokenizer": "tok.model", "max_document_tokens": 256,
 "sources": [{"name": "t", "kind": "text", "paths": ["kept/text.jsonl"]}]}
JSON

# References, uninterrupted, under the names the reruns use (reports name their outputs).
"$kgforge" filter --config rules.json --out kept --rejected rejected text.jsonl > /dev/null
printf '{"seed":1,"sources":[{"name":"t","kind":"text","paths":["kept/text.jsonl"]}]}' > tmix.json
"$kgforge" corpus tokenizer train --config tmix.json --out tok.model --vocab-size 600 > /dev/null
"$kgforge" corpus build --config mix.json --out corpus > /dev/null
mv kept ref_kept && mv rejected ref_rejected && mv corpus ref_corpus
mkdir -p kept && cp ref_kept/text.jsonl kept/text.jsonl  # the corpus build's input

digest() { (cd "$1" && find . -type f ! -name 'catalog.sqlite' -print0 | sort -z | xargs -0 sha256sum); }

leftovers() {  # anything a killed run may leave, under this folder
  find . \( -name '*.tmp.*' -o -name '*.tmp-*' \) -print
}

run_killed() {  # $1: delay seconds, then the command
  local delay=$1; shift
  "$@" > /dev/null 2>&1 &
  local pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

for i in $(seq 1 "$kills"); do
  delay=$(/usr/bin/python3 -c "import random; r=random.Random($i); print(round(r.uniform(0.05, 1.2), 3))")
  # filter
  run_killed "$delay" "$kgforge" filter --config rules.json --out kept --rejected rejected text.jsonl
  "$kgforge" filter --config rules.json --out kept --rejected rejected text.jsonl > /dev/null
  if [ "$(digest kept)" != "$(digest ref_kept)" ] || [ "$(digest rejected)" != "$(digest ref_rejected)" ]; then
    echo "FAIL: filter rerun after a kill at ${delay}s differs from the uninterrupted run" >&2
    exit 1
  fi
  # corpus build (its input: the filter's output). A run killed after it finished has built
  # the whole corpus already: the rerun must then refuse to overwrite it, not rebuild.
  run_killed "$delay" "$kgforge" corpus build --config mix.json --out corpus
  if [ ! -f corpus/manifest.json ]; then
    "$kgforge" corpus build --config mix.json --out corpus > /dev/null
  fi
  if [ "$(digest corpus)" != "$(digest ref_corpus)" ]; then
    echo "FAIL: corpus build rerun after a kill at ${delay}s differs" >&2
    exit 1
  fi
  if [ -n "$(leftovers)" ]; then
    echo "FAIL: a killed run left behind:" >&2
    leftovers >&2
    exit 1
  fi
  rm -rf rejected corpus
done
echo "ok: $kills kills of filter and of corpus build, each rerun byte-identical, nothing left behind"
