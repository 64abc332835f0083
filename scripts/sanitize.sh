#!/usr/bin/env bash
# The sanitizer job: an ASan + UBSan build (RelWithDebInfo, benchmarks off) in build-asan/ and the
# default test suite under it. LeakSanitizer ignores OpenMPI's own allocations only
# (scripts/lsan_openmpi.supp). Run after scripts/setup.sh; CI (.ci/run) runs it after the fuzz
# job: a cold build takes ~13 minutes on 2 cores, the suite ~3.
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
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan_openmpi.supp:print_suppressions=0}
# Everything but MPI with the fast unwinder; then the MPI tests with full malloc stacks: OpenMPI is
# built without frame pointers, so only the slow unwinder reaches the libmpi / libopen-pal frames
# that the suppressions name (its plugins are unloaded by then and show as <unknown module>).
status=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  ctest --test-dir "$BUILD_DIR" -LE "slow|mpi" --output-on-failure -j "$(nproc)" --timeout 1800 "$@" ||
  status=$?
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0:malloc_context_size=40} \
  ctest --test-dir "$BUILD_DIR" -L mpi -LE slow --output-on-failure -j "$(nproc)" --timeout 1800 "$@" ||
  status=$?
exit $status
