// Subcommand registration for the kgforge binary. Each cli/<name>_command.cc registers itself:
//   KGF_REGISTER_COMMAND(kg, SetupKgCommand);
// where SetupKgCommand(CLI::App& root) adds its subcommand, binds flags to the library's
// Options struct (defaults from Options{}), and sets a callback that runs the work and calls
// SetExitCode(). Commands hold no logic of their own: they call the libraries.
#ifndef KGF_CLI_COMMAND_H_
#define KGF_CLI_COMMAND_H_

#include <CLI/CLI.hpp>

#include <string>

#include "base/status.h"
#include "dist/communicator.h"

namespace kgf::cli {

using SetupFn = void (*)(CLI::App& root);

struct CommandRegistrar {
  CommandRegistrar(const char* name, SetupFn setup);
};

// The contract every command follows (pinned by tests/cli/):
//   exit code 0 on success; 1 for any runtime or input error (a bad file, line, field or option
//   value found by the libraries); 2 only for command-line misuse the parser detects (an
//   unknown flag, a missing required one, a value outside a flag's allowed set);
//   summaries and reports on stdout (with --json: one JSON object), logs, progress and errors
//   on stderr.
void SetExitCode(int code);
int ExitCode();
// Prints "kgforge: <status>" to stderr and sets exit code 1. Returns it.
int ReportError(const Status& status);

// The process group of this run: the MPI world when started by mpirun / mpiexec, else this
// process alone. Created on first use (MPI is initialised then) and finalised when main()
// returns. Commands that run distributed (synth, train) take it from here.
dist::Communicator& World();

}  // namespace kgf::cli

#define KGF_REGISTER_COMMAND(name, setup) \
  static ::kgf::cli::CommandRegistrar kgf_command_registrar_##name(#name, setup)

#endif  // KGF_CLI_COMMAND_H_
