// Validation: per-key ranges and choices from the key table, then the rules that span keys or touch
// the file system. Every rule appends to one list so the operator sees all problems at once.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>
#include <type_traits>
#include <utility>

#include "config/config_internal.hpp"

namespace nsl::config::internal {
namespace {

class Checker {
 public:
  Checker(const Config& config, const Origins& origins, const std::set<std::string_view>& failed)
      : c_(config), origins_(origins), failed_(failed) {}

  const Config& config() const { return c_; }
  // False when the key failed to load: it holds its default, and rules over it would mislead.
  bool usable(std::string_view key) const { return !failed_.contains(key); }
  // A problem about one key, located where that key was set.
  void add(std::string_view key, const std::string& message) {
    auto it = origins_.find(key);
    problems_.push_back(it == origins_.end() ? message : it->second + message);
  }
  // A problem spanning several keys (no single location).
  void add(const std::string& message) { problems_.push_back(message); }
  std::vector<std::string> take() { return std::move(problems_); }

 private:
  const Config& c_;
  const Origins& origins_;
  const std::set<std::string_view>& failed_;
  std::vector<std::string> problems_;
};

std::string quoted_key(std::string_view key) { return "'" + std::string(key) + "'"; }

void check_table_ranges(Checker& ck) {
  for (const KeyInfo& key : keys()) {
    if (!ck.usable(key.key)) continue;
    std::visit(
        [&](auto* p) {
          using T = std::remove_cvref_t<decltype(*p)>;
          if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
            auto v = static_cast<std::uint64_t>(*p);
            if (v < static_cast<std::uint64_t>(key.min) ||
                v > static_cast<std::uint64_t>(key.max)) {
              ck.add(key.key, "config key " + quoted_key(key.key) + " must be " + key.type_text() +
                                  ", got " + std::to_string(v));
            }
          } else if constexpr (std::is_same_v<T, std::string>) {
            if (!key.choices.empty() &&
                std::find(key.choices.begin(), key.choices.end(), *p) == key.choices.end()) {
              ck.add(key.key, "config key " + quoted_key(key.key) + " must be " + key.type_text() +
                                  ", got " + toml_quote(*p));
            }
          }
        },
        field_of(key, ck.config()));
  }
}

void check_bind(Checker& ck) {
  const std::string& bind = ck.config().server.bind;
  if (!ck.usable("server.bind")) return;
  unsigned char addr[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, bind.c_str(), addr) == 1 || inet_pton(AF_INET6, bind.c_str(), addr) == 1) {
    return;
  }
  ck.add("server.bind",
         "config key 'server.bind' must be an IPv4 or IPv6 address literal such as 127.0.0.1, "
         "0.0.0.0 or :: (no host names, no brackets), got " +
             toml_quote(bind));
}

void check_ports(Checker& ck) {
  const ServerConfig& s = ck.config().server;
  const std::array<std::pair<std::string_view, std::uint16_t>, 3> ports{{
      {"server.http_port", s.http_port},
      {"server.https_port", s.https_port},
      {"server.metrics_port", s.metrics_port},
  }};
  for (std::size_t i = 0; i < ports.size(); ++i) {
    for (std::size_t j = i + 1; j < ports.size(); ++j) {
      auto [a, pa] = ports[i];
      auto [b, pb] = ports[j];
      if (pa != 0 && pa == pb && ck.usable(a) && ck.usable(b)) {
        ck.add("config keys " + quoted_key(a) + " and " + quoted_key(b) + " are both " +
               std::to_string(pa) + "; non-zero ports must differ");
      }
    }
  }
  if (s.http_port == 0 && s.https_port == 0 && ck.usable("server.http_port") &&
      ck.usable("server.https_port")) {
    ck.add(
        "config keys 'server.http_port' and 'server.https_port' are both 0; at least one API "
        "listener must be enabled");
  }
}

// Why `path` cannot be opened for reading as a regular file, or "" if it can.
std::string unreadable_reason(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::error_code(errno, std::generic_category()).message();
  struct stat st {};
  std::string reason;
  if (::fstat(fd, &st) != 0) {
    reason = std::error_code(errno, std::generic_category()).message();
  } else if (!S_ISREG(st.st_mode)) {
    reason = "not a regular file";
  }
  ::close(fd);
  return reason;
}

void check_tls(Checker& ck) {
  const TlsConfig& t = ck.config().tls;
  if (ck.usable("tls.cert_file") && ck.usable("tls.key_file") &&
      t.cert_file.empty() != t.key_file.empty()) {
    bool cert_set = !t.cert_file.empty();
    ck.add(cert_set ? "tls.cert_file" : "tls.key_file",
           std::string("config key ") + (cert_set ? "'tls.cert_file'" : "'tls.key_file'") +
               " is set but " + (cert_set ? "'tls.key_file'" : "'tls.cert_file'") +
               " is not; give both or neither");
  }
  for (auto [key, path] :
       {std::pair<std::string_view, const std::string*>{"tls.cert_file", &t.cert_file},
        {"tls.key_file", &t.key_file},
        {"tls.client_ca_file", &t.client_ca_file}}) {
    if (path->empty() || !ck.usable(key)) continue;
    if (std::string why = unreadable_reason(*path); !why.empty()) {
      ck.add(key, "config key " + quoted_key(key) + " names " + toml_quote(*path) +
                      ", which cannot be read: " + why);
    }
  }
  if (!t.client_ca_file.empty() && ck.config().server.https_port == 0 &&
      ck.usable("tls.client_ca_file") && ck.usable("server.https_port")) {
    ck.add(
        "config key 'tls.client_ca_file' is set but 'server.https_port' is 0; client "
        "certificates (mTLS) need the HTTPS listener");
  }
}

void check_profile(Checker& ck) {
  const Config& c = ck.config();
  if (c.profile != Profile::production || c.server.https_port == 0 || !ck.usable("profile") ||
      !ck.usable("server.https_port")) {
    return;
  }
  // One of the two set alone is already reported by check_tls.
  if (c.tls.cert_file.empty() && c.tls.key_file.empty() && ck.usable("tls.cert_file") &&
      ck.usable("tls.key_file")) {
    ck.add(
        "profile",
        "profile \"production\" with 'server.https_port' " + std::to_string(c.server.https_port) +
            " needs 'tls.cert_file' and 'tls.key_file' (the self-signed development certificate "
            "is for the embedded profile only; or set 'server.https_port' = 0 behind a TLS proxy)");
  }
}

void check_data(Checker& ck) {
  if (ck.usable("data.dir") && ck.config().data.dir.empty()) {
    ck.add("data.dir", "config key 'data.dir' must not be empty");
  }
}

void check_enclave(Checker& ck) {
  const Config& c = ck.config();
  if (ck.usable("enclave.socket")) {
    auto ep = enclave_endpoint(c);
    if (!ep.ok()) {
      ck.add("enclave.socket", ep.error().message());
    } else if (ep->tcp_port != 0 && c.enclave.token.empty() && ck.usable("enclave.token")) {
      ck.add("enclave.socket", "config key 'enclave.socket' is a tcp:// socket, which anyone on the host can "
                               "connect to: set 'enclave.token' (or 'enclave.token_file')");
    }
  }
  if (!c.enclave.token.empty() && c.enclave.token.size() < 32 && ck.usable("enclave.token")) {
    ck.add("enclave.token", "config key 'enclave.token' must be at least 32 characters");
  }
  if (c.profile == Profile::production && c.enclave.mode == "sim" && ck.usable("profile") &&
      ck.usable("enclave.mode")) {
    ck.add("enclave.mode",
           "profile \"production\" needs a hardware enclave: 'enclave.mode' \"sim\" protects nothing (use "
           "gramine-sgx, tdx or snp, or the embedded profile for development)");
  }
}

void check_database(Checker& ck) {
  const Config& c = ck.config();
  if (!ck.usable("database.url")) return;
  if (c.profile == Profile::production && ck.usable("profile") &&
      (c.database.url.empty() || c.database.url.reveal().rfind("sqlite:", 0) == 0)) {
    ck.add("database.url",
           "profile \"production\" needs PostgreSQL: set 'database.url' to a postgresql:// URI (SQLite is the "
           "embedded profile's single-machine store; replicas cannot share it)");
    return;
  }
  if (c.database.url.empty()) return;
  const std::string_view url = c.database.url.reveal();
  const bool ok = url.rfind("sqlite:", 0) == 0 ? url.size() > 7
                                                : url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (!ok) {
    // The value may hold a password: name the key, never echo it.
    ck.add("database.url",
           "config key 'database.url' must be \"sqlite:PATH\" or a postgresql:// URI (value not shown: it may "
           "hold a password)");
  }
}

// A read-only secondary follows the primary region's database through PostgreSQL streaming
// replication; an SQLite file has no primary to follow, so on it the flag could only make a
// deployment that can never write (and could not even migrate its own schema at start).
void check_read_only(Checker& ck) {
  const Config& c = ck.config();
  if (!c.server.read_only || !ck.usable("server.read_only") || !ck.usable("database.url")) return;
  const std::string_view url = c.database.url.reveal();
  if (url.empty() || url.rfind("sqlite:", 0) == 0) {
    ck.add("server.read_only",
           "config key 'server.read_only' needs PostgreSQL: a read-only secondary serves a streaming replica of "
           "the primary region's database (set 'database.url' to a postgresql:// URI of that replica; the "
           "embedded SQLite file has no primary to follow)");
  }
}

void check_cache(Checker& ck) {
  const Config& c = ck.config();
  if (!ck.usable("cache.url")) return;
  if (c.profile == Profile::production && ck.usable("profile") && c.cache.url.empty()) {
    ck.add("cache.url",
           "profile \"production\" needs Redis: set 'cache.url' to a redis:// URI (rate limits, revocations and "
           "locks must be shared by every replica)");
    return;
  }
  if (c.cache.url.empty()) return;
  const std::string_view url = c.cache.url.reveal();
  if (url.rfind("redis://", 0) != 0 || url.size() <= 8) {
    ck.add("cache.url", "config key 'cache.url' must be a redis:// URI (value not shown: it may hold a password)");
  }
}

// One trusted external issuer. The inline one (auth.oidc_*) is reported under its keys, those of
// auth.oidc_issuers_file under "<file>: issuer #N".
void check_oidc_issuer(Checker& ck, const OidcIssuer& i) {
  const bool inline_keys = i.origin == "auth.oidc_*";
  auto problem = [&](std::string_view field, const std::string& rule) {
    if (inline_keys) {
      const std::string key = "auth.oidc_" + std::string(field);
      ck.add(key, "config key '" + key + "' " + rule + " when 'auth.oidc_issuer' is set");
    } else {
      ck.add(i.origin + ": " + std::string(field) + " " + rule);
    }
  };
  if (i.issuer.empty() || i.issuer.size() > 256) problem("issuer", "must be 1..256 characters");
  const std::string& u = i.jwks_url;
  const bool https = u.rfind("https://", 0) == 0 && u.size() > 8;
  const bool loopback = u.rfind("http://127.0.0.1", 0) == 0 || u.rfind("http://[::1]", 0) == 0 ||
                        u.rfind("http://localhost", 0) == 0;
  if (!https && !loopback) problem("jwks_url", "must be an https:// URL (http:// only to a loopback address)");
  if (i.audience.empty()) problem("audience", "is required");
  const std::string& t = i.tenant;
  const bool uuid = t.size() == 36 && t[8] == '-' && t[13] == '-' && t[18] == '-' && t[23] == '-' &&
                    t.find_first_not_of("0123456789abcdef-") == std::string::npos;
  if (!uuid) problem("tenant", "must be a tenant id (lowercase UUID)");
  if (i.roles_claim.empty()) problem("roles_claim", "must name a claim");
}

void check_auth(Checker& ck) {
  const Config& c = ck.config();
  if (ck.usable("auth.issuer") && (c.auth.issuer.empty() || c.auth.issuer.size() > 256)) {
    ck.add("auth.issuer", "config key 'auth.issuer' must be 1..256 characters");
  }
  if (ck.usable("auth.audience") && (c.auth.audience.empty() || c.auth.audience.size() > 256)) {
    ck.add("auth.audience", "config key 'auth.audience' must be 1..256 characters");
  }
  std::set<std::string_view> seen;
  for (const OidcIssuer& i : c.auth.oidc_issuers) {
    check_oidc_issuer(ck, i);
    if (!i.issuer.empty() && !seen.insert(i.issuer).second) {
      ck.add(i.origin + ": issuer " + internal::toml_quote(i.issuer) + " is configured more than once");
    }
  }
  if (ck.usable("cache.prefix") && c.cache.prefix.size() > 64) {
    ck.add("cache.prefix", "config key 'cache.prefix' must be at most 64 characters");
  }
}

}  // namespace

std::vector<std::string> check(const Config& config, const Origins& origins,
                               const std::set<std::string_view>& failed) {
  Checker ck(config, origins, failed);
  check_table_ranges(ck);
  check_bind(ck);
  check_ports(ck);
  check_tls(ck);
  check_profile(ck);
  check_data(ck);
  check_enclave(ck);
  check_database(ck);
  check_read_only(ck);
  check_cache(ck);
  check_auth(ck);
  return ck.take();
}

}  // namespace nsl::config::internal
