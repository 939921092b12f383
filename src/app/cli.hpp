// nsl/app/cli.hpp — the `nsl` command line: subcommand dispatch shared by the binary and its tests.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace nsl::app {

// Runs `nsl <args...>` (args excludes the program name); returns the exit code. Errors are one line on `err`.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace nsl::app
