#!/usr/bin/env bash
# Configures and builds kgforge (Release, x86-64-v3) into ./build. Quiet unless it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${KGF_BUILD_DIR:-build}
JOBS=${KGF_JOBS:-$(nproc)}
log=$(mktemp)
if ! { cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release && \
       cmake --build "$BUILD_DIR" -j "$JOBS"; } >"$log" 2>&1; then
  grep -E "error|Error|FAILED" "$log" | head -n 40 >&2 || true
  tail -n 20 "$log" >&2
  rm -f "$log"
  echo "build.sh: build failed" >&2
  exit 1
fi
rm -f "$log"
