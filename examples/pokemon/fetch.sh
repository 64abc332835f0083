#!/usr/bin/env bash
# Fetches the npm package pokemon-showdown (the battle simulator's game data: Pokédex, moves,
# abilities, learnsets, type chart; MIT) and converts it into a kgforge graph folder.
# Usage: examples/pokemon/fetch.sh [OUT_DIR]   (default data/pokemon)
#   -> OUT_DIR/triples.tsv, OUT_DIR/entities.tsv, OUT_DIR/relations.tsv
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out_dir="${1:-data/pokemon}"
if [ -s "$out_dir/triples.tsv" ] && [ -s "$out_dir/entities.tsv" ] && [ -s "$out_dir/relations.tsv" ]; then
  exit 0  # already fetched
fi
mkdir -p "$out_dir"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Only the compiled data tables are needed (plain CommonJS, no dependencies).
(cd "$scratch" && npm pack pokemon-showdown --silent >/dev/null &&
   tar xzf pokemon-showdown-*.tgz package/dist/data/pokedex.js package/dist/data/moves.js \
     package/dist/data/abilities.js package/dist/data/learnsets.js package/dist/data/typechart.js)
node "$here/convert.js" "$scratch/package/dist/data" "$out_dir"
