// load(): TOML file + NSL_* environment + `*_file` secrets -> Config, with every problem collected.
// toml++ is used in its exception mode (the Debian shared library is built that way); its
// exceptions are caught here and never leave this file.
#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <system_error>

#include "config/config.hpp"
#include "config/config_internal.hpp"

namespace nsl::config {
namespace {

using internal::Raw;

constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxSecretBytes = std::size_t{64} << 10;

std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

// Reads a whole regular file of at most `max_bytes` into `out` (one allocation, so a secret is
// never left behind in an abandoned buffer). Returns "" or why it failed.
std::string read_small_file(const std::string& path, std::size_t max_bytes, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_text(errno);
  std::string why;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    why = errno_text(errno);
  } else if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
  } else {
    out.assign(max_bytes + 1, '\0');
    std::size_t got = 0;
    while (got < out.size()) {
      ssize_t n = ::read(fd, out.data() + got, out.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        why = errno_text(errno);
        break;
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (why.empty() && got > max_bytes) why = "larger than " + std::to_string(max_bytes) + " bytes";
    out.resize(why.empty() ? got : 0);  // shrinking never reallocates
  }
  ::close(fd);
  return why;
}

// One value as given by the file or the environment, before it is checked.
struct Setting {
  const KeyInfo* key = nullptr;
  bool via_file = false;  // the `<key>_file` form of a secret: raw holds the path
  Raw raw;
  std::string origin;  // message prefix: "nsl.toml:12: " or "env NSL_LOG_LEVEL: "
  std::string name;    // as written: "metrics.bearer_token_file", "NSL_METRICS_BEARER_TOKEN_FILE"
  bool skip = false;

  Setting() = default;
  Setting(Setting&&) noexcept = default;
  Setting& operator=(Setting&&) noexcept = default;
  Setting(const Setting&) = delete;
  Setting& operator=(const Setting&) = delete;
  ~Setting() {
    // Moved-from settings too: a moved-from short string keeps its characters in place.
    if (key != nullptr && key->secret && !via_file) SecretString::wipe(raw.s);
  }
};

// Every accepted spelling, derived once from keys().
struct Names {
  using Target = std::pair<const KeyInfo*, bool>;  // (key, via the `_file` form)
  std::map<std::string, Target, std::less<>>
      file;  // "server.http_port", "metrics.bearer_token_file"
  std::map<std::string, Target, std::less<>> env;  // "NSL_SERVER_HTTP_PORT", ...
  std::vector<std::string> file_candidates;        // for suggestions: the above plus section names
  std::vector<std::string> env_candidates;
  std::vector<std::string>
      env_prefixes;  // "NSL_SERVER_", ...: unknown names under these are errors
};

const Names& names() {
  static const Names n = [] {
    Names out;
    for (const KeyInfo& k : keys()) {
      out.file.emplace(std::string(k.key), std::pair{&k, false});
      out.env.emplace(k.env_name(), std::pair{&k, false});
      if (k.type == ValueType::secret) {
        out.file.emplace(k.file_key(), std::pair{&k, true});
        out.env.emplace(k.env_name() + "_FILE", std::pair{&k, true});
      }
    }
    for (const auto& [name, _] : out.file) out.file_candidates.push_back(name);
    for (const auto& [name, _] : out.env) out.env_candidates.push_back(name);
    for (const std::string& s : internal::sections()) {
      out.file_candidates.push_back(s);
      std::string prefix = "NSL_";
      for (char c : s) prefix += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
      out.env_prefixes.push_back(prefix + "_");
    }
    return out;
  }();
  return n;
}

bool is_section(std::string_view name) {
  const auto& s = internal::sections();
  return std::find(s.begin(), s.end(), name) != s.end();
}

// Fills `raw` in place (no temporary that would keep a copy of a secret); `wipe_node` wipes the
// string held by the parsed document once copied.
void fill_raw(toml::node& node, bool wipe_node, Raw& raw) {
  if (auto* s = node.as_string()) {
    raw.kind = Raw::Kind::string;
    raw.s = s->get();
    if (wipe_node) SecretString::wipe(s->get());
  } else if (auto* i = node.as_integer()) {
    raw.kind = Raw::Kind::integer;
    raw.i = i->get();
  } else if (auto* b = node.as_boolean()) {
    raw.kind = Raw::Kind::boolean;
    raw.b = b->get();
  } else if (auto* f = node.as_floating_point()) {
    raw.kind = Raw::Kind::floating;
    raw.d = f->get();
  } else {
    raw.s = node.is_table() ? "a table" : node.is_array() ? "an array" : "a date/time";
  }
}

struct FileEntry {
  std::string name;  // dotted
  toml::node* node;
  std::uint32_t line;
};

// Flattens the document to dotted entries in source order; reports unknown sections and keys.
std::vector<Setting> settings_from_file(toml::table& root, const std::string& path,
                                        std::vector<std::string>& errors) {
  std::vector<FileEntry> entries;
  auto line_of = [](const toml::key& k, const toml::node& v) {
    return k.source().begin.line != 0 ? k.source().begin.line : v.source().begin.line;
  };
  for (auto&& [k, v] : root) {
    if (toml::table* section = v.as_table(); section != nullptr && is_section(k.str())) {
      for (auto&& [k2, v2] : *section) {
        entries.push_back(
            {std::string(k.str()) + "." + std::string(k2.str()), &v2, line_of(k2, v2)});
      }
    } else {
      entries.push_back({std::string(k.str()), &v, line_of(k, v)});
    }
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const FileEntry& a, const FileEntry& b) { return a.line < b.line; });

  const Names& n = names();
  std::vector<Setting> out;
  out.reserve(entries.size());
  for (FileEntry& e : entries) {
    std::string origin = path + ":" + std::to_string(e.line) + ": ";
    auto it = n.file.find(e.name);
    if (it == n.file.end()) {
      if (is_section(e.name)) {
        errors.push_back(origin + "config key '" + e.name + "' must be a table ([" + e.name + "])");
      } else if (e.node->is_table()) {
        errors.push_back(origin + "unknown config section '" + e.name + "'" +
                         internal::suggestion(e.name, n.file_candidates));
      } else {
        errors.push_back(origin + "unknown config key '" + e.name + "'" +
                         internal::suggestion(e.name, n.file_candidates));
      }
      continue;
    }
    auto [key, via_file] = it->second;
    Setting s;
    s.key = key;
    s.via_file = via_file;
    fill_raw(*e.node, key->secret && !via_file, s.raw);
    s.origin = std::move(origin);
    s.name = e.name;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Setting> settings_from_env(const Env& env, std::vector<std::string>& errors) {
  const Names& n = names();
  std::vector<Setting> out;
  for (const auto& entry : env) {
    // Named references, not a structured binding: Clang 14 cannot capture bindings in lambdas.
    const std::string& name = entry.first;
    const std::string& value = entry.second;
    if (!name.starts_with("NSL_")) continue;
    auto it = n.env.find(name);
    if (it == n.env.end()) {
      bool under_section = std::any_of(n.env_prefixes.begin(), n.env_prefixes.end(),
                                       [&](const std::string& p) { return name.starts_with(p); });
      if (under_section) {
        errors.push_back("environment variable " + name + " names no config key" +
                         internal::suggestion(name, n.env_candidates));
      }
      continue;
    }
    auto [key, via_file] = it->second;
    Setting s;
    s.key = key;
    s.via_file = via_file;
    if (via_file) {
      s.raw.kind = Raw::Kind::string;
      s.raw.s = value;
    } else {
      s.raw = internal::raw_from_env(*key, value);
    }
    s.origin = "env " + name + ": ";
    s.name = name;
    out.push_back(std::move(s));
  }
  return out;
}

// A secret given both inline and as `_file` within one source is ambiguous: report it, use neither.
void reject_double_secrets(std::vector<Setting>& layer, bool from_env,
                           std::vector<std::string>& errors, std::set<std::string_view>& failed) {
  for (std::size_t i = 0; i < layer.size(); ++i) {
    for (std::size_t j = i + 1; j < layer.size(); ++j) {
      if (layer[i].key != layer[j].key) continue;
      const Setting& a = layer[i].via_file ? layer[j] : layer[i];
      const Setting& b = layer[i].via_file ? layer[i] : layer[j];
      errors.push_back((from_env ? "environment variables " : a.origin + "config keys '") + a.name +
                       (from_env ? " and " : "' and '") + b.name + (from_env ? "" : "'") +
                       " are both set; give one of them");
      layer[i].skip = layer[j].skip = true;
      failed.insert(a.key->key);
    }
  }
}

// Reads the secret named by a `_file` setting into the config.
std::optional<std::string> apply_secret_file(const KeyInfo& key, Config& config, const Raw& raw) {
  std::string what = "config key '" + key.file_key() + "'";
  if (raw.kind != Raw::Kind::string) {
    return what + " must be a string (a file path), got " + internal::describe(raw);
  }
  SecretString& secret = *std::get<SecretString*>(key.field(config));
  std::string& path = *key.file_field(config);
  if (raw.s.empty()) {  // explicit "no secret", e.g. NSL_..._FILE= to cancel the file's setting
    secret.clear();
    path.clear();
    return std::nullopt;
  }
  std::string text;
  std::string why = read_small_file(raw.s, kMaxSecretBytes, text);
  if (!why.empty()) {
    SecretString::wipe(text);
    return what + ": cannot read secret file " + internal::toml_quote(raw.s) + ": " + why;
  }
  if (text.ends_with('\n')) text.pop_back();  // the one trailing newline editors and `echo` add
  if (text.ends_with('\r')) text.pop_back();
  if (text.empty()) return what + ": secret file " + internal::toml_quote(raw.s) + " is empty";
  secret = SecretString::take(text);
  path = raw.s;
  return std::nullopt;
}

// Parses the file; on failure `errors` gets the one reason (a syntax error stops everything else).
std::optional<toml::table> parse_file(const std::string& path, std::vector<std::string>& errors) {
  std::string text;
  if (std::string why = read_small_file(path, kMaxConfigBytes, text); !why.empty()) {
    SecretString::wipe(text);
    errors.push_back("cannot read config file " + internal::toml_quote(path) + ": " + why);
    return std::nullopt;
  }
  std::optional<toml::table> root;
  try {
    root = toml::parse(std::string_view(text), std::string_view(path));
  } catch (const toml::parse_error& e) {
    const toml::source_position& at = e.source().begin;
    errors.push_back(path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                     ": TOML syntax error: " + std::string(e.description()));
  } catch (const std::exception& e) {
    errors.push_back(path + ": cannot parse config file: " + e.what());
  }
  SecretString::wipe(text);  // the document may hold inline secrets
  return root;
}

// Fills config.auth.oidc_issuers: the issuer of the auth.oidc_* keys, then every [[issuer]] of
// auth.oidc_issuers_file. The entries are checked by check() like any key.
void collect_oidc_issuers(Config& config, const std::set<std::string_view>& failed,
                          std::vector<std::string>& errors) {
  AuthConfig& a = config.auth;
  a.oidc_issuers.clear();
  if (!a.oidc_issuer.empty()) {
    a.oidc_issuers.push_back(OidcIssuer{.issuer = a.oidc_issuer,
                                        .jwks_url = a.oidc_jwks_url,
                                        .audience = a.oidc_audience,
                                        .tenant = a.oidc_tenant,
                                        .roles_claim = a.oidc_roles_claim,
                                        .origin = "auth.oidc_*"});
  }
  const std::string& path = a.oidc_issuers_file;
  if (path.empty() || failed.contains("auth.oidc_issuers_file")) return;
  std::vector<std::string> parse_errors;
  std::optional<toml::table> root = parse_file(path, parse_errors);
  if (!root) {
    for (std::string& e : parse_errors) errors.push_back("auth.oidc_issuers_file: " + std::move(e));
    return;
  }
  const std::string where = "auth.oidc_issuers_file " + internal::toml_quote(path);
  for (auto&& [k, v] : *root) {
    if (k.str() != "issuer" || !v.is_array_of_tables()) {
      errors.push_back(where + ": unexpected top-level key " + internal::toml_quote(k.str()) +
                       " (only [[issuer]] tables are allowed)");
    }
  }
  const toml::array* list = (*root)["issuer"].as_array();
  if (list == nullptr || !list->is_array_of_tables()) return;
  std::size_t n = 0;
  for (const toml::node& node : *list) {
    ++n;
    OidcIssuer entry{.origin = where + ": issuer #" + std::to_string(n)};
    const std::pair<std::string_view, std::string*> fields[] = {{"issuer", &entry.issuer},
                                                               {"jwks_url", &entry.jwks_url},
                                                               {"audience", &entry.audience},
                                                               {"tenant", &entry.tenant},
                                                               {"roles_claim", &entry.roles_claim}};
    for (auto&& kv : *node.as_table()) {
      const toml::key& k = kv.first;
      const toml::node& v = kv.second;
      const std::string_view name = k.str();
      auto it = std::find_if(std::begin(fields), std::end(fields), [name](const auto& f) { return f.first == name; });
      if (it == std::end(fields)) {
        errors.push_back(entry.origin + ": unknown key " + internal::toml_quote(k.str()) +
                         " (expected issuer, jwks_url, audience, tenant, roles_claim)");
      } else if (!v.is_string()) {
        errors.push_back(entry.origin + ": " + std::string(k.str()) + " must be a string");
      } else {
        *it->second = *v.value<std::string>();
      }
    }
    a.oidc_issuers.push_back(std::move(entry));
  }
}

}  // namespace

Result<Config> load(const std::string& path, const Env& env) {
  std::vector<std::string> errors;
  std::vector<Setting> from_file;
  std::optional<toml::table> root;
  if (!path.empty()) {
    root = parse_file(path, errors);
    if (!root) return internal::problems_error(errors);
    from_file = settings_from_file(*root, path, errors);
  }
  std::vector<Setting> from_env = settings_from_env(env, errors);

  std::set<std::string_view> failed;
  reject_double_secrets(from_file, false, errors, failed);
  reject_double_secrets(from_env, true, errors, failed);
  for (Setting& f : from_file) {
    bool overridden = std::any_of(from_env.begin(), from_env.end(),
                                  [&](const Setting& e) { return e.key == f.key; });
    if (overridden) f.skip = true;
  }

  Config config;
  config.source = path;
  internal::Origins origins;
  for (std::vector<Setting>* layer : {&from_file, &from_env}) {
    for (Setting& s : *layer) {
      if (s.skip) continue;
      origins[s.key->key] = s.origin;
      auto problem = s.via_file ? apply_secret_file(*s.key, config, s.raw)
                                : internal::assign(*s.key, config, s.raw);
      if (problem) {
        errors.push_back(s.origin + *problem);
        failed.insert(s.key->key);
      }
    }
  }
  collect_oidc_issuers(config, failed, errors);
  for (std::string& p : internal::check(config, origins, failed)) errors.push_back(std::move(p));
  if (!errors.empty()) return internal::problems_error(errors);
  return config;
}

}  // namespace nsl::config
