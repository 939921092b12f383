// nsl/config/config.hpp — the static configuration of `nsl serve`: a TOML file, NSL_* environment
// overrides and `*_file` secret references, checked in full at start and again on SIGHUP.
//
// Sources, lowest precedence first: the defaults written in the structs below; the TOML file
// (optional); environment variables `NSL_<SECTION>_<KEY>` in upper case (NSL_SERVER_HTTP_PORT=6000,
// NSL_PROFILE=production). A secret key `k` may instead be given as `k_file = "/path"` (env
// `NSL_..._FILE`): the file is read at load, one trailing newline stripped (the Vault Agent /
// Kubernetes secret-volume pattern). Relative paths are relative to the working directory.
//
// One table, keys(), describes every key: name, type and range, binding to the struct member,
// secret and reloadable flags, description. Parsing, env mapping, error messages, render(),
// changed_non_reloadable() and `nsl config print`/docs all read it: adding a key is the struct
// member plus one entry in keys.cpp.
//
// Strictness: an unknown key in the file, or an env var under a section prefix (NSL_SERVER_,
// NSL_TLS_, ...) that names no key, is an error with a did-you-mean suggestion; other NSL_*
// variables are ignored. Every problem (a TOML syntax error aside) is reported at once: one Error,
// code invalid_argument, one line per problem, prefixed with `file:line: ` or `env NSL_X: ` when
// known. No message contains a secret value.
//
// Thread-safety: keys() is an immutable table; load/render/validate share no state and may run
// concurrently (process_env() reads `environ`: do not race it with setenv).
//
//   auto cfg = nsl::config::load(flags.config_path, nsl::config::process_env());
//   if (!cfg) { std::cerr << cfg.error().message() << "\n"; return 2; }
//   logger.redact(nsl::config::secret_values(*cfg));
//   // SIGHUP:
//   auto next = nsl::config::load(cfg->source, nsl::config::process_env());
//   if (next && nsl::config::changed_non_reloadable(*cfg, *next).empty()) apply(*next);
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "core/secret_string.hpp"

namespace nsl::config {

// embedded: single machine, SQLite + local cache + sim enclave, dev conveniences allowed (the
// default). production: PostgreSQL/Redis/real TEE, and no dev shortcuts (e.g. no self-signed TLS
// certificate).
enum class Profile { embedded, production };

struct ServerConfig {
  // IP literal to listen on (v4 or v6, no brackets); containers set 0.0.0.0.
  std::string bind = "127.0.0.1";
  std::uint16_t http_port = 5000;           // plain HTTP; 0 disables plain HTTP
  std::uint16_t https_port = 5001;          // HTTPS; 0 disables HTTPS
  std::uint16_t metrics_port = 9090;        // Prometheus /metrics listener; 0 disables it
  unsigned workers = 0;                     // I/O threads, 0..1024; 0 = number of CPU cores
  // Threads that run request handlers' blocking work (database, enclave, audit waits), 0..4096;
  // 0 = 4 × database.pool_size (a handler waiting on the enclave or the audit log holds no database
  // connection, so more threads than connections keep the connections busy).
  unsigned blocking_threads = 0;
  unsigned max_connections = 10000;         // per process over all listeners, 1..1000000
  std::size_t max_header_bytes = 16384;     // request line + headers, 1 KiB..1 MiB (431 beyond)
  std::size_t max_body_bytes = 1048576;     // request body, 1 KiB..64 MiB (413 beyond)
  std::uint32_t header_timeout_ms = 10000;  // whole head must arrive in this (slowloris); 1ms..1h
  std::uint32_t body_timeout_ms = 30000;    // whole body must arrive in this; 1 ms..1 h
  std::uint32_t idle_timeout_ms = 60000;    // keep-alive idle before close; 1 ms..1 h
  std::uint32_t write_timeout_ms = 30000;   // writing one response; 1 ms..1 h
  std::uint32_t drain_timeout_ms = 20000;   // SIGTERM: max wait for in-flight requests; 1ms..10min
  std::uint32_t shutdown_delay_ms = 0;      // SIGTERM: serve (not ready) before closing; 0..10 min
  // A multi-region read-only secondary (docs/operations.md): requests to routes that change state are
  // refused (503, problem type urn:nsl:problem:read_only) before authentication, and no background job
  // writes. PostgreSQL only (a streaming replica of the primary's database). Restart to change.
  bool read_only = false;
  friend bool operator==(const ServerConfig&, const ServerConfig&) = default;
};

struct TlsConfig {
  // PEM certificate chain; with key_file, both or neither. Neither + embedded profile => a
  // self-signed development certificate in the data dir. Default "".
  std::string cert_file;
  std::string key_file;  // PEM private key of cert_file. Default "".
  // PEM CA bundle; non-empty => mTLS: a client certificate is required on https_port. Default "".
  std::string client_ca_file;
  std::string min_version = "1.2";  // lowest TLS version accepted: "1.2" or "1.3"
  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

struct LogConfig {
  std::string level = "info";  // trace|debug|info|warn|error
  bool access_log = true;      // one JSON line per request
  friend bool operator==(const LogConfig&, const LogConfig&) = default;
};

struct DataConfig {
  std::string dir = "./data";  // state: SQLite database, sim enclave seal key, dev certificate
  friend bool operator==(const DataConfig&, const DataConfig&) = default;
};

struct MetricsConfig {
  // Optional; when set, GET /metrics needs "Authorization: Bearer <token>". Default unset.
  SecretString bearer_token;
  // The file bearer_token was read from ("" = given inline, or unset). Kept so render() prints the
  // reference rather than a placeholder, and a reload reads the file again.
  std::string bearer_token_file;
  friend bool operator==(const MetricsConfig&, const MetricsConfig&) = default;
};

struct EnclaveConfig {
  // How nsl-enclave runs: "sim" (a plain process; protects nothing, embedded profile only), "gramine-sgx",
  // "tdx" or "snp".
  std::string mode = "sim";
  // Where nsl-enclave listens: a Unix socket path ("" = <data.dir>/enclave.sock), or tcp://127.0.0.1:PORT /
  // tcp://[::1]:PORT (loopback only; for Gramine, which keeps Unix sockets inside the enclave; needs `token`).
  std::string socket;
  // Shared secret both sides present on every connection (a Hello before any other request). Required with a
  // tcp:// socket, optional with a Unix socket (whose 0600 mode already restricts who connects). >= 32 chars.
  SecretString token;
  std::string token_file;  // the file `token` was read from, "" when inline or unset
  // true: `nsl serve` starts nsl-enclave and restarts it with backoff when it exits; false: connect to one run
  // separately (the production DaemonSet).
  bool spawn = true;
  std::string binary;  // nsl-enclave executable for spawn; "" = next to the nsl executable
  // Sealing-key identity: "signer" (blobs survive enclave upgrades) or "measurement" (bound to this build).
  std::string seal_policy = "signer";
  unsigned workers = 0;                     // nsl-enclave worker threads, 0..256; 0 = number of CPU cores
  std::uint32_t key_cache_size = 1024;      // unsealed keys kept in the enclave's LRU, 1..1000000
  unsigned connections = 1;                 // nsl -> enclave socket connections, 1..64 (see client.hpp)
  std::uint32_t request_timeout_ms = 5000;  // deadline of one enclave call, 1 ms..10 min
  std::uint32_t max_frame_bytes = 1048576;  // largest protocol frame, 4 KiB..16 MiB
  friend bool operator==(const EnclaveConfig&, const EnclaveConfig&) = default;
};

struct AttestationConfig {
  // Accept quotes of the sim enclave (signed by a simulated quoting key, no hardware behind them).
  bool allow_simulated = false;
  friend bool operator==(const AttestationConfig&, const AttestationConfig&) = default;
};

struct DatabaseConfig {
  // "" = the embedded SQLite file <data.dir>/nsl.db; "sqlite:PATH"; or a PostgreSQL URI
  // "postgresql://user:pass@host:5432/db" (the service role, subject to row-level security).
  SecretString url;
  std::string url_file;
  // Owner role for `nsl migrate` on PostgreSQL; "" = url.
  SecretString migration_url;
  std::string migration_url_file;
  // PostgreSQL read replica (service role) for read-only transactions; "" = read from the primary.
  SecretString replica_url;
  std::string replica_url_file;
  unsigned pool_size = 16;  // PostgreSQL connections per process, 1..256
  // Longest one PostgreSQL statement may run (then deadline_exceeded); 0 = no limit. 0..1 h.
  std::uint32_t statement_timeout_ms = 5000;
  friend bool operator==(const DatabaseConfig&, const DatabaseConfig&) = default;
};

struct CacheConfig {
  // "" = in-process cache (embedded; one replica only); or redis://[user:pass@]host:6379[/db], shared by all
  // replicas (rate limits, revocations, locks). The production profile requires Redis.
  SecretString url;
  std::string url_file;
  std::string prefix = "nsl:";  // namespace of every key in Redis
  unsigned pool_size = 8;       // Redis connections per process, 1..256
  std::uint32_t timeout_ms = 500;  // one Redis command, 1 ms..60 s
  // Lifetimes of the read-through cache classes (cache/ttl_cache.hpp), seconds.
  std::uint32_t ttl_api_responses_s = 300;
  std::uint32_t ttl_db_queries_s = 900;
  std::uint32_t ttl_chain_data_s = 60;
  std::uint32_t ttl_ai_models_s = 86400;
  friend bool operator==(const CacheConfig&, const CacheConfig&) = default;
};

// One external OpenID Connect issuer whose access tokens are accepted (docs/auth.md).
struct OidcIssuer {
  std::string issuer;    // exact `iss`
  std::string jwks_url;  // https://, or http:// to a loopback address
  std::string audience;  // the `aud` it puts in tokens meant for nsl
  std::string tenant;    // the tenant id (UUID) every principal of this issuer belongs to
  std::string roles_claim = "nsl_roles";  // array of "role" / "role@resource"
  std::string origin;    // where it was configured ("auth.oidc_*" or "<file>: issuer #N"), for messages
  friend bool operator==(const OidcIssuer&, const OidcIssuer&) = default;
};

struct AuthConfig {
  std::string issuer = "nsl";    // `iss` of the access tokens this service issues (and accepts)
  std::string audience = "nsl";  // `aud` of those tokens
  // Signing algorithm of issued access tokens: ES256 / EdDSA (key generated and held inside the enclave; the
  // private key never leaves it) or RS256 (RSA-3072 key sealed by the enclave at rest, signing in this
  // process).
  std::string token_alg = "ES256";
  std::uint32_t access_token_ttl_s = 900;   // lifetime of an access token, 60 s..24 h
  std::uint32_t key_rotation_days = 7;      // a new signing key this often; the old one verifies until expiry
  std::uint32_t api_key_cache_ttl_s = 10;   // reuse of a verified API key; a revocation takes at most this
  // An external OpenID Connect issuer whose access tokens are accepted ("" = none): its exact `iss`, the
  // JWKS URL (https://, or http:// to loopback), the `aud` it puts in tokens for nsl, the tenant its
  // principals belong to, and the claim holding their roles (array of "role" / "role@resource").
  std::string oidc_issuer;
  std::string oidc_jwks_url;
  std::string oidc_audience;
  std::string oidc_tenant;
  std::string oidc_roles_claim = "nsl_roles";
  // A TOML file of further trusted issuers, one `[[issuer]]` table each (keys issuer, jwks_url, audience,
  // tenant, roles_claim), e.g. one per tenant that brings its own identity provider ("" = none).
  std::string oidc_issuers_file;
  // Derived by load(): the issuer of the oidc_* keys (when set) followed by those of oidc_issuers_file.
  std::vector<OidcIssuer> oidc_issuers;
  friend bool operator==(const AuthConfig&, const AuthConfig&) = default;
};

struct RateLimitConfig {
  std::uint32_t general_per_minute = 1000;  // per tenant + principal, routes of class "general"
  std::uint32_t keys_per_minute = 100;      // per tenant + principal, key-management routes (class "keys")
  std::uint32_t sign_per_minute = 1000;     // per tenant + principal, signing routes (class "sign")
  std::uint32_t ip_per_minute = 3000;       // per client address, every authenticated route
  // When Redis is unreachable: local (each replica limits alone), deny (fail closed, 503) or allow.
  std::string general_fallback = "local";
  std::string keys_fallback = "deny";
  std::string sign_fallback = "local";
  friend bool operator==(const RateLimitConfig&, const RateLimitConfig&) = default;
};

struct Config {
  Profile profile = Profile::embedded;
  ServerConfig server;
  TlsConfig tls;
  LogConfig log;
  DataConfig data;
  MetricsConfig metrics;
  EnclaveConfig enclave;
  AttestationConfig attestation;
  DatabaseConfig database;
  CacheConfig cache;
  AuthConfig auth;
  RateLimitConfig rate_limit;
  std::string source;  // path of the file read, or "" when none
  friend bool operator==(const Config&, const Config&) = default;
};

// ---- The key table --------------------------------------------------------------------------

enum class ValueType {
  boolean,  // TOML true/false; env true|false|1|0
  integer,  // TOML integer within [min, max]; env decimal
  string,   // TOML string; when `choices` is non-empty, one of them
  secret,   // TOML string kept in a SecretString; also settable as `<key>_file`
};

// Where a key's value lives in a Config. Integer members are reached through their exact width.
using FieldRef = std::variant<Profile*, bool*, std::uint16_t*, std::uint32_t*, std::uint64_t*,
                              std::string*, SecretString*>;

struct KeyInfo {
  std::string_view key;  // dotted TOML name, "server.http_port" (env: NSL_SERVER_HTTP_PORT)
  ValueType type;
  std::int64_t min = 0;  // integer: inclusive range
  std::int64_t max = 0;
  std::vector<std::string_view> choices = {};  // string: the allowed values (empty = any)
  bool secret = false;      // rendered redacted, listed by secret_values(), `_file` form accepted
  bool reloadable = false;  // takes effect on SIGHUP; otherwise needs a restart
  std::string_view description = {};
  std::function<FieldRef(Config&)> field = {};           // binder: the member holding the value
  std::function<std::string*(Config&)> file_field = {};  // secret only: member for the `_file` path

  std::string env_name() const;      // "NSL_SERVER_HTTP_PORT"
  std::string file_key() const;      // secret only: "metrics.bearer_token_file"; else ""
  std::string type_text() const;     // "an integer in 0..65535", "one of \"1.2\", \"1.3\"", ...
  std::string default_text() const;  // the default as TOML: 5000, "info", ""
};

// Every key, in render order (top-level keys first, then section by section).
const std::vector<KeyInfo>& keys();
// nullptr if `dotted` is not a key (the `_file` forms are not keys of their own).
const KeyInfo* find_key(std::string_view dotted);

// ---- Loading ----------------------------------------------------------------------------------

using Env = std::map<std::string, std::string>;

// The NSL_* variables of this process's environment (other variables are not copied).
Env process_env();

// Defaults <- TOML file at `path` ("" = no file) <- `env`; reads `*_file` secrets; validates. All
// problems come back together in one invalid_argument Error, one per line. `source` = `path`.
Result<Config> load(const std::string& path, const Env& env);

// The per-key ranges and the cross-field and file checks of load(), for a Config built in code.
// Touches the file system (TLS files must be readable).
Status validate(const Config& config);

// ---- Using a loaded config --------------------------------------------------------------------

// The effective configuration as TOML, loadable by load(). A secret shows as `k = "<redacted>"`
// when given inline, as `k_file = "<path>"` when read from a file, as `k = ""` when unset. load()
// refuses the literal "<redacted>", so a printed config cannot become a deployed one with a bogus
// secret: re-loading a render() output works unless it holds an inline secret.
std::string render(const Config& config);

// Every non-empty secret value, for the logger's redaction list.
std::vector<std::string> secret_values(const Config& config);

// Keys whose value differs between `before` and `after` and that need a restart to change (SIGHUP
// applies the rest). Dotted names, in keys() order.
std::vector<std::string> changed_non_reloadable(const Config& before, const Config& after);

std::string_view profile_name(Profile p) noexcept;

// The enclave socket in effect: enclave.socket, or <data.dir>/enclave.sock when that is "".
std::string enclave_socket_path(const Config& config);

// enclave.socket split up: a Unix path, or a loopback TCP host and port.
struct EnclaveEndpoint {
  std::string path;      // Unix socket path; empty for TCP
  std::string tcp_host;  // "127.0.0.1" or "::1"; empty for Unix
  std::uint16_t tcp_port = 0;
};
// invalid_argument for a tcp:// value that is not loopback-host:port (1..65535).
Result<EnclaveEndpoint> enclave_endpoint(const Config& config);

}  // namespace nsl::config
