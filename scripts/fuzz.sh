#!/usr/bin/env bash
# The fuzz job: libFuzzer targets (fuzz/*_fuzzer.cc) built with clang, ASan and UBSan in
# build-fuzz/, each run for a fixed time over its committed seed corpus and the inputs of past
# crashes. A crash, a sanitizer report or a broken property fails the job; the input is left in
# build-fuzz/crashes/<target>/ — copy it into fuzz/regressions/<target>/ with the fix, where
# every later run replays it first. Run after scripts/setup.sh.
# By default each target runs a fixed number of inputs from a fixed seed (about 30 s each on the
# 2-core machine), so CI replays exactly what was run before landing; KGF_FUZZ_SECONDS=N instead
# runs N seconds per target from a random seed, to hunt.
#   bash scripts/fuzz.sh                           # every target, fixed runs, seed 1
#   KGF_FUZZ_SECONDS=600 bash scripts/fuzz.sh record_json
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${KGF_FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_PER_TARGET=${KGF_FUZZ_SECONDS:-}
# Inputs per target in the fixed mode (~30 s each with ASan + UBSan on the 2-core machine).
declare -A RUNS=([triple_reader]=300000 [record_json]=400000 [indexed_dataset]=500000
                 [safetensors]=1500000 [model_config]=1200000)
# Every UBSan check aborts, except pointer-overflow, which stays recoverable so that the one
# third-party report (scripts/ubsan_rapidjson.supp) can be suppressed; halt_on_error still stops
# on any other pointer overflow.
flags="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined"
flags+=" -fsanitize-recover=pointer-overflow -fno-omit-frame-pointer"
flags+=" -Wno-ambiguous-reversed-operator"  # rapidjson 1.1's iterators under clang's C++20
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DKGF_BUILD_TESTS=OFF -DKGF_BUILD_BENCHMARKS=OFF -DKGF_BUILD_FUZZERS=ON \
  "-DCMAKE_CXX_FLAGS=$flags" "-DCMAKE_C_FLAGS=$flags" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" > /dev/null
mkdir -p "$BUILD_DIR"
if ! cmake --build "$BUILD_DIR" --target fuzzers -j "$(nproc)" > "$BUILD_DIR/build.log" 2>&1; then
  grep -E "error|FAILED" "$BUILD_DIR/build.log" | head -40 >&2
  echo "fuzz: the build failed (full log: $BUILD_DIR/build.log)" >&2
  exit 1
fi

targets=(triple_reader record_json indexed_dataset safetensors model_config)
if [ $# -gt 0 ]; then targets=("$@"); fi
# Scratch files of the path-based readers go to memory when it can.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$PWD/scripts/ubsan_rapidjson.supp}
failed=()
for t in "${targets[@]}"; do
  bin="$BUILD_DIR/fuzz/${t}_fuzzer"
  [ -x "$bin" ] || { echo "fuzz: no target '$t' (have: triple_reader record_json indexed_dataset safetensors model_config)" >&2; exit 2; }
  work="$BUILD_DIR/corpus/$t" crashes="$BUILD_DIR/crashes/$t"
  rm -rf "$work" && mkdir -p "$work" "$crashes"
  seeds=(fuzz/corpus/"$t")
  [ -d fuzz/regressions/"$t" ] && seeds+=(fuzz/regressions/"$t")
  if [ -n "$SECONDS_PER_TARGET" ]; then
    budget=(-max_total_time="$SECONDS_PER_TARGET")
    echo "== fuzz $t (${SECONDS_PER_TARGET}s, random seed)"
  else
    budget=(-runs="${RUNS[$t]}" -seed=1)
    echo "== fuzz $t (${RUNS[$t]} inputs, seed 1)"
  fi
  # The new corpus goes to $work (first directory); the committed seeds are only read.
  if ! "$bin" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -artifact_prefix="$crashes/" -print_final_stats=1 \
      "$work" "${seeds[@]}" > "$BUILD_DIR/$t.log" 2>&1; then
    tail -40 "$BUILD_DIR/$t.log" >&2
    echo "fuzz: $t FAILED; the input is in $crashes/ (add it to fuzz/regressions/$t/ with the fix)" >&2
    failed+=("$t")
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD_DIR/$t.log" | tr '\n' ' '
    echo
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets clean"
