// kgforge: the command-line entry point. Subcommands register themselves (cli/command.h).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unistd.h>
#include <string>
#include <vector>

#include "base/memory_budget.h"
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

  // The heap's trim and mmap thresholds (base/memory_budget.h says why: corpus build's page
  // faults, the trainer's scratch buffers).
  kgf::TuneAllocator();

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
