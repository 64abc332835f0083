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

// Exit codes: 0 success, 1 runtime error, 2 usage error.
void SetExitCode(int code);
int ExitCode();
// Prints "kgforge: <status>" to stderr and sets exit code 1 (2 for InvalidArgument usage errors
// when `usage` is true). Returns the exit code.
int ReportError(const Status& status, bool usage = false);

// The process group of this run: the MPI world when started by mpirun / mpiexec, else this
// process alone. Created on first use (MPI is initialised then) and finalised when main()
// returns. Commands that run distributed (synth, train) take it from here.
dist::Communicator& World();

}  // namespace kgf::cli

#define KGF_REGISTER_COMMAND(name, setup) \
  static ::kgf::cli::CommandRegistrar kgf_command_registrar_##name(#name, setup)

#endif  // KGF_CLI_COMMAND_H_
