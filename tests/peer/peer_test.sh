#!/usr/bin/env bash
# Peer checks (label `peer`) on a small graph taken through synth:
# - `kgforge export` files read with LLaMA-Factory's and NeMo's acceptance rules
#   (tests/peer/check_sft_exports.py);
# - corpus build, one training step and `kgforge model export-hf`, the directory read the way
#   Hugging Face tooling reads it (tests/peer/check_hf_export.py: jinja2 + sentencepiece +
#   safetensors layout), once per chat-template mode.
# Usage: peer_test.sh KGFORGE_BINARY
set -euo pipefail
kgforge=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A small graph of countries, capitals, languages and borders.
printf 'France\tcapital\tParis\nGermany\tcapital\tBerlin\nSpain\tcapital\tMadrid\nItaly\tcapital\tRome\n' > t.tsv
printf 'Belgium\tcapital\tBrussels\nPortugal\tcapital\tLisbon\nAustria\tcapital\tVienna\n' >> t.tsv
for pair in France:Germany France:Spain France:Belgium France:Italy Germany:Austria \
            Germany:Belgium Spain:Portugal Italy:Austria; do
  a=${pair%%:*}; b=${pair##*:}
  printf '%s\tborders\t%s\n%s\tborders\t%s\n' "$a" "$b" "$b" "$a" >> t.tsv
done
printf 'France\tlanguage\tFrench\nGermany\tlanguage\tGerman\nSpain\tlanguage\tSpanish\n' >> t.tsv
printf 'Italy\tlanguage\tItalian\nBelgium\tlanguage\tFrench\nBelgium\tlanguage\tGerman\n' >> t.tsv
printf 'Portugal\tlanguage\tPortuguese\nAustria\tlanguage\tGerman\n' >> t.tsv
"$kgforge" kg import --store kg.db t.tsv --name peer > /dev/null
"$kgforge" synth --kg kg.db --out synth --count 300 --seed 3 > /dev/null
zstd -dcq synth/shard-*.jsonl.zst > records.jsonl

mkdir exports
for f in sharegpt xlam hermes; do
  "$kgforge" export --in synth --out "exports/tool_$f.jsonl" --format "$f" > /dev/null
done
/usr/bin/python3 "$here/check_sft_exports.py" exports

cat > cfg.json <<'JSON'
{"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
 "num_experts": 4, "num_shared_experts": 1, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
 "intermediate_size": 48, "first_k_dense_replace": 1, "vocab_size": 600,
 "max_position_embeddings": 2048, "rope_theta": 10000.0, "rms_norm_eps": 1e-6,
 "norm_topk_prob": true, "norm_head": true, "tie_word_embeddings": false,
 "initializer_range": 0.02}
JSON
for compact in false true; do
  printf '{"seed": 1, "tokenizer": "tok.model", "max_document_tokens": 2048,
           "chat_template": {"compact_prompts": %s},
           "sources": [{"name": "tool_use", "kind": "tool_use", "paths": ["synth"]}]}\n' \
    "$compact" > mix.json
  rm -rf corpus run hf
  "$kgforge" corpus tokenizer train --config mix.json --out tok.model --vocab-size 600 > /dev/null
  "$kgforge" corpus build --config mix.json --out corpus > /dev/null
  "$kgforge" train --config cfg.json --data corpus --dataset sft --out run --steps 1 \
    --seq-len 1024 --batch-size 1 --no-progress > /dev/null 2>&1
  "$kgforge" model export-hf run --out hf --shard-size 100KB > /dev/null
  echo "compact_prompts=$compact:"
  /usr/bin/python3 "$here/check_hf_export.py" hf corpus records.jsonl
done
