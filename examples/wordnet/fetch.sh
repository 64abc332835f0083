#!/usr/bin/env bash
# Converts WordNet 3.0 from Debian's wordnet-base (installed by scripts/setup.sh; installed here
# if missing) into a kgforge graph folder.
# Usage: examples/wordnet/fetch.sh [OUT_DIR]   (default data/wordnet)
#   -> OUT_DIR/triples.tsv, OUT_DIR/entities.tsv, OUT_DIR/relations.tsv
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out_dir="${1:-data/wordnet}"
wn_dir="${WORDNET_DIR:-/usr/share/wordnet}"
if [ -s "$out_dir/triples.tsv" ] && [ -s "$out_dir/entities.tsv" ] && [ -s "$out_dir/relations.tsv" ]; then
  exit 0  # already converted
fi
if [ ! -f "$wn_dir/data.noun" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq wordnet-base >/dev/null
fi
node "$here/convert.js" "$wn_dir" "$out_dir"
