// nsl/app/cli.hpp — the `nsl` command line: subcommand dispatch shared by the binary and its tests.
#pragma once

#include <iosfwd>
#include <istream>
#include <string>
#include <vector>

namespace nsl::app {

// Runs `nsl <args...>` (args excludes the program name); returns the exit code. Errors are one line on `err`.
// Secrets (WIF, passphrases) are read from `in`, never from argv.
int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

// Subcommand groups; args[0] is the group name.
int run_evm_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);
int run_attest_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);
int run_enclave_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);
int run_tenants_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);
int run_audit_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);
int run_keys_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);
int run_secrets_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);
int run_neo_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace nsl::app
