#!/usr/bin/env bash
# The sanitizer job: an ASan + UBSan build (RelWithDebInfo, benchmarks off) in build-asan/ and the
# default test suite under it. LeakSanitizer ignores OpenMPI's own allocations only
# (scripts/lsan_openmpi.supp). Run after scripts/setup.sh; takes tens of minutes on 2 cores.
#   bash scripts/sanitize.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${KGF_SANITIZE_BUILD_DIR:-build-asan}
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKGF_BUILD_BENCHMARKS=OFF \
  "-DCMAKE_CXX_FLAGS=$flags" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" > /dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
export KGF_PROGRESS=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan_openmpi.supp:print_suppressions=0}
ctest --test-dir "$BUILD_DIR" -LE slow --output-on-failure -j "$(nproc)" --timeout 1800 "$@"
