// Values: typed assignment from file/env input, TOML rendering, comparison, and the read-only
// helpers of the API.
#include "config/config.hpp"

#include <unistd.h>  // environ (_GNU_SOURCE)

#include <algorithm>
#include <charconv>
#include <type_traits>

#include "config/config_internal.hpp"
#include "core/strings.hpp"

namespace nsl::config {
namespace internal {
namespace {

template <class T>
constexpr bool kIsInteger = std::is_integral_v<T> && !std::is_same_v<T, bool>;

std::optional<Profile> parse_profile(std::string_view s) {
  for (Profile p : {Profile::embedded, Profile::production}) {
    if (profile_name(p) == s) return p;
  }
  return std::nullopt;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

// The binders only form member pointers; callers holding a const Config only read through them.
// NOLINTBEGIN(cppcoreguidelines-pro-type-const-cast)
FieldRef field_of(const KeyInfo& key, const Config& config) {
  return key.field(const_cast<Config&>(config));
}

const std::string& file_path_of(const KeyInfo& key, const Config& config) {
  static const std::string kNone;
  if (!key.file_field) return kNone;
  return *key.file_field(const_cast<Config&>(config));
}
// NOLINTEND(cppcoreguidelines-pro-type-const-cast)

std::string toml_quote(std::string_view s) {
  // TOML basic strings take the same escapes as JSON strings (\", \\, \n, \r, \t, \b, \f, \uXXXX) and must be
  // valid UTF-8, which the JSON escaper guarantees.
  std::string out = "\"";
  append_json_escaped(out, s);
  out += '"';
  return out;
}

std::string describe(const Raw& raw) {
  switch (raw.kind) {
    case Raw::Kind::boolean: return raw.b ? "true" : "false";
    case Raw::Kind::integer: return std::to_string(raw.i);
    case Raw::Kind::floating: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, raw.d);
      return ec == std::errc() ? std::string(buf, end) : "a float";
    }
    case Raw::Kind::string: {
      constexpr std::size_t kShown = 60;
      if (raw.s.size() <= kShown) return toml_quote(raw.s);
      return toml_quote(raw.s.substr(0, kShown)) + "...";
    }
    case Raw::Kind::other: return raw.s;
  }
  return "?";
}

Raw raw_from_env(const KeyInfo& key, const std::string& text) {
  Raw raw;
  raw.kind = Raw::Kind::string;
  raw.s = text;
  if (key.type == ValueType::integer) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
      raw.kind = Raw::Kind::integer;
      raw.i = v;
    }
  } else if (key.type == ValueType::boolean) {
    std::string lower = ascii_lower(text);
    if (lower == "true" || lower == "1" || lower == "false" || lower == "0") {
      raw.kind = Raw::Kind::boolean;
      raw.b = lower == "true" || lower == "1";
    }
  }
  return raw;
}

std::optional<std::string> assign(const KeyInfo& key, Config& config, Raw& raw) {
  const std::string must = "config key '" + std::string(key.key) + "' must be " + key.type_text();
  FieldRef field = key.field(config);
  switch (key.type) {
    case ValueType::boolean:
      if (raw.kind != Raw::Kind::boolean) return must + ", got " + describe(raw);
      *std::get<bool*>(field) = raw.b;
      return std::nullopt;
    case ValueType::integer:
      if (raw.kind != Raw::Kind::integer || raw.i < key.min || raw.i > key.max) {
        return must + ", got " + describe(raw);
      }
      std::visit(
          [&](auto* p) {
            using T = std::remove_pointer_t<decltype(p)>;
            if constexpr (kIsInteger<T>) *p = static_cast<T>(raw.i);
          },
          field);
      return std::nullopt;
    case ValueType::string: {
      if (raw.kind != Raw::Kind::string) return must + ", got " + describe(raw);
      if (!key.choices.empty() &&
          std::find(key.choices.begin(), key.choices.end(), raw.s) == key.choices.end()) {
        return must + ", got " + describe(raw);
      }
      if (auto** profile = std::get_if<Profile*>(&field)) {
        **profile = parse_profile(raw.s).value_or(Profile::embedded);  // choices were checked above
      } else {
        *std::get<std::string*>(field) = raw.s;
      }
      return std::nullopt;
    }
    case ValueType::secret:
      if (raw.kind != Raw::Kind::string) return must;  // never echo what may be a secret
      if (raw.s == kRedacted) {
        return "config key '" + std::string(key.key) + "' holds the placeholder \"" +
               std::string(kRedacted) +
               "\" printed by `nsl config print`; give the real value or " + key.file_key();
      }
      *std::get<SecretString*>(field) = SecretString::take(raw.s);
      key.file_field(config)->clear();
      return std::nullopt;
  }
  return "config key '" + std::string(key.key) + "' has an unhandled type";
}

std::string value_text(const KeyInfo& key, const Config& config) {
  return std::visit(
      [](auto* p) -> std::string {
        using T = std::remove_cvref_t<decltype(*p)>;
        if constexpr (std::is_same_v<T, Profile>) {
          return toml_quote(profile_name(*p));
        } else if constexpr (std::is_same_v<T, bool>) {
          return *p ? "true" : "false";
        } else if constexpr (kIsInteger<T>) {
          return std::to_string(*p);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return toml_quote(*p);
        } else {
          static_assert(std::is_same_v<T, SecretString>);
          return p->empty() ? "\"\"" : toml_quote(kRedacted);
        }
      },
      field_of(key, config));
}

bool same_value(const KeyInfo& key, const Config& a, const Config& b) {
  bool same = std::visit(
      [](auto* x, auto* y) {
        if constexpr (std::is_same_v<decltype(x), decltype(y)>) {
          return *x == *y;
        } else {
          return false;
        }
      },
      field_of(key, a), field_of(key, b));
  return same && file_path_of(key, a) == file_path_of(key, b);
}

Error problems_error(const std::vector<std::string>& problems) {
  std::string message;
  for (const std::string& p : problems) {
    if (!message.empty()) message += '\n';
    message += p;
  }
  return err::invalid_argument(std::move(message));
}

std::string suggestion(std::string_view name, const std::vector<std::string>& candidates) {
  std::string lowered = ascii_lower(name);
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const std::string& c : candidates) {
    std::size_t d = edit_distance(lowered, ascii_lower(c));
    if (best == nullptr || d < best_distance) {
      best = &c;
      best_distance = d;
    }
  }
  std::size_t limit = std::max<std::size_t>(2, name.size() / 5);
  if (best == nullptr || best_distance > limit) return "";
  return " (did you mean '" + *best + "'?)";
}

}  // namespace internal

std::string_view profile_name(Profile p) noexcept {
  switch (p) {
    case Profile::embedded: return "embedded";
    case Profile::production: return "production";
  }
  return "embedded";
}

Env process_env() {
  Env env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (!entry.starts_with("NSL_")) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

namespace {

void render_key(const KeyInfo& key, std::string_view name, const Config& config, std::string& out) {
  if (const std::string& path = internal::file_path_of(key, config); !path.empty()) {
    out += std::string(name) + "_file = " + internal::toml_quote(path) + "\n";
  } else {
    out += std::string(name) + " = " + internal::value_text(key, config) + "\n";
  }
}

}  // namespace

std::string render(const Config& config) {
  std::string out = "# nsl effective configuration; source: ";
  out += config.source.empty() ? "defaults and environment" : internal::toml_quote(config.source);
  out += "\n";
  // TOML wants top-level keys before the first [table].
  for (const KeyInfo& key : keys()) {
    if (key.key.find('.') == std::string_view::npos) render_key(key, key.key, config, out);
  }
  for (const std::string& section : internal::sections()) {
    out += "\n[" + section + "]\n";
    for (const KeyInfo& key : keys()) {
      if (key.key.size() > section.size() && key.key.starts_with(section) &&
          key.key[section.size()] == '.') {
        render_key(key, key.key.substr(section.size() + 1), config, out);
      }
    }
  }
  return out;
}

std::vector<std::string> secret_values(const Config& config) {
  std::vector<std::string> out;
  for (const KeyInfo& key : keys()) {
    FieldRef field = internal::field_of(key, config);
    if (auto* const* s = std::get_if<SecretString*>(&field); s != nullptr && !(*s)->empty()) {
      out.emplace_back((*s)->reveal());
    }
  }
  return out;
}

std::vector<std::string> changed_non_reloadable(const Config& before, const Config& after) {
  std::vector<std::string> out;
  for (const KeyInfo& key : keys()) {
    if (!key.reloadable && !internal::same_value(key, before, after)) out.emplace_back(key.key);
  }
  return out;
}

Status validate(const Config& config) {
  std::vector<std::string> problems = internal::check(config, {}, {});
  if (problems.empty()) return ok_status();
  return internal::problems_error(problems);
}

Result<EnclaveEndpoint> enclave_endpoint(const Config& config) {
  const std::string value = enclave_socket_path(config);
  constexpr std::string_view kTcp = "tcp://";
  if (value.rfind(kTcp, 0) != 0) return EnclaveEndpoint{.path = value};
  std::string_view rest = std::string_view(value).substr(kTcp.size());
  std::string host;
  std::string_view port;
  if (rest.rfind("[::1]:", 0) == 0) {
    host = "::1";
    port = rest.substr(6);
  } else if (rest.rfind("127.0.0.1:", 0) == 0) {
    host = "127.0.0.1";
    port = rest.substr(10);
  } else {
    return err::invalid_argument("config key 'enclave.socket' = \"" + value +
                                 "\": a tcp:// enclave socket must be tcp://127.0.0.1:PORT or tcp://[::1]:PORT "
                                 "(loopback only)");
  }
  unsigned long n = 0;
  const bool digits = !port.empty() && port.size() <= 5 &&
                      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) n = std::stoul(std::string(port));
  if (!digits || n == 0 || n > 65535) {
    return err::invalid_argument("config key 'enclave.socket' = \"" + value + "\": port must be 1..65535");
  }
  return EnclaveEndpoint{.tcp_host = host, .tcp_port = static_cast<std::uint16_t>(n)};
}

std::string enclave_socket_path(const Config& config) {
  if (!config.enclave.socket.empty()) return config.enclave.socket;
  return config.data.dir + "/enclave.sock";
}

}  // namespace nsl::config
