#!/usr/bin/env bash
# Installs every kgforge dependency from Debian packages. Idempotent and quiet: it installs only
# what is missing and prints only on failure. Uses sudo when not run as root.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-graph-dev rapidjson-dev libre2-dev libsqlite3-dev sqlite3 libtbb-dev
  libopenmpi-dev openmpi-bin libsentencepiece-dev sentencepiece libopenblas-dev libdnnl-dev
  # oneDNN's CMake config (Debian's build has the OpenCL GPU runtime) requires OpenCL's headers and
  # loader; libdnnl-dev only recommends them.
  ocl-icd-opencl-dev
  libcli11-dev libzstd-dev zstd libxxhash-dev libgtest-dev libgmock-dev libbenchmark-dev
  wordnet-base nodejs
  # Peer checks of exported artefacts (tests/peer/): the libraries Hugging Face tooling uses.
  python3 python3-jinja2 python3-sentencepiece python3-numpy
  # The interactive review view's test drives it through a terminal multiplexer.
  tmux
  # The fuzz job (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes, and the
  # OpenMP runtime clang links oneDNN's users against.
  clang libclang-rt-14-dev libomp-dev
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm: Node packages from some repositories ship npm inside nodejs; Debian's need the npm package.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  log=$(mktemp)
  if ! { $SUDO apt-get update -qq && \
         DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
           "${missing[@]}"; } >"$log" 2>&1; then
    echo "setup.sh: installing ${missing[*]} failed:" >&2
    tail -n 30 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
fi
