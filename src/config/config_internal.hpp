// nsl/config/config_internal.hpp — helpers shared by the config .cpp files; not module API.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace nsl::config::internal {

// A value from the file or the environment before it is checked against its key's type.
struct Raw {
  enum class Kind { boolean, integer, floating, string, other };
  Kind kind = Kind::other;
  bool b = false;
  std::int64_t i = 0;
  double d = 0;
  std::string s;  // string value, or for `other` what it is ("a table")
};

// The value as an error message shows it after "got ": 5, true, "abc" (quoted, shortened), a table.
std::string describe(const Raw& raw);

// Converts environment text to the key's type where it parses (else keeps the string, for the
// error message).
Raw raw_from_env(const KeyInfo& key, const std::string& text);

// Checks `raw` against `key` (type, range, choices) and stores it; a secret's `_file` member is
// cleared and `raw.s` wiped. Returns the problem without location prefix, or nullopt. Never echoes
// a secret value.
std::optional<std::string> assign(const KeyInfo& key, Config& config, Raw& raw);

// The member's value as TOML text: 5000, "info", true; a secret as "<redacted>" or "".
std::string value_text(const KeyInfo& key, const Config& config);

// Same member in two configs holds the same value (secrets: value and `_file` path).
bool same_value(const KeyInfo& key, const Config& a, const Config& b);

FieldRef field_of(const KeyInfo& key, const Config& config);
// A secret's `_file` path member ("" for other keys).
const std::string& file_path_of(const KeyInfo& key, const Config& config);

// TOML basic string literal with escapes.
std::string toml_quote(std::string_view s);

// One invalid_argument Error holding every problem, one per line.
Error problems_error(const std::vector<std::string>& problems);

// " (did you mean 'x'?)" for the closest candidate within a small edit distance, else "".
std::string suggestion(std::string_view name, const std::vector<std::string>& candidates);

// Section names in keys() order: "server", "tls", ...
const std::vector<std::string>& sections();

// Message prefix per key: where it was set ("nsl.toml:12: ", "env NSL_LOG_LEVEL: ").
using Origins = std::map<std::string_view, std::string>;

// All validation problems: per-key ranges and choices, cross-field rules, file checks. Keys in
// `failed` already produced an error while loading and are skipped: one mistake, one message.
std::vector<std::string> check(const Config& config, const Origins& origins,
                               const std::set<std::string_view>& failed);

inline constexpr std::string_view kRedacted = "<redacted>";

}  // namespace nsl::config::internal
