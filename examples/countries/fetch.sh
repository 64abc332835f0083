#!/usr/bin/env bash
# Fetches the npm package world-countries (countries with capitals, regions, borders, languages,
# currencies; ODbL) and converts it into a kgforge graph folder.
# Usage: examples/countries/fetch.sh [OUT_DIR]   (default data/countries)
#   -> OUT_DIR/triples.tsv, OUT_DIR/entities.tsv, OUT_DIR/relations.tsv
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out_dir="${1:-data/countries}"
if [ -s "$out_dir/triples.tsv" ] && [ -s "$out_dir/entities.tsv" ] && [ -s "$out_dir/relations.tsv" ]; then
  exit 0  # already fetched
fi
mkdir -p "$out_dir"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && npm pack world-countries --silent >/dev/null && tar xzf world-countries-*.tgz)
node "$here/convert.js" "$scratch/package" "$out_dir"
