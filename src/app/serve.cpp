#include "app/serve.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <latch>
#include <map>
#include <mutex>
#include <thread>

#include "app/access.hpp"
#include "app/access_routes.hpp"
#include "app/user_routes.hpp"
#include "app/audit_keys.hpp"
#include "app/blocking.hpp"
#include "app/build_info.hpp"
#include "app/file_watch.hpp"
#include "app/health.hpp"
#include "app/key_import_routes.hpp"
#include "app/key_routes.hpp"
#include "app/read_only.hpp"
#include "app/secret_routes.hpp"
#include "app/transit_routes.hpp"
#include "app/sign_routes.hpp"
#include "app/storage.hpp"
#include "auth/oidc.hpp"
#include "app/system_routes.hpp"
#include "cache/local_cache.hpp"
#include "cache/metered_cache.hpp"
#include "cache/redis_cache.hpp"
#include "config/config.hpp"
#include "core/strings.hpp"
#include "core/thread_name.hpp"
#include "enclave/client.hpp"
#include "enclave/metered.hpp"
#include "enclave/supervisor.hpp"
#include "http/dispatcher.hpp"
#include "http/server.hpp"
#include "http/tls.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "obs/process_metrics.hpp"
#include "services/keys/idempotency.hpp"
#include "services/keys/service.hpp"
#include "services/secrets/service.hpp"
#include "store/postgres_db.hpp"

namespace nsl::app {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// server.blocking_threads; 0 = as many as the database can keep busy. PostgreSQL: 4 × database.pool_size
// (handlers mostly wait on the network there). The embedded SQLite file: 2 × the CPU cores (at least 4) — its
// reads and writes run on the CPU in this process, one writer at a time, so more threads only add wake-ups
// and task switches (with 64 threads on 2 cores a signing cost ≈ 35 % more CPU; bench/README.md).
std::size_t blocking_threads(const config::Config& c, store::Backend backend) {
  if (c.server.blocking_threads > 0) return c.server.blocking_threads;
  if (backend == store::Backend::sqlite)
    return std::max<std::size_t>(4, 2 * static_cast<std::size_t>(std::max(1u, std::thread::hardware_concurrency())));
  return std::max<std::size_t>(4, 4 * static_cast<std::size_t>(c.database.pool_size));
}

http::ServerLimits limits_from(const config::ServerConfig& s) {
  http::ServerLimits l;
  l.max_header_bytes = s.max_header_bytes;
  l.max_body_bytes = s.max_body_bytes;
  l.max_connections = s.max_connections;
  l.header_timeout = milliseconds(s.header_timeout_ms);
  l.body_timeout = milliseconds(s.body_timeout_ms);
  l.idle_timeout = milliseconds(s.idle_timeout_ms);
  l.write_timeout = milliseconds(s.write_timeout_ms);
  return l;
}

void apply_log_settings(const config::Config& cfg) {
  obs::Level lvl = obs::Level::info;
  obs::parse_level(cfg.log.level, lvl);  // validated by config::load
  obs::set_level(lvl);
  obs::set_redactions(config::secret_values(cfg));
}

// TLS settings for the https listener: the configured files, or (embedded profile only) a self-signed
// development certificate kept in the data dir.
Result<http::TlsSettings> tls_settings(const config::Config& cfg) {
  http::TlsSettings s;
  s.client_ca_file = cfg.tls.client_ca_file;
  s.min_version = cfg.tls.min_version;
  if (!cfg.tls.cert_file.empty()) {
    s.cert_file = cfg.tls.cert_file;
    s.key_file = cfg.tls.key_file;
    return s;
  }
  if (cfg.profile != config::Profile::embedded) {
    return err::invalid_argument("tls.cert_file and tls.key_file are required outside the embedded profile");
  }
  bool generated = false;
  std::string dir = cfg.data.dir + "/tls";
  NSL_TRY_ASSIGN(http::TlsSettings dev, http::ensure_dev_certificate(dir, generated));
  auto fp = http::certificate_fingerprint(dev.cert_file);
  obs::log_warn(generated ? "generated a self-signed development TLS certificate"
                          : "using the self-signed development TLS certificate",
                {{"cert_file", dev.cert_file},
                 {"sha256_fingerprint", fp.ok() ? *fp : std::string("?")},
                 {"hint", "configure tls.cert_file and tls.key_file for anything but local development"}});
  s.cert_file = dev.cert_file;
  s.key_file = dev.key_file;
  return s;
}

auth::RatePolicy rate_policy(const config::Config& cfg) {
  auth::RatePolicy p;
  auto fb = [](const std::string& s) { return auth::parse_rate_fallback(s).value_or(auth::RateFallback::local); };
  p.classes = {
      {"general", {cfg.rate_limit.general_per_minute, fb(cfg.rate_limit.general_fallback)}},
      {"keys", {cfg.rate_limit.keys_per_minute, fb(cfg.rate_limit.keys_fallback)}},
      {"sign", {cfg.rate_limit.sign_per_minute, fb(cfg.rate_limit.sign_fallback)}},
      {"ip", {cfg.rate_limit.ip_per_minute, fb(cfg.rate_limit.general_fallback)}},
  };
  return p;
}

// An io_context whose pending handlers can be destroyed before the objects they refer to: a
// connection abandoned at the drain deadline is a suspended coroutine owned by the context, and its
// frame (its socket, its guards on the server's gauges) must go while the server, the services and
// the metrics registry still exist, not when the context itself is destroyed after them.
class IoContext : public asio::io_context {
 public:
  void destroy_pending_handlers() { shutdown(); }  // idempotent; the destructor calls it again
};

class Service {
 public:
  explicit Service(config::Config cfg) : cfg_(std::move(cfg)), signals_(ioc_, SIGTERM, SIGINT, SIGHUP) {}

  int run() {
    apply_log_settings(cfg_);
    if (cfg_.profile == config::Profile::embedded) {
      std::error_code ec;
      std::filesystem::create_directories(cfg_.data.dir, ec);
      if (ec) {
        obs::log_error("cannot create data directory", {{"dir", cfg_.data.dir}, {"error", ec.message()}});
        return 1;
      }
      ::chmod(cfg_.data.dir.c_str(), 0700);
    }
    state_.profile = std::string(config::profile_name(cfg_.profile));
    state_.read_only = cfg_.server.read_only;
    state_.started_at =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    {
      std::lock_guard lk(state_.mu);
      state_.metrics_token = cfg_.metrics.bearer_token;
    }
    obs::register_process_metrics(registry_);
    registry_.gauge_family("nsl_build_info", "Build of the running nsl binary (value is always 1)",
                           {"version", "revision", "build_type"})
        .with({kVersion, kGitRevision, kBuildType})
        .set(1);
    tls_expiry_ = &registry_.gauge("nsl_tls_certificate_expiry_timestamp_seconds",
                                   "notAfter of the HTTPS server certificate, unix seconds");
    reloads_ = &registry_.counter_family("nsl_config_reloads_total", "SIGHUP reloads by result", {"result"});
    registry_.gauge("nsl_read_only", "1 on a read-only secondary (server.read_only), which refuses writes, else 0")
        .set(cfg_.server.read_only ? 1 : 0);
    if (cfg_.server.read_only) {
      obs::log_warn("read-only secondary: requests that change state are refused (503) and no background job writes",
                    {{"hint", "promote: make the database primary, then restart with server.read_only = false"}});
    }

    if (Status s = open_storage(); !s.ok()) {
      obs::log_error("start-up failed: database", {{"error", s.error().message()}});
      obs::flush();
      return 1;
    }
    if (Status s = start_enclave(); !s.ok()) {
      obs::log_error("start-up failed: enclave", {{"error", s.error().message()}});
      obs::flush();
      return 1;
    }
    if (Status s = start_access(); !s.ok()) {
      obs::log_error("start-up failed: access control", {{"error", s.error().message()}});
      obs::flush();
      return 1;
    }
    if (Status s = build_and_listen(); !s.ok()) {
      obs::log_error("start-up failed", {{"error", s.error().message()}});
      obs::flush();
      return 1;
    }

    co_spawn(ioc_, signal_loop(), asio::detached);
    co_spawn(ioc_, maintenance_loop(), asio::detached);
    co_spawn(ioc_, file_watch_loop(), asio::detached);
    server_->start();
    health_.set_started(true);
    unsigned workers = cfg_.server.workers != 0 ? cfg_.server.workers : std::max(1u, std::thread::hardware_concurrency());
    obs::log_info("nsl started", {{"version", kVersion},
                                  {"revision", kGitRevision},
                                  {"profile", state_.profile},
                                  {"read_only", cfg_.server.read_only},
                                  {"http_port", http_port_},
                                  {"https_port", https_port_},
                                  {"metrics_port", metrics_port_},
                                  {"workers", workers}});
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < workers; ++i) {
      threads.emplace_back([this] {
        set_thread_name("nsl-io");
        ioc_.run();
      });
    }
    ioc_.run();
    for (auto& t : threads) t.join();
    pool_->join();  // pool work of abandoned requests ends by handing them back to the stopped context…
    ioc_.destroy_pending_handlers();  // …where they are destroyed now, while everything they use exists
    // Every acknowledged request's audit record is already committed; this flushes the rest.
    audit_->stop();
    enclave_.reset();
    if (supervisor_) supervisor_->stop();
    obs::log_info(forced_ ? "nsl stopped (forced)" : "nsl stopped", {{"in_flight_abandoned", abandoned_}});
    obs::flush();
    return forced_ ? 1 : 0;
  }

 private:
  // The embedded SQLite database is migrated here; a PostgreSQL schema must already be current (`nsl migrate`,
  // run by the operator or a deploy job as the owner role), so replicas never race to change it.
  Status open_storage() {
    NSL_TRY_ASSIGN(db_, open_store(cfg_));
    register_db_metrics(registry_, *db_);  // PostgreSQL pool gauges/counters; no-op for SQLite
    const bool sqlite = db_->backend() == store::Backend::sqlite;
    if (sqlite) NSL_TRY(db_->migrate());
    NSL_TRY_ASSIGN(int version, db_->schema_version());
    const int want = latest_schema_version(*db_);
    if (version != want) {
      return err::failed_precondition("database schema is at version " + std::to_string(version) +
                                      ", this nsl needs " + std::to_string(want) + ": run `nsl migrate`");
    }
    obs::log_info("database ready", {{"backend", sqlite ? "sqlite" : "postgres"}, {"schema_version", version}});
    health_.add_check("storage", [this]() -> asio::awaitable<Status> {
      co_return db_->with_system([](store::Tx& tx) -> Status {
        NSL_TRY(tx.query("SELECT 1", {}));
        return {};
      });
    });
    return {};
  }

  // Spawns nsl-enclave when enclave.spawn (embedded default) and connects the client to its socket. Readiness
  // stays false while the enclave is down; the supervisor restarts it, the client re-dials.
  Status start_enclave() {
    const std::string socket = config::enclave_socket_path(cfg_);
    state_.enclave_mode = cfg_.enclave.mode;
    if (cfg_.enclave.spawn) {
      enclave::SupervisorOptions so;
      so.binary = cfg_.enclave.binary.empty() ? enclave::default_enclave_binary() : cfg_.enclave.binary;
      if (!cfg_.source.empty()) so.args = {"--config", cfg_.source};
      supervisor_ = std::make_unique<enclave::Supervisor>(so);
      NSL_TRY(supervisor_->start());
      // Give a fresh child a moment to bind its socket, so start-up logs read in order.
      for (int i = 0; i < 300 && socket.rfind("tcp://", 0) != 0 && ::access(socket.c_str(), F_OK) != 0 &&
                      supervisor_->running();
           ++i) {
        std::this_thread::sleep_for(milliseconds(10));
      }
    }
    NSL_TRY_ASSIGN(config::EnclaveEndpoint endpoint, config::enclave_endpoint(cfg_));
    enclave_ = std::make_unique<enclave::EnclaveClient>(enclave::ClientOptions{
        .socket_path = endpoint.path,
        .tcp_host = endpoint.tcp_host,
        .tcp_port = endpoint.tcp_port,
        .token = cfg_.enclave.token,
        .connections = cfg_.enclave.connections,
        .deadline = milliseconds(cfg_.enclave.request_timeout_ms),
        .max_frame = cfg_.enclave.max_frame_bytes,
    });
    metered_enclave_ = std::make_unique<enclave::MeteredEnclave>(*enclave_, &registry_);
    for (int i = 0; i < 300 && !enclave_->ready(); ++i) std::this_thread::sleep_for(milliseconds(10));
    if (auto id = enclave_->cached_identity()) {
      obs::log_info("enclave ready", {{"mode", std::string(enclave::mode_name(id->mode))},
                                      {"simulated", id->simulated},
                                      {"measurement", to_hex(id->measurement)},
                                      {"seal_policy", id->seal_policy},
                                      {"socket", socket}});
    } else {
      obs::log_warn("enclave not ready yet; /health/ready reports not ready until it answers", {{"socket", socket}});
    }
    if (cfg_.enclave.mode == "sim") {
      obs::log_warn("SIMULATED ENCLAVE: keys and secrets have no hardware protection; development only",
                    {{"hint", "production needs enclave.mode = gramine-sgx, tdx or snp"}});
    }
    enclave_up_ = &registry_.gauge("nsl_enclave_up", "1 when the enclave answers on its socket, else 0");
    enclave_restarts_ = &registry_.gauge("nsl_enclave_restarts", "Times nsl serve has restarted nsl-enclave");
    state_.enclave_info = [this] {
      nlohmann::json j{{"mode", cfg_.enclave.mode}, {"ready", enclave_->ready()}};
      if (auto id = enclave_->cached_identity()) {
        j["simulated"] = id->simulated;
        j["measurement"] = to_hex(id->measurement);
        j["seal_policy"] = id->seal_policy;
        j["version"] = id->version;
      } else {
        j["simulated"] = cfg_.enclave.mode == "sim";
      }
      return j;
    };
    health_.add_check("enclave", [this]() -> asio::awaitable<Status> {
      if (supervisor_) enclave_restarts_->set(supervisor_->restarts());
      Status st = enclave_->ready() ? enclave_->check(milliseconds(1000))
                                    : Status(err::unavailable("enclave not connected"));
      enclave_up_->set(st.ok() ? 1 : 0);
      co_return st;
    });
    return {};
  }

  // Cache (Redis or in-process), audit log, identity, tokens, rate limits, authenticator.
  Status start_access() {
    const std::size_t pool_threads = blocking_threads(cfg_, db_->backend());
    pool_ = std::make_unique<asio::thread_pool>(pool_threads);
    // Each pool thread names itself: every one of these tasks waits for all the others, so each
    // thread takes exactly one.
    auto named = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(pool_threads));
    for (std::size_t i = 0; i < pool_threads; ++i) {
      asio::post(*pool_, [named] {
        set_thread_name("nsl-pool");
        named->arrive_and_wait();
      });
    }
    local_cache_ = std::make_unique<cache::LocalCache>();
    if (cfg_.cache.url.empty()) {
      if (cfg_.profile != config::Profile::embedded) return err::failed_precondition("cache.url is required");
    } else {
      NSL_TRY_ASSIGN(redis_, cache::RedisCache::create({
                                 .url = std::string(cfg_.cache.url.reveal()),
                                 .prefix = cfg_.cache.prefix,
                                 .pool_size = cfg_.cache.pool_size,
                                 .connect_timeout = milliseconds(cfg_.cache.timeout_ms),
                                 .command_timeout = milliseconds(cfg_.cache.timeout_ms),
                                 .pool_wait_timeout = milliseconds(cfg_.cache.timeout_ms),
                             }));
      health_.add_check(
          "cache",
          [this]() -> asio::awaitable<Status> { co_return co_await offload(*pool_, [this] { return redis_->ping(); }); },
          /*critical=*/false);
    }
    // Hits, misses and errors of the shared cache (rate limits, revocations) per back end.
    shared_cache_ = std::make_unique<cache::MeteredCache>(
        redis_ ? static_cast<cache::Cache&>(*redis_) : *local_cache_, redis_ ? "redis" : "local", registry_);
    cache::Cache& shared = *shared_cache_;
    audit_signer_ = std::make_unique<LazyAuditSigner>(*db_, *metered_enclave_);
    // Opening may create the checkpoint key (a write); a read-only secondary appends nothing to sign.
    if (Status st = cfg_.server.read_only ? Status() : audit_signer_->open(); !st.ok()) {
      obs::log_warn("audit checkpoint key not open yet; retried every minute", {{"error", st.error().message()}});
    }
    audit_ = std::make_unique<audit::AuditLog>(
        *db_, audit::AuditLogOptions{.signer = audit_signer_.get(), .metrics = &registry_});
    identity_ = std::make_unique<identity::IdentityService>(
        *db_, audit_.get(), Clock::real(), identity::IdentityOptions{.record_api_key_use = !cfg_.server.read_only});
    users_ = std::make_unique<identity::UserService>(*db_, audit_.get(), Clock::real(), *metered_enclave_);
    auto alg = auth::jws_alg_from_name(cfg_.auth.token_alg);
    tokens_ = std::make_unique<auth::TokenService>(
        *db_, *metered_enclave_,
        auth::TokenOptions{.issuer = cfg_.auth.issuer,
                           .audience = cfg_.auth.audience,
                           .alg = alg.value_or(auth::JwsAlg::ES256),
                           .access_ttl = std::chrono::seconds(cfg_.auth.access_token_ttl_s),
                           .rotation = std::chrono::hours(24) * cfg_.auth.key_rotation_days,
                           .verify_only = cfg_.server.read_only},
        Clock::real());
    if (Status st = tokens_->maintain(); !st.ok()) {
      // Issuing retries on demand and the maintenance loop every minute; verification of tokens
      // signed by keys in the store works as soon as they load.
      obs::log_warn("token signing keys not ready yet", {{"error", st.error().message()}});
    }
    // The signing path keeps keys in memory only where this process owns the data (KeyOptions).
    keys_ = std::make_unique<keys::KeyService>(*db_, *metered_enclave_, audit_.get(), shared, Clock::real(),
                                               keys::KeyOptions{.cache_for_signing =
                                                                    db_->backend() == store::Backend::sqlite},
                                               &registry_);
    transit_ = std::make_unique<transit::TransitService>(*db_, *metered_enclave_, audit_.get(), Clock::real(),
                                                         transit::TransitOptions{}, &registry_);
    idempotency_ = std::make_unique<keys::IdempotencyStore>(*db_, Clock::real());
    signer_ = std::make_unique<keys::KeySigner>(*keys_, *metered_enclave_, audit_.get(), shared, *idempotency_,
                                                Clock::real());
    secrets_ = std::make_unique<secrets::SecretsService>(*db_, *metered_enclave_, audit_.get(), Clock::real(),
                                                         secrets::SecretsOptions{}, &registry_);
    limiter_ = std::make_unique<auth::RateLimiter>(shared, *local_cache_, rate_policy(cfg_), &registry_);
    for (const config::OidcIssuer& trusted : cfg_.auth.oidc_issuers) {
      NSL_TRY_ASSIGN(store::TenantId oidc_tenant, store::TenantId::parse(trusted.tenant));
      NSL_TRY(auth::check_jwks_url(trusted.jwks_url));
      auto verifier = std::make_unique<auth::OidcVerifier>(
          auth::OidcIssuerConfig{.issuer = trusted.issuer,
                                 .jwks_url = trusted.jwks_url,
                                 .audience = trusted.audience,
                                 .tenant = oidc_tenant,
                                 .roles_claim = trusted.roles_claim},
          auth::make_curl_jwks_source(), Clock::real());
      if (Status st = verifier->refresh(); !st.ok()) {
        obs::log_warn("external issuer JWKS not fetched yet; retried on demand",
                      {{"issuer", trusted.issuer}, {"error", st.error().message()}});
      }
      oidc_.emplace(trusted.issuer, std::move(verifier));
    }
    auto* ids = identity_.get();
    auto* tokens = tokens_.get();
    const auto* oidc = &oidc_;
    const auto api_key_ttl = std::chrono::seconds(cfg_.auth.api_key_cache_ttl_s);
    authn_ = std::make_unique<Authenticator>(
        [ids, api_key_ttl](std::string_view credential, std::string* why) -> Result<Verified> {
          auto p = ids->authenticate_api_key(credential);
          if (!p.ok()) return std::move(p).error();
          (void)why;
          return Verified{.principal = std::move(*p), .reuse_until = std::chrono::system_clock::now() + api_key_ttl};
        },
        [tokens, oidc](std::string_view credential, std::string* why) -> Result<Verified> {
          // The unverified iss only picks the verifier; each verifies everything itself.
          auth::OidcVerifier* external = nullptr;
          if (!oidc->empty()) {
            auto iss = auth::unverified_issuer(credential);
            auto it = iss ? oidc->find(*iss) : oidc->end();
            if (it != oidc->end()) external = it->second.get();
          }
          auto p = external != nullptr ? external->verify(credential, why) : tokens->verify(credential, why);
          if (!p.ok()) return std::move(p).error();
          const auto until = std::chrono::system_clock::time_point(std::chrono::milliseconds(p->expires_at_ms));
          return Verified{.principal = std::move(*p), .reuse_until = until};
        },
        revocation_check(shared, *local_cache_), Clock::real(), &registry_, AccessOptions{.api_key_cache_ttl = api_key_ttl});
    return {};
  }

  // Background upkeep: token signing keys (rotation, keys made by other replicas), scheduled tenant
  // and transit key rotation and key destruction every minute; secrets data-key rotation and rewrap
  // every 5 minutes; refresh-token families past their end, spend-ledger entries older than a day
  // and expired idempotency records once an hour. A read-only secondary only reloads token keys.
  asio::awaitable<void> maintenance_loop() {
    asio::steady_timer timer(ioc_);
    for (unsigned round = 0;; ++round) {
      timer.expires_after(std::chrono::seconds(60));
      auto [ec] = co_await timer.async_wait(kNoThrow);
      if (ec || stopping_) co_return;
      Status st = co_await offload(*pool_, [this] { return tokens_->maintain(); });
      if (!st.ok()) obs::log_warn("token key maintenance failed", {{"error", st.error().message()}});
      // A read-only secondary only reloads the token verification keys (verify_only) and writes nothing.
      if (cfg_.server.read_only) continue;
      Status opened = co_await offload(*pool_, [this] { return audit_signer_->open(); });
      if (!opened.ok()) obs::log_warn("audit checkpoint key not open yet", {{"error", opened.error().message()}});
      co_await key_maintenance(round % 60 == 0);
      if (round % 5 == 0) co_await secrets_maintenance();
      if (round % 60 != 0) continue;
      auto purged = co_await offload(*pool_, [this] { return users_->purge_expired_refresh(); });
      if (!purged.ok()) {
        obs::log_warn("refresh token purge failed", {{"error", purged.error().message()}});
      } else if (*purged > 0) {
        obs::log_info("expired refresh token families purged", {{"tokens", std::to_string(*purged)}});
      }
    }
  }

  // Tenant keys: rotation (one replica at a time, under the "keys:rotation" lock) and destruction
  // of keys past their grace period (conditional updates: safe on every replica at once).
  asio::awaitable<void> key_maintenance(bool hourly) {
    const auto now = std::chrono::system_clock::now();
    auto rotated = co_await offload(*pool_, [this, now] { return keys_->rotate_due(now); });
    if (!rotated.ok()) {
      obs::log_warn("scheduled key rotation failed", {{"error", rotated.error().message()}});
    } else if (*rotated > 0) {
      obs::log_info("keys rotated on schedule", {{"keys", *rotated}});
    }
    // Transit keys: the same schedule under their own lock ("transit:rotation").
    auto transit_rotated = co_await offload(*pool_, [this] { return transit_->rotate_due(*shared_cache_); });
    if (!transit_rotated.ok()) {
      obs::log_warn("scheduled transit key rotation failed", {{"error", transit_rotated.error().message()}});
    } else if (*transit_rotated > 0) {
      obs::log_info("transit keys rotated on schedule", {{"keys", *transit_rotated}});
    }
    auto destroyed = co_await offload(*pool_, [this, now] { return keys_->purge_destroyed(now); });
    if (!destroyed.ok()) {
      obs::log_warn("key destruction failed", {{"error", destroyed.error().message()}});
    } else if (*destroyed > 0) {
      obs::log_info("keys destroyed after their grace period", {{"keys", *destroyed}});
    }
    if (!hourly) co_return;
    auto pruned = co_await offload(*pool_, [this, now] { return keys_->prune_spends(now); });
    if (!pruned.ok()) obs::log_warn("spend ledger pruning failed", {{"error", pruned.error().message()}});
    auto expired = co_await offload(*pool_, [this] { return idempotency_->purge_expired(); });
    if (!expired.ok()) {
      obs::log_warn("idempotency record purge failed", {{"error", expired.error().message()}});
    }
  }

  // Tenant secrets: scheduled data-key rotation and rewrap of stored versions to the newest key
  // (safe on every replica at once: conditional inserts and updates).
  asio::awaitable<void> secrets_maintenance() {
    auto done = co_await offload(*pool_, [this] { return secrets_->maintain(); });
    if (!done.ok()) {
      obs::log_warn("secrets maintenance failed", {{"error", done.error().message()}});
    } else if (done->rotated > 0 || done->rewrapped > 0) {
      obs::log_info("secrets maintenance", {{"data_keys_rotated", done->rotated}, {"versions_rewrapped", done->rewrapped}});
    }
  }

  Status build_and_listen() {
    http::Router api;
    NSL_TRY(add_api_system_routes(api, health_, state_));
    cache::Cache& shared = *shared_cache_;
    NSL_TRY(add_access_routes(api, AccessRoutesDeps{.identity = *identity_,
                                                    .tokens = *tokens_,
                                                    .audit = *audit_,
                                                    .cache = shared,
                                                    .local_cache = *local_cache_,
                                                    .authn = *authn_,
                                                    .pool = *pool_}));
    NSL_TRY(add_user_routes(
        api, UserRoutesDeps{.users = *users_, .tokens = *tokens_, .audit = *audit_, .pool = *pool_}));
    NSL_TRY(add_key_routes(api, KeyRoutesDeps{.keys = *keys_, .pool = *pool_}));
    NSL_TRY(add_key_import_routes(api, KeyRoutesDeps{.keys = *keys_, .pool = *pool_}));
    NSL_TRY(add_sign_routes(api, SignRoutesDeps{.signer = *signer_, .pool = *pool_}));
    NSL_TRY(add_transit_routes(api, TransitRoutesDeps{.transit = *transit_, .pool = *pool_}));
    NSL_TRY(add_secret_routes(api, SecretRoutesDeps{.secrets = *secrets_, .pool = *pool_}));
    http::Router metrics;
    NSL_TRY(add_metrics_routes(metrics, registry_, state_));
    api_ = std::make_unique<http::Dispatcher>(std::move(api), registry_,
                                              http::DispatcherOptions{.access_log = cfg_.log.access_log});
    tenant_limits_ = std::make_unique<TenantLimits>(*db_, Clock::real());
    if (cfg_.server.read_only) api_->use(read_only_middleware());  // first: refuses before authentication
    // With the in-process rate limiter (no Redis) a request whose checks are all in memory is checked on its
    // I/O thread (routes marked starts_on_io_thread: the signing routes).
    api_->use(access_middleware(*authn_, *limiter_, *pool_, tenant_limits_.get(), /*checks_in_memory=*/!redis_));
    metrics_dispatcher_ = std::make_unique<http::Dispatcher>(
        std::move(metrics), registry_,
        http::DispatcherOptions{.access_log = false, .metrics = true, .metric_prefix = "nsl_metrics_http"});
    server_ = std::make_unique<http::Server>(ioc_, limits_from(cfg_.server), registry_);
    const std::string& bind = cfg_.server.bind;
    if (cfg_.server.http_port != 0) {
      NSL_TRY_ASSIGN(http_port_, server_->listen(bind, cfg_.server.http_port, *api_));
    }
    if (cfg_.server.https_port != 0) {
      NSL_TRY_ASSIGN(http::TlsSettings ts, tls_settings(cfg_));
      NSL_TRY_ASSIGN(tls_, http::TlsContext::create(ts));
      tls_expiry_->set(tls_->not_after_unix());
      NSL_TRY_ASSIGN(https_port_, server_->listen(bind, cfg_.server.https_port, *api_, tls_));
    }
    if (cfg_.server.metrics_port != 0) {
      NSL_TRY_ASSIGN(metrics_port_, server_->listen(bind, cfg_.server.metrics_port, *metrics_dispatcher_));
    }
    return {};
  }

  // The files secrets and certificates are read from (`<key>_file`, TLS): a change reloads the
  // configuration as SIGHUP does, so credentials rotated by Vault Agent or a Kubernetes Secret
  // volume take effect within kFileWatchPeriod without a restart or a signal.
  asio::awaitable<void> file_watch_loop() {
    static constexpr auto kFileWatchPeriod = std::chrono::seconds(5);
    {
      std::lock_guard l(reload_mu_);
      files_.reset(watched_files(cfg_));
    }
    asio::steady_timer timer(ioc_);
    for (;;) {
      timer.expires_after(kFileWatchPeriod);
      auto [ec] = co_await timer.async_wait(kNoThrow);
      if (ec || stopping_) co_return;
      if (!files_.changed()) continue;
      reload("secret file changed");
      std::lock_guard l(reload_mu_);
      files_.reset(watched_files(cfg_));
    }
  }

  asio::awaitable<void> signal_loop() {
    for (;;) {
      auto [ec, sig] = co_await signals_.async_wait(kNoThrow);
      if (ec) co_return;
      if (sig == SIGHUP) {
        reload("SIGHUP");
        continue;
      }
      if (stopping_) {
        obs::log_warn("second stop signal: exiting without waiting for in-flight requests",
                      {{"signal", sig}});
        forced_ = true;
        abandoned_ = server_->busy();
        ioc_.stop();
        co_return;
      }
      stopping_ = true;
      co_spawn(ioc_, shutdown(sig), asio::detached);
    }
  }

  // SIGTERM: not ready → (optional delay so load balancers notice) → stop accepting → drain → stop.
  asio::awaitable<void> shutdown(int sig) {
    health_.set_draining(true);
    obs::log_info("shutdown requested: draining", {{"signal", sig},
                                                   {"in_flight", server_->busy()},
                                                   {"connections", server_->connections()}});
    asio::steady_timer timer(ioc_);
    if (cfg_.server.shutdown_delay_ms > 0) {
      timer.expires_after(milliseconds(cfg_.server.shutdown_delay_ms));
      co_await timer.async_wait(kNoThrow);
    }
    server_->stop_accepting();
    server_->begin_drain();
    auto deadline = std::chrono::steady_clock::now() + milliseconds(cfg_.server.drain_timeout_ms);
    while (server_->connections() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(milliseconds(10));
      co_await timer.async_wait(kNoThrow);
    }
    abandoned_ = server_->busy();
    if (abandoned_ > 0) {
      obs::log_warn("drain deadline reached with requests in flight", {{"in_flight", abandoned_}});
    }
    signals_.cancel();
    ioc_.stop();
  }

  // `trigger` ("SIGHUP", "secret file changed") starts every message of this reload.
  void reload(std::string_view trigger) {
    const std::string why(trigger);
    std::lock_guard reloading(reload_mu_);  // SIGHUP and the file watch may both ask, on two threads
    auto next = config::load(cfg_.source, config::process_env());
    if (!next.ok()) {
      reloads_->with({"error"}).inc();
      obs::log_error(why + ": configuration invalid, keeping the running one", {{"error", next.error().message()}});
      return;
    }
    for (const auto& key : config::changed_non_reloadable(cfg_, *next)) {
      obs::log_warn(why + ": setting changed but needs a restart", {{"key", key}});
    }
    apply_log_settings(*next);
    {
      std::lock_guard lk(state_.mu);
      state_.metrics_token = next->metrics.bearer_token;
    }
    if (tls_) {
      auto ts = tls_settings(*next);
      Status s = ts.ok() ? tls_->reload(*ts) : Status(ts.error());
      if (!s.ok()) {
        reloads_->with({"error"}).inc();
        obs::log_error(why + ": TLS reload failed, keeping the current certificate",
                       {{"error", s.error().message()}});
        cfg_.log = next->log;
        return;
      }
      tls_expiry_->set(tls_->not_after_unix());
    }
    // A rotated database password (database.url / replica_url, typically from a re-read url_file):
    // PostgreSQL connections opened from now on use it. The embedded SQLite file cannot move.
    if (!(next->database.url == cfg_.database.url) || !(next->database.replica_url == cfg_.database.replica_url)) {
      auto* pg = dynamic_cast<store::PostgresDatabase*>(db_.get());
      Status s = pg == nullptr ? Status(err::failed_precondition("the embedded database cannot change without a restart"))
                               : pg->set_dsn(next->database.url, next->database.replica_url);
      if (s.ok()) {
        cfg_.database.url = next->database.url;
        cfg_.database.replica_url = next->database.replica_url;
        obs::log_info(why + ": new database connections use the changed credentials");
      } else {
        obs::log_error(why + ": database credentials not changed", {{"error", s.error().message()}});
      }
    }
    // Only the reloadable parts are adopted; the rest stays as started.
    cfg_.log = next->log;
    cfg_.tls = next->tls;
    cfg_.metrics = next->metrics;
    cfg_.rate_limit = next->rate_limit;
    limiter_->set_policy(rate_policy(cfg_));
    reloads_->with({"ok"}).inc();
    obs::log_info(why + ": configuration reloaded", {{"log_level", cfg_.log.level}});
  }

  config::Config cfg_;
  IoContext ioc_;
  asio::signal_set signals_;
  obs::Registry registry_;
  Health health_;
  SystemState state_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<enclave::Supervisor> supervisor_;
  std::unique_ptr<enclave::EnclaveClient> enclave_;
  std::unique_ptr<enclave::MeteredEnclave> metered_enclave_;  // what the services use
  obs::Gauge* enclave_up_ = nullptr;
  obs::Gauge* enclave_restarts_ = nullptr;
  std::unique_ptr<asio::thread_pool> pool_;
  std::unique_ptr<cache::LocalCache> local_cache_;
  std::unique_ptr<cache::RedisCache> redis_;
  std::unique_ptr<cache::MeteredCache> shared_cache_;
  std::unique_ptr<LazyAuditSigner> audit_signer_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<identity::IdentityService> identity_;
  std::unique_ptr<identity::UserService> users_;
  std::unique_ptr<auth::TokenService> tokens_;
  std::unique_ptr<keys::KeyService> keys_;
  std::unique_ptr<transit::TransitService> transit_;
  std::unique_ptr<keys::IdempotencyStore> idempotency_;
  std::unique_ptr<keys::KeySigner> signer_;
  std::unique_ptr<secrets::SecretsService> secrets_;
  // Trusted external issuers by exact `iss` (fixed after start-up).
  std::map<std::string, std::unique_ptr<auth::OidcVerifier>, std::less<>> oidc_;
  std::unique_ptr<auth::RateLimiter> limiter_;
  std::unique_ptr<Authenticator> authn_;
  std::unique_ptr<TenantLimits> tenant_limits_;
  std::unique_ptr<http::Dispatcher> api_, metrics_dispatcher_;
  std::unique_ptr<http::Server> server_;
  std::shared_ptr<http::TlsContext> tls_;
  obs::Gauge* tls_expiry_ = nullptr;
  obs::CounterFamily* reloads_ = nullptr;
  std::mutex reload_mu_;
  FileWatch files_;
  std::uint16_t http_port_ = 0, https_port_ = 0, metrics_port_ = 0;
  bool stopping_ = false;
  bool forced_ = false;
  std::size_t abandoned_ = 0;
};

}  // namespace

int run_serve(const std::string& config_path) {
  auto cfg = config::load(config_path, config::process_env());
  if (!cfg.ok()) {
    std::cerr << "nsl: configuration error:\n" << cfg.error().message() << "\n";
    return 2;
  }
  // A peer closing mid-write must surface as an error code, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  Service svc(std::move(*cfg));
  return svc.run();
}

}  // namespace nsl::app
