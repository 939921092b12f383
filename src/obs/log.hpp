// nsl/obs/log.hpp — structured JSON logs, one object per line.
//
//   obs::log_info("listening", {{"port", 5000}, {"tls", false}});
//   obs::log(obs::Level::warn, "enclave down", {{"request_id", rid}});
//
// Every line carries "ts" (RFC 3339 UTC, milliseconds), "level" and "msg", then the given fields in order.
// Lines are formatted on the caller's thread and written by one background thread (so a slow stdout never
// blocks a request); flush() waits until everything logged so far is written. Secret values registered with
// set_redactions() are replaced by "[REDACTED]" in every line — a last line of defence: code must still never
// pass a secret to the logger. Thread-safety: every function is safe from any thread.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace nsl::obs {

enum class Level : std::uint8_t { trace, debug, info, warn, error };

std::string_view level_name(Level l) noexcept;
// Parses "trace|debug|info|warn|error"; false on anything else.
bool parse_level(std::string_view s, Level& out) noexcept;

// One key/value of a log line. Keys are ASCII snake_case literals; string values are JSON-escaped.
struct Field {
  enum class Kind : std::uint8_t { str, i64, u64, f64, boolean };
  std::string_view key;
  Kind kind;
  std::string_view s;
  union {
    std::int64_t i;
    std::uint64_t u;
    double d;
    bool b;
  };

  Field(std::string_view k, std::string_view v) : key(k), kind(Kind::str), s(v), i(0) {}
  Field(std::string_view k, const char* v) : key(k), kind(Kind::str), s(v), i(0) {}
  Field(std::string_view k, const std::string& v) : key(k), kind(Kind::str), s(v), i(0) {}
  Field(std::string_view k, bool v) : key(k), kind(Kind::boolean), b(v) {}
  Field(std::string_view k, double v) : key(k), kind(Kind::f64), d(v) {}
  template <std::signed_integral T>
  Field(std::string_view k, T v) : key(k), kind(Kind::i64), i(v) {}
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  Field(std::string_view k, T v) : key(k), kind(Kind::u64), u(v) {}
};

void set_level(Level l) noexcept;
Level level() noexcept;
inline bool enabled(Level l) noexcept { return l >= level(); }

// Replaces the set of values that must never appear in output (empty strings are ignored).
void set_redactions(std::vector<std::string> secrets);

// Redirects output (default: stdout). For tests: the sink receives complete lines including '\n'.
void set_sink(std::function<void(std::string_view)> sink);
void reset_sink();

void log(Level l, std::string_view msg, std::initializer_list<Field> fields = {});
// Writes everything logged so far before returning.
void flush();

inline void log_debug(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::debug, m, f); }
inline void log_info(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::info, m, f); }
inline void log_warn(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::warn, m, f); }
inline void log_error(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::error, m, f); }

// Formats one line (without redaction) — exposed for tests and benchmarks.
std::string format_line(Level l, std::string_view msg, std::initializer_list<Field> fields);

}  // namespace nsl::obs
