// nsl/app/cli_args.hpp — argument parsing shared by the `nsl` subcommands.
//
//   CliArgs a;
//   if (!a.parse(args, 2, {"--pubkey", "--magic"}, {"--json", "--reveal"})) { err << a.error; return 2; }
//   auto pub = a.option("--pubkey");   // std::optional<std::string>
//
// Options take a value as `--name VALUE` or `--name=VALUE`; flags take none. Anything else starting with '-'
// is an error, so a mistyped option never silently becomes a positional argument. Secrets are never taken
// from argv: commands that need one read it from standard input.
#pragma once

#include <istream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nsl::app {

struct CliArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::set<std::string> flags;
  std::string error;

  bool parse(const std::vector<std::string>& args, std::size_t from, const std::set<std::string>& value_options,
             const std::set<std::string>& flag_options);
  std::optional<std::string> option(const std::string& name) const;
  bool flag(const std::string& name) const { return flags.count(name) != 0; }
};

// Reads one line from `in` (a secret piped or typed on stdin), without its line ending. nullopt at EOF.
std::optional<std::string> read_secret_line(std::istream& in);

}  // namespace nsl::app
