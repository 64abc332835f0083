// kgforge: the command-line entry point. Subcommands register themselves (cli/command.h).
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unistd.h>
#include <string>
#include <vector>

#include "cli/command.h"

namespace kgf::cli {
namespace {

struct Entry {
  const char* name;
  SetupFn setup;
};

std::vector<Entry>& Registry() {
  static std::vector<Entry> entries;
  return entries;
}

int& ExitCodeRef() {
  static int code = 0;
  return code;
}

std::unique_ptr<kgf::dist::Communicator>& WorldRef() {
  static std::unique_ptr<kgf::dist::Communicator> world;
  return world;
}

}  // namespace

CommandRegistrar::CommandRegistrar(const char* name, SetupFn setup) {
  Registry().push_back({name, setup});
}

void SetExitCode(int code) { ExitCodeRef() = code; }
int ExitCode() { return ExitCodeRef(); }

dist::Communicator& World() {
  auto& world = WorldRef();
  if (!world) world = dist::WorldCommunicator();
  return *world;
}

int ReportError(const Status& status) {
  std::fprintf(stderr, "kgforge: %s\n", status.ToString().c_str());
  SetExitCode(1);
  return ExitCode();
}

}  // namespace kgf::cli

int main(int argc, char** argv) {
  // Debian's OpenBLAS misdetects this project's AMD EPYC machines and picks slow kernels;
  // OPENBLAS_CORETYPE=SkylakeX doubles sgemm speed there. OpenBLAS reads the variable when it
  // is loaded, before main(), so set it and re-exec once. Only on CPUs with AVX-512 (the
  // SkylakeX kernels need it); a value the user set is respected.
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr && __builtin_cpu_supports("avx512f")) {
    setenv("OPENBLAS_CORETYPE", "SkylakeX", /*overwrite=*/1);
    execv("/proc/self/exe", argv);  // returns only on failure: carry on with the default
  }

  // glibc hands the top of the heap back to the kernel as soon as 128 KiB are free there.
  // sentencepiece's Encode allocates and frees a few hundred KiB of temporaries per document,
  // so `corpus build` faulted them in afresh for every document: at 10x the Brown corpus, 800k
  // page faults and ~9% of the CPU time (issue 12; benchmarks/README.md "## corpus"). Keeping
  // up to 64 MiB free at the top costs at most that much resident memory.
  // Setting any of these turns off glibc's sliding mmap threshold (which, after the first free
  // of a large block, serves blocks up to 32 MiB from the heap): without it every allocation
  // over 128 KiB is a fresh mmap, and the trainer's per-step scratch buffers were faulted in
  // afresh at each step (training 1.5x slower). So the threshold is pinned where it would
  // have slid to.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);

  CLI::App app{"kgforge: knowledge graph -> verified tool-use data -> MoE training"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kgforge 0.1.0");
  auto& registry = kgf::cli::Registry();
  std::sort(registry.begin(), registry.end(),
            [](const auto& a, const auto& b) { return std::string(a.name) < b.name; });
  for (const auto& entry : registry) entry.setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  kgf::cli::WorldRef().reset();  // MPI_Finalize, when this process initialised MPI
  return kgf::cli::ExitCode();
}
