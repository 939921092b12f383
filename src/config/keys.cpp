// The key table: the single description of every configuration key. Everything else (file parsing,
// env overrides, messages, render, reload diff, docs) iterates it. To add a key: add the struct
// member with its default and comment in config.hpp, then one entry below.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "config/config.hpp"
#include "config/config_internal.hpp"

namespace nsl::config {
namespace {

static_assert(std::is_same_v<unsigned, std::uint32_t> && std::is_same_v<std::size_t, std::uint64_t>,
              "FieldRef names integer members by exact width");

constexpr bool kReload = true;    // applied on SIGHUP
constexpr bool kRestart = false;  // needs a restart

constexpr std::int64_t kPortMax = 65535;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kTenMinMs = 600'000;
constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;

template <class Section, class Member>
std::function<FieldRef(Config&)> member(Section Config::*section, Member Section::*field) {
  return [section, field](Config& c) -> FieldRef { return &(c.*section.*field); };
}

KeyInfo integer(std::string_view key, std::function<FieldRef(Config&)> field, std::int64_t min,
                std::int64_t max, bool reloadable, std::string_view description) {
  return {.key = key,
          .type = ValueType::integer,
          .min = min,
          .max = max,
          .reloadable = reloadable,
          .description = description,
          .field = std::move(field)};
}

KeyInfo boolean(std::string_view key, std::function<FieldRef(Config&)> field, bool reloadable,
                std::string_view description) {
  return {.key = key,
          .type = ValueType::boolean,
          .reloadable = reloadable,
          .description = description,
          .field = std::move(field)};
}

KeyInfo text(std::string_view key, std::function<FieldRef(Config&)> field,
             std::vector<std::string_view> choices, bool reloadable, std::string_view description) {
  return {.key = key,
          .type = ValueType::string,
          .choices = std::move(choices),
          .reloadable = reloadable,
          .description = description,
          .field = std::move(field)};
}

KeyInfo secret(std::string_view key, std::function<FieldRef(Config&)> field,
               std::function<std::string*(Config&)> file_field, bool reloadable,
               std::string_view description) {
  return {.key = key,
          .type = ValueType::secret,
          .secret = true,
          .reloadable = reloadable,
          .description = description,
          .field = std::move(field),
          .file_field = std::move(file_field)};
}

template <class Section>
std::function<std::string*(Config&)> path_member(Section Config::*section,
                                                 std::string Section::*field) {
  return [section, field](Config& c) { return &(c.*section.*field); };
}

// NOLINTBEGIN(cppcoreguidelines-macro-usage): keeps each table entry on one line.
#define NSL_FIELD(section, name) member(&Config::section, &decltype(Config::section)::name)
#define NSL_PATH(section, name) path_member(&Config::section, &decltype(Config::section)::name)

std::vector<KeyInfo> build_table() {
  const auto profile = [](Config& c) -> FieldRef { return &c.profile; };
  return {
      text("profile", profile, {"embedded", "production"}, kRestart,
           "embedded: one machine, SQLite + local cache + sim enclave, dev conveniences such as "
           "a self-signed certificate; production: PostgreSQL/Redis/real TEE, no dev shortcuts"),
      text("server.bind", NSL_FIELD(server, bind), {}, kRestart,
           "IP address literal to listen on (IPv4 or IPv6, no brackets); containers use 0.0.0.0"),
      integer("server.http_port", NSL_FIELD(server, http_port), 0, kPortMax, kRestart,
              "plain HTTP port; 0 disables plain HTTP"),
      integer("server.https_port", NSL_FIELD(server, https_port), 0, kPortMax, kRestart,
              "HTTPS port; 0 disables HTTPS"),
      integer("server.metrics_port", NSL_FIELD(server, metrics_port), 0, kPortMax, kRestart,
              "Prometheus /metrics port; 0 disables the metrics listener"),
      integer("server.workers", NSL_FIELD(server, workers), 0, 1024, kRestart,
              "I/O worker threads; 0 = number of CPU cores"),
      integer("server.max_connections", NSL_FIELD(server, max_connections), 1, 1'000'000, kRestart,
              "open connections per process over all listeners"),
      integer("server.max_header_bytes", NSL_FIELD(server, max_header_bytes), kKiB, kMiB, kRestart,
              "largest request line + headers in bytes (431 beyond)"),
      integer("server.max_body_bytes", NSL_FIELD(server, max_body_bytes), kKiB, 64 * kMiB, kRestart,
              "largest request body in bytes (413 beyond)"),
      integer("server.header_timeout_ms", NSL_FIELD(server, header_timeout_ms), 1, kHourMs,
              kRestart, "the whole request head must arrive within this (slowloris defence)"),
      integer("server.body_timeout_ms", NSL_FIELD(server, body_timeout_ms), 1, kHourMs, kRestart,
              "the whole request body must arrive within this"),
      integer("server.idle_timeout_ms", NSL_FIELD(server, idle_timeout_ms), 1, kHourMs, kRestart,
              "keep-alive connection idle time before it is closed"),
      integer("server.write_timeout_ms", NSL_FIELD(server, write_timeout_ms), 1, kHourMs, kRestart,
              "time allowed to write one response"),
      integer("server.blocking_threads", NSL_FIELD(server, blocking_threads), 0, 4096, kRestart,
              "threads for request handlers' blocking work (database, enclave, audit waits); 0 = "
              "4 x database.pool_size on PostgreSQL, 2 x CPU cores (at least 4) on the embedded SQLite file"),
      integer("server.drain_timeout_ms", NSL_FIELD(server, drain_timeout_ms), 1, kTenMinMs,
              kRestart, "on SIGTERM, longest wait for in-flight requests to finish"),
      integer("server.shutdown_delay_ms", NSL_FIELD(server, shutdown_delay_ms), 0, kTenMinMs,
              kRestart,
              "on SIGTERM, keep serving (reporting not ready) this long before closing listeners"),
      boolean("server.read_only", NSL_FIELD(server, read_only), kRestart,
              "read-only secondary: refuse every request that would change state (503, problem type "
              "urn:nsl:problem:read_only) and run no background writes; PostgreSQL replica only"),
      text("tls.cert_file", NSL_FIELD(tls, cert_file), {}, kReload,
           "PEM certificate chain; with tls.key_file, both or neither (neither + embedded = "
           "self-signed development certificate in the data dir)"),
      text("tls.key_file", NSL_FIELD(tls, key_file), {}, kReload,
           "PEM private key of tls.cert_file"),
      text("tls.client_ca_file", NSL_FIELD(tls, client_ca_file), {}, kReload,
           "PEM CA bundle; when set, clients must present a certificate it signed (mTLS) on "
           "the HTTPS port"),
      text("tls.min_version", NSL_FIELD(tls, min_version), {"1.2", "1.3"}, kReload,
           "lowest TLS protocol version accepted"),
      text("log.level", NSL_FIELD(log, level), {"trace", "debug", "info", "warn", "error"}, kReload,
           "least severe level written"),
      boolean("log.access_log", NSL_FIELD(log, access_log), kRestart,
              "write one JSON line per request"),
      text("data.dir", NSL_FIELD(data, dir), {}, kRestart,
           "state directory: SQLite database, sim enclave sealing key, development certificate"),
      secret("metrics.bearer_token", NSL_FIELD(metrics, bearer_token),
             NSL_PATH(metrics, bearer_token_file), kReload,
             "when set, GET /metrics requires \"Authorization: Bearer <token>\""),
      text("enclave.mode", NSL_FIELD(enclave, mode), {"sim", "gramine-sgx", "tdx", "snp"}, kRestart,
           "how nsl-enclave runs: sim (a plain process that protects nothing; embedded profile only), "
           "gramine-sgx, tdx or snp"),
      text("enclave.socket", NSL_FIELD(enclave, socket), {}, kRestart,
           "where nsl-enclave listens: a Unix socket path (mode 0600; \"\" = <data.dir>/enclave.sock), or "
           "tcp://127.0.0.1:PORT / tcp://[::1]:PORT for gramine-sgx (needs enclave.token)"),
      secret("enclave.token", NSL_FIELD(enclave, token), NSL_PATH(enclave, token_file), kRestart,
             "shared secret (>= 32 characters) nsl presents to nsl-enclave on every connection; required "
             "with a tcp:// enclave.socket"),
      boolean("enclave.spawn", NSL_FIELD(enclave, spawn), kRestart,
              "nsl serve starts nsl-enclave and restarts it with backoff when it exits; false = "
              "connect to one run separately (production DaemonSet)"),
      text("enclave.binary", NSL_FIELD(enclave, binary), {}, kRestart,
           "nsl-enclave executable started when enclave.spawn is true; \"\" = next to nsl"),
      text("enclave.seal_policy", NSL_FIELD(enclave, seal_policy), {"signer", "measurement"}, kRestart,
           "sealing-key identity: signer (sealed blobs survive enclave upgrades) or measurement "
           "(bound to this exact enclave build)"),
      integer("enclave.workers", NSL_FIELD(enclave, workers), 0, 256, kRestart,
              "nsl-enclave worker threads; 0 = number of CPU cores"),
      integer("enclave.key_cache_size", NSL_FIELD(enclave, key_cache_size), 1, 1'000'000, kRestart,
              "unsealed keys kept in the enclave's LRU cache (zeroized on eviction)"),
      integer("enclave.connections", NSL_FIELD(enclave, connections), 1, 64, kRestart,
              "socket connections from nsl to nsl-enclave (each carries many requests at once)"),
      integer("enclave.request_timeout_ms", NSL_FIELD(enclave, request_timeout_ms), 1, kTenMinMs,
              kRestart, "deadline of one enclave call"),
      integer("enclave.max_frame_bytes", NSL_FIELD(enclave, max_frame_bytes), 4 * kKiB, 16 * kMiB,
              kRestart, "largest enclave protocol frame in bytes"),
      secret("database.url", NSL_FIELD(database, url), NSL_PATH(database, url_file), kReload,
             "\"\" = the embedded SQLite file <data.dir>/nsl.db; \"sqlite:PATH\"; or a PostgreSQL URI "
             "postgresql://user:pass@host:5432/db for the service role (row-level security applies); "
             "PostgreSQL only: a changed value (a rotated password) is used by connections opened from then on"),
      secret("database.migration_url", NSL_FIELD(database, migration_url), NSL_PATH(database, migration_url_file),
             kRestart, "PostgreSQL URI of the schema owner, used by nsl migrate; \"\" = database.url"),
      secret("database.replica_url", NSL_FIELD(database, replica_url),
             NSL_PATH(database, replica_url_file), kReload,
             "PostgreSQL URI of a read replica (service role) for read-only transactions; \"\" = "
             "read from the primary"),
      integer("database.pool_size", NSL_FIELD(database, pool_size), 1, 256, kRestart,
              "PostgreSQL connections per process"),
      integer("database.statement_timeout_ms", NSL_FIELD(database, statement_timeout_ms), 0,
              3'600'000, kRestart,
              "longest one PostgreSQL statement may run before it is cancelled (the call fails with "
              "deadline_exceeded); 0 = no limit"),
      secret("cache.url", NSL_FIELD(cache, url), NSL_PATH(cache, url_file), kRestart,
             "\"\" = in-process cache (one replica only); or redis://[user:pass@]host:6379[/db], shared by all "
             "replicas for rate limits, revocations and locks (required by the production profile)"),
      text("cache.prefix", NSL_FIELD(cache, prefix), {}, kRestart, "namespace prepended to every Redis key"),
      integer("cache.pool_size", NSL_FIELD(cache, pool_size), 1, 256, kRestart, "Redis connections per process"),
      integer("cache.timeout_ms", NSL_FIELD(cache, timeout_ms), 1, 60'000, kRestart,
              "deadline of one Redis command"),
      integer("cache.ttl_api_responses_s", NSL_FIELD(cache, ttl_api_responses_s), 1, 7 * 86'400, kRestart,
              "lifetime of cached API responses (read-through cache class api_responses)"),
      integer("cache.ttl_db_queries_s", NSL_FIELD(cache, ttl_db_queries_s), 1, 7 * 86'400, kRestart,
              "lifetime of cached database query results (class db_queries)"),
      integer("cache.ttl_chain_data_s", NSL_FIELD(cache, ttl_chain_data_s), 1, 7 * 86'400, kRestart,
              "lifetime of cached Neo N3 / NeoX RPC results (class chain_data)"),
      integer("cache.ttl_ai_models_s", NSL_FIELD(cache, ttl_ai_models_s), 1, 7 * 86'400, kRestart,
              "lifetime of cached AI model data (class ai_models)"),
      text("auth.issuer", NSL_FIELD(auth, issuer), {}, kRestart,
           "iss of the access tokens this service issues and accepts (also the OIDC discovery issuer)"),
      text("auth.audience", NSL_FIELD(auth, audience), {}, kRestart, "aud of the access tokens this service issues"),
      text("auth.token_alg", NSL_FIELD(auth, token_alg), {"ES256", "EdDSA", "RS256"}, kRestart,
           "signing algorithm of issued access tokens: ES256 or EdDSA (key held inside the enclave) or RS256 "
           "(RSA-3072 key sealed by the enclave at rest, used in this process)"),
      integer("auth.access_token_ttl_s", NSL_FIELD(auth, access_token_ttl_s), 60, 86'400, kRestart,
              "lifetime of an issued access token in seconds"),
      integer("auth.key_rotation_days", NSL_FIELD(auth, key_rotation_days), 1, 365, kRestart,
              "a new token signing key is made this often; old keys keep verifying until their tokens expire"),
      integer("auth.api_key_cache_ttl_s", NSL_FIELD(auth, api_key_cache_ttl_s), 0, 300, kRestart,
              "seconds a verified API key is reused in a process; a revocation reaches every replica within it"),
      text("auth.oidc_issuer", NSL_FIELD(auth, oidc_issuer), {}, kRestart,
           "exact iss of an external OpenID Connect issuer whose access tokens are accepted; \"\" = none"),
      text("auth.oidc_jwks_url", NSL_FIELD(auth, oidc_jwks_url), {}, kRestart,
           "that issuer's JWKS URL: https://, or http:// to a loopback address"),
      text("auth.oidc_audience", NSL_FIELD(auth, oidc_audience), {}, kRestart,
           "the aud that issuer puts in tokens meant for nsl"),
      text("auth.oidc_tenant", NSL_FIELD(auth, oidc_tenant), {}, kRestart,
           "the tenant id (UUID) every principal of that issuer belongs to"),
      text("auth.oidc_roles_claim", NSL_FIELD(auth, oidc_roles_claim), {}, kRestart,
           "the claim holding those principals' roles: an array of \"role\" or \"role@resource\""),
      text("auth.oidc_issuers_file", NSL_FIELD(auth, oidc_issuers_file), {}, kRestart,
           "a TOML file of further trusted issuers, one [[issuer]] table each with the keys issuer, jwks_url, "
           "audience, tenant and roles_claim; \"\" = none"),
      integer("rate_limit.general_per_minute", NSL_FIELD(rate_limit, general_per_minute), 1, 10'000'000, kReload,
              "requests per minute per tenant and principal on general routes"),
      integer("rate_limit.keys_per_minute", NSL_FIELD(rate_limit, keys_per_minute), 1, 10'000'000, kReload,
              "requests per minute per tenant and principal on key-management routes"),
      integer("rate_limit.sign_per_minute", NSL_FIELD(rate_limit, sign_per_minute), 1, 10'000'000, kReload,
              "requests per minute per tenant and principal on signing routes (sign, sign-transaction, verify)"),
      integer("rate_limit.ip_per_minute", NSL_FIELD(rate_limit, ip_per_minute), 1, 10'000'000, kReload,
              "requests per minute per client address on authenticated routes"),
      text("rate_limit.general_fallback", NSL_FIELD(rate_limit, general_fallback), {"local", "deny", "allow"},
           kReload, "when Redis is unreachable, general routes: local (per-replica limit), deny (503) or allow"),
      text("rate_limit.keys_fallback", NSL_FIELD(rate_limit, keys_fallback), {"local", "deny", "allow"}, kReload,
           "when Redis is unreachable, key-management routes: deny (fail closed, default), local or allow"),
      text("rate_limit.sign_fallback", NSL_FIELD(rate_limit, sign_fallback), {"local", "deny", "allow"}, kReload,
           "when Redis is unreachable, signing routes: local (per-replica limit, default), deny (503) or allow"),
      boolean("attestation.allow_simulated", NSL_FIELD(attestation, allow_simulated), kRestart,
              "accept quotes of the sim enclave (signed by a simulated quoting key; no hardware "
              "protection behind them)"),
  };
}

#undef NSL_FIELD
#undef NSL_PATH
// NOLINTEND(cppcoreguidelines-macro-usage)

std::string upper_snake(std::string_view dotted) {
  std::string out;
  for (char c : dotted) {
    if (c == '.') {
      out += '_';
    } else if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

const std::vector<KeyInfo>& keys() {
  static const std::vector<KeyInfo> table = build_table();
  return table;
}

const KeyInfo* find_key(std::string_view dotted) {
  for (const KeyInfo& k : keys()) {
    if (k.key == dotted) return &k;
  }
  return nullptr;
}

std::string KeyInfo::env_name() const { return "NSL_" + upper_snake(key); }

std::string KeyInfo::file_key() const {
  return type == ValueType::secret ? std::string(key) + "_file" : "";
}

std::string KeyInfo::type_text() const {
  switch (type) {
    case ValueType::boolean: return "a boolean (true or false)";
    case ValueType::integer:
      return "an integer in " + std::to_string(min) + ".." + std::to_string(max);
    case ValueType::secret: return "a string";
    case ValueType::string: {
      if (choices.empty()) return "a string";
      std::string out = "one of ";
      for (std::size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) out += ", ";
        out += internal::toml_quote(choices[i]);
      }
      return out;
    }
  }
  return "a value";
}

std::string KeyInfo::default_text() const { return internal::value_text(*this, Config{}); }

namespace internal {

const std::vector<std::string>& sections() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const KeyInfo& k : keys()) {
      auto dot = k.key.find('.');
      if (dot == std::string_view::npos) continue;
      std::string s(k.key.substr(0, dot));
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    return out;
  }();
  return names;
}

}  // namespace internal
}  // namespace nsl::config
