# Finds every third-party dependency once; modules link the imported targets.
# All come from Debian packages installed by scripts/setup.sh.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Boost 1.74 REQUIRED)  # Boost.Graph is header-only for what we use.
find_package(TBB REQUIRED)
find_package(MPI REQUIRED COMPONENTS C)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(dnnl REQUIRED)     # oneDNN: bf16 matrix products (trainer/model/bf16_gemm.h)
find_package(OpenMP REQUIRED)   # oneDNN's threading runtime (one thread per call)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)

find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(kgf_rapidjson INTERFACE)
target_include_directories(kgf_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
# std::string support. Not RAPIDJSON_SSE2/SSE42: in rapidjson 1.1 (Debian 12) their Writer scan
# lets control characters 0x1A-0x1F through unescaped, which no strict reader (rapidjson's own
# included) accepts (tests/base: JsonTest.WrittenControlCharactersReadBack).
target_compile_definitions(kgf_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)

find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
add_library(kgf_cli11 INTERFACE)
target_include_directories(kgf_cli11 SYSTEM INTERFACE ${CLI11_INCLUDE_DIR})
