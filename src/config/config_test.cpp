#include "config/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace nsl::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "nsl-config-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    cert_ = write("cert.pem", "-----BEGIN CERTIFICATE-----\n");
    key_ = write("key.pem", "-----BEGIN PRIVATE KEY-----\n");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string write(const std::string& name, const std::string& content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    return path;
  }
  std::string write_config(const std::string& content) { return write("nsl.toml", content); }

  // The error message of a load that must fail.
  std::string load_error(const std::string& path, const Env& env = {}) {
    auto r = load(path, env);
    if (r.ok()) {
      ADD_FAILURE() << "load unexpectedly succeeded";
      return "";
    }
    EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
    return r.error().message();
  }

  fs::path dir_;
  std::string cert_, key_;
};

std::size_t line_count(const std::string& s) {
  return s.empty() ? 0 : static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1;
}

TEST_F(ConfigTest, DefaultsWithoutFile) {
  auto r = load("", {});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, Config{});
  EXPECT_EQ(r->profile, Profile::embedded);
  EXPECT_EQ(r->server.bind, "127.0.0.1");
  EXPECT_EQ(r->server.http_port, 5000);
  EXPECT_EQ(r->server.https_port, 5001);
  EXPECT_EQ(r->server.metrics_port, 9090);
  EXPECT_EQ(r->server.max_body_bytes, 1048576u);
  EXPECT_EQ(r->tls.min_version, "1.2");
  EXPECT_EQ(r->log.level, "info");
  EXPECT_TRUE(r->log.access_log);
  EXPECT_EQ(r->data.dir, "./data");
  EXPECT_TRUE(r->metrics.bearer_token.empty());
  EXPECT_EQ(r->source, "");
  EXPECT_TRUE(secret_values(*r).empty());
  EXPECT_TRUE(validate(Config{}).ok());
}

TEST_F(ConfigTest, FileValues) {
  std::string path = write_config(R"(
profile = "production"
[enclave]
mode = "gramine-sgx"
spawn = false
socket = "/run/nsl/enclave.sock"
seal_policy = "measurement"
workers = 8
key_cache_size = 50
connections = 8
request_timeout_ms = 1500
max_frame_bytes = 65536
[attestation]
allow_simulated = true
[database]
url = "postgresql://nsl@db.internal:5432/nsl"
pool_size = 32
[cache]
url = "redis://cache.internal:6379/0"
[auth]
token_alg = "RS256"
access_token_ttl_s = 600
[rate_limit]
keys_per_minute = 50
keys_fallback = "local"
[server]
bind = "::"
http_port = 8080
https_port = 8443
metrics_port = 0
workers = 4
max_connections = 500
max_header_bytes = 8192
max_body_bytes = 2097152
header_timeout_ms = 5000
body_timeout_ms = 6000
idle_timeout_ms = 7000
write_timeout_ms = 8000
drain_timeout_ms = 9000
shutdown_delay_ms = 1000
[tls]
cert_file = ")" + cert_ + R"("
key_file = ")" + key_ + R"("
client_ca_file = ")" + cert_ + R"("
min_version = "1.3"
[log]
level = "warn"
access_log = false
[data]
dir = "/var/lib/nsl"
[metrics]
bearer_token = "tok-inline"
)");
  auto r = load(path, {});
  ASSERT_TRUE(r.ok()) << r.error();
  const Config& c = *r;
  EXPECT_EQ(c.profile, Profile::production);
  EXPECT_EQ(c.server.bind, "::");
  EXPECT_EQ(c.enclave.mode, "gramine-sgx");
  EXPECT_FALSE(c.enclave.spawn);
  EXPECT_EQ(c.enclave.socket, "/run/nsl/enclave.sock");
  EXPECT_EQ(c.enclave.seal_policy, "measurement");
  EXPECT_EQ(c.enclave.workers, 8u);
  EXPECT_EQ(c.enclave.key_cache_size, 50u);
  EXPECT_EQ(c.enclave.connections, 8u);
  EXPECT_EQ(c.enclave.request_timeout_ms, 1500u);
  EXPECT_EQ(c.enclave.max_frame_bytes, 65536u);
  EXPECT_TRUE(c.attestation.allow_simulated);
  EXPECT_EQ(c.database.url.reveal(), "postgresql://nsl@db.internal:5432/nsl");
  EXPECT_EQ(c.database.pool_size, 32u);
  EXPECT_EQ(c.server.http_port, 8080);
  EXPECT_EQ(c.server.https_port, 8443);
  EXPECT_EQ(c.server.metrics_port, 0);
  EXPECT_EQ(c.server.workers, 4u);
  EXPECT_EQ(c.server.max_connections, 500u);
  EXPECT_EQ(c.server.max_header_bytes, 8192u);
  EXPECT_EQ(c.server.max_body_bytes, 2097152u);
  EXPECT_EQ(c.server.header_timeout_ms, 5000u);
  EXPECT_EQ(c.server.body_timeout_ms, 6000u);
  EXPECT_EQ(c.server.idle_timeout_ms, 7000u);
  EXPECT_EQ(c.server.write_timeout_ms, 8000u);
  EXPECT_EQ(c.server.drain_timeout_ms, 9000u);
  EXPECT_EQ(c.server.shutdown_delay_ms, 1000u);
  EXPECT_EQ(c.tls.cert_file, cert_);
  EXPECT_EQ(c.tls.key_file, key_);
  EXPECT_EQ(c.tls.client_ca_file, cert_);
  EXPECT_EQ(c.tls.min_version, "1.3");
  EXPECT_EQ(c.log.level, "warn");
  EXPECT_FALSE(c.log.access_log);
  EXPECT_EQ(c.data.dir, "/var/lib/nsl");
  EXPECT_EQ(c.metrics.bearer_token.reveal(), "tok-inline");
  EXPECT_EQ(c.metrics.bearer_token_file, "");
  EXPECT_EQ(c.source, path);
  EXPECT_EQ(c.auth.token_alg, "RS256");
  EXPECT_EQ(c.auth.access_token_ttl_s, 600u);
  EXPECT_EQ(c.rate_limit.keys_per_minute, 50u);
  EXPECT_EQ(c.rate_limit.keys_fallback, "local");
  EXPECT_THAT(secret_values(c), ElementsAre("tok-inline", "postgresql://nsl@db.internal:5432/nsl",
                                            "redis://cache.internal:6379/0"));
}

TEST_F(ConfigTest, EnvTakesPrecedenceOverFile) {
  std::string path =
      write_config("[server]\nhttp_port = 6000\nworkers = 2\n[log]\nlevel = \"warn\"\n");
  Env env{{"NSL_SERVER_HTTP_PORT", "7000"},
          {"NSL_LOG_LEVEL", "debug"},
          {"NSL_LOG_ACCESS_LOG", "false"},
          {"NSL_PROFILE", "production"},
          {"NSL_ENCLAVE_MODE", "tdx"},
          {"NSL_DATABASE_URL", "postgresql://nsl@db/nsl"},
          {"NSL_CACHE_URL", "redis://cache/0"},
          {"NSL_TLS_CERT_FILE", cert_},
          {"NSL_TLS_KEY_FILE", key_},
          {"NSL_METRICS_BEARER_TOKEN", "env-token"}};
  auto r = load(path, env);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->server.http_port, 7000);
  EXPECT_EQ(r->server.workers, 2u);  // from the file, not overridden
  EXPECT_EQ(r->log.level, "debug");
  EXPECT_FALSE(r->log.access_log);
  EXPECT_EQ(r->profile, Profile::production);
  EXPECT_EQ(r->tls.cert_file, cert_);
  EXPECT_EQ(r->metrics.bearer_token.reveal(), "env-token");
}

TEST_F(ConfigTest, EnvAloneWithoutFile) {
  auto r = load("", {{"NSL_SERVER_BIND", "0.0.0.0"}, {"NSL_DATA_DIR", "/srv/nsl"}});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->server.bind, "0.0.0.0");
  EXPECT_EQ(r->data.dir, "/srv/nsl");
}

TEST_F(ConfigTest, UnknownKeyNamesItWithSuggestion) {
  std::string path = write_config("[server]\nhttp_port = 1\nhtp_port = 2\n");
  EXPECT_EQ(load_error(path),
            path + ":3: unknown config key 'server.htp_port' (did you mean 'server.http_port'?)");
}

TEST_F(ConfigTest, UnknownKeysEverywhere) {
  std::string path = write_config(
      "porfile = \"embedded\"\n[sever]\nbind = \"::\"\n[log]\nlevl = \"info\"\n"
      "totally_unrelated_name = 1\n");
  std::string e = load_error(path);
  EXPECT_THAT(e, HasSubstr(path + ":1: unknown config key 'porfile' (did you mean 'profile'?)"));
  EXPECT_THAT(e, HasSubstr(path + ":2: unknown config section 'sever' (did you mean 'server'?)"));
  EXPECT_THAT(e, HasSubstr(path + ":5: unknown config key 'log.levl' (did you mean 'log.level'?)"));
  EXPECT_THAT(
      e, EndsWith(path + ":6: unknown config key 'log.totally_unrelated_name'"));  // no suggestion
  EXPECT_EQ(line_count(e), 4u);
}

TEST_F(ConfigTest, SectionMustBeTable) {
  std::string path = write_config("server = 5\n");
  EXPECT_EQ(load_error(path), path + ":1: config key 'server' must be a table ([server])");
}

TEST_F(ConfigTest, WrongTypeInFile) {
  std::string path = write_config(
      "[server]\nhttp_port = \"abc\"\nworkers = 1.5\n[log]\naccess_log = \"yes\"\nlevel = 3\n");
  std::string e = load_error(path);
  EXPECT_THAT(
      e,
      HasSubstr(path +
                ":2: config key 'server.http_port' must be an integer in 0..65535, got \"abc\""));
  EXPECT_THAT(
      e,
      HasSubstr(path + ":3: config key 'server.workers' must be an integer in 0..1024, got 1.5"));
  EXPECT_THAT(
      e,
      HasSubstr(path +
                ":5: config key 'log.access_log' must be a boolean (true or false), got \"yes\""));
  EXPECT_THAT(
      e,
      HasSubstr(path + ":6: config key 'log.level' must be one of \"trace\", \"debug\", \"info\", "
                       "\"warn\", \"error\", got 3"));
  EXPECT_EQ(line_count(e), 4u);
}

TEST_F(ConfigTest, WrongTypeInEnv) {
  std::string e = load_error("", {{"NSL_SERVER_HTTP_PORT", "abc"}, {"NSL_LOG_ACCESS_LOG", "yes"}});
  EXPECT_THAT(
      e, HasSubstr("env NSL_SERVER_HTTP_PORT: config key 'server.http_port' must be an integer in "
                   "0..65535, got \"abc\""));
  EXPECT_THAT(e,
              HasSubstr("env NSL_LOG_ACCESS_LOG: config key 'log.access_log' must be a boolean"));
}

TEST_F(ConfigTest, BadPorts) {
  std::string path = write_config("[server]\nhttp_port = 70000\nhttps_port = -1\n");
  std::string e = load_error(path);
  EXPECT_THAT(
      e, HasSubstr(path +
                   ":2: config key 'server.http_port' must be an integer in 0..65535, got 70000"));
  EXPECT_THAT(
      e, HasSubstr(path +
                   ":3: config key 'server.https_port' must be an integer in 0..65535, got -1"));
  EXPECT_EQ(line_count(e), 2u);  // the failed keys are not also reported as duplicates of anything
}

TEST_F(ConfigTest, DuplicatePorts) {
  std::string path = write_config("[server]\nhttp_port = 5001\nmetrics_port = 5001\n");
  std::string e = load_error(path);
  EXPECT_THAT(
      e, HasSubstr("config keys 'server.http_port' and 'server.https_port' are both 5001; non-zero "
                   "ports must differ"));
  EXPECT_THAT(e,
              HasSubstr("config keys 'server.http_port' and 'server.metrics_port' are both 5001"));
  EXPECT_THAT(e,
              HasSubstr("config keys 'server.https_port' and 'server.metrics_port' are both 5001"));
  // Zero ports may repeat (disabled listeners), but one API listener must remain.
  EXPECT_TRUE(load("", {{"NSL_SERVER_HTTPS_PORT", "0"}, {"NSL_SERVER_METRICS_PORT", "0"}}).ok());
  EXPECT_THAT(load_error("", {{"NSL_SERVER_HTTPS_PORT", "0"}, {"NSL_SERVER_HTTP_PORT", "0"}}),
              HasSubstr("at least one API listener must be enabled"));
}

TEST_F(ConfigTest, SecretInlineAndFileIsError) {
  std::string token = write("token", "t\n");
  std::string path =
      write_config("[metrics]\nbearer_token = \"abc\"\nbearer_token_file = \"" + token + "\"\n");
  EXPECT_EQ(load_error(path),
            path +
                ":2: config keys 'metrics.bearer_token' and 'metrics.bearer_token_file' "
                "are both set; give one of them");
  EXPECT_EQ(load_error("", {{"NSL_METRICS_BEARER_TOKEN", "abc"},
                            {"NSL_METRICS_BEARER_TOKEN_FILE", token}}),
            "environment variables NSL_METRICS_BEARER_TOKEN and NSL_METRICS_BEARER_TOKEN_FILE are "
            "both set; give one of them");
}

TEST_F(ConfigTest, MissingSecretFile) {
  std::string missing = (dir_ / "no-such-token").string();
  std::string path = write_config("[metrics]\nbearer_token_file = \"" + missing + "\"\n");
  EXPECT_EQ(load_error(path),
            path + ":2: config key 'metrics.bearer_token_file': cannot read secret file \"" +
                missing + "\": No such file or directory");
  EXPECT_THAT(load_error("", {{"NSL_METRICS_BEARER_TOKEN_FILE", dir_.string()}}),
              HasSubstr("cannot read secret file \"" + dir_.string() + "\": not a regular file"));
}

TEST_F(ConfigTest, EmptySecretFileIsError) {
  std::string empty = write("empty-token", "\n");
  EXPECT_EQ(
      load_error("", {{"NSL_METRICS_BEARER_TOKEN_FILE", empty}}),
      "env NSL_METRICS_BEARER_TOKEN_FILE: config key 'metrics.bearer_token_file': secret file \"" +
          empty + "\" is empty");
}

TEST_F(ConfigTest, SecretFileIndirectionStripsOneNewline) {
  std::string token = write("token", "s3cret-from-file\n");
  std::string path = write_config("[metrics]\nbearer_token_file = \"" + token + "\"\n");
  auto r = load(path, {});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->metrics.bearer_token.reveal(), "s3cret-from-file");
  EXPECT_EQ(r->metrics.bearer_token_file, token);
  EXPECT_THAT(secret_values(*r), ElementsAre("s3cret-from-file"));

  std::string two = write("token2", "abc\n\n");
  auto r2 = load("", {{"NSL_METRICS_BEARER_TOKEN_FILE", two}});
  ASSERT_TRUE(r2.ok()) << r2.error();
  EXPECT_EQ(r2->metrics.bearer_token.reveal(), "abc\n");  // only one newline is stripped

  std::string bare = write("token3", "no-newline");
  auto r3 = load("", {{"NSL_METRICS_BEARER_TOKEN_FILE", bare}});
  ASSERT_TRUE(r3.ok()) << r3.error();
  EXPECT_EQ(r3->metrics.bearer_token.reveal(), "no-newline");

  // Env `_FILE` overrides an inline value in the file (different sources, so no conflict).
  std::string inline_cfg = write_config("[metrics]\nbearer_token = \"from-file\"\n");
  auto r4 = load(inline_cfg, {{"NSL_METRICS_BEARER_TOKEN_FILE", token}});
  ASSERT_TRUE(r4.ok()) << r4.error();
  EXPECT_EQ(r4->metrics.bearer_token.reveal(), "s3cret-from-file");
}

TEST_F(ConfigTest, SecretFileIsReadAgainOnReload) {
  std::string token = write("token", "first\n");
  Env env{{"NSL_METRICS_BEARER_TOKEN_FILE", token}};
  auto a = load("", env);
  ASSERT_TRUE(a.ok()) << a.error();
  write("token", "second\n");
  auto b = load("", env);
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(b->metrics.bearer_token.reveal(), "second");
  EXPECT_TRUE(changed_non_reloadable(*a, *b).empty());
}

TEST_F(ConfigTest, SecretNeverEchoedInErrors) {
  std::string path = write_config("[metrics]\nbearer_token = 123456789\n");
  std::string e = load_error(path);
  EXPECT_EQ(e, path + ":2: config key 'metrics.bearer_token' must be a string");
  EXPECT_THAT(e, Not(HasSubstr("123456789")));
}

TEST_F(ConfigTest, BadBind) {
  std::string path = write_config("[server]\nbind = \"localhost\"\n");
  EXPECT_EQ(
      load_error(path),
      path +
          ":2: config key 'server.bind' must be an IPv4 or IPv6 address literal such as 127.0.0.1, "
          "0.0.0.0 or :: (no host names, no brackets), got \"localhost\"");
  EXPECT_THAT(load_error("", {{"NSL_SERVER_BIND", "[::1]"}}), HasSubstr("env NSL_SERVER_BIND: "));
  EXPECT_THAT(load_error("", {{"NSL_SERVER_BIND", "256.1.1.1"}}), HasSubstr("'server.bind'"));
  for (const char* ok : {"0.0.0.0", "::", "::1", "10.1.2.3", "fe80::1"}) {
    EXPECT_TRUE(load("", {{"NSL_SERVER_BIND", ok}}).ok()) << ok;
  }
}

TEST_F(ConfigTest, BadProfile) {
  std::string path = write_config("profile = \"prod\"\n");
  EXPECT_EQ(
      load_error(path),
      path + ":1: config key 'profile' must be one of \"embedded\", \"production\", got \"prod\"");
  EXPECT_THAT(load_error("", {{"NSL_PROFILE", "Production"}}),
              HasSubstr("env NSL_PROFILE: config key 'profile'"));
}

TEST_F(ConfigTest, ProductionNeedsCertificateWhenHttpsEnabled) {
  EXPECT_THAT(
      load_error("", {{"NSL_PROFILE", "production"}}),
      HasSubstr("env NSL_PROFILE: profile \"production\" with 'server.https_port' 5001 needs "
                "'tls.cert_file' and 'tls.key_file'"));
  auto no_https = load("", {{"NSL_PROFILE", "production"},
                            {"NSL_ENCLAVE_MODE", "snp"},
                            {"NSL_DATABASE_URL", "postgres://nsl@db/nsl"},
                            {"NSL_CACHE_URL", "redis://cache"},
                            {"NSL_SERVER_HTTPS_PORT", "0"}});
  EXPECT_TRUE(no_https.ok()) << no_https.error();
  auto with_cert = load(
      "",
      {{"NSL_PROFILE", "production"},
       {"NSL_ENCLAVE_MODE", "tdx"},
       {"NSL_DATABASE_URL", "postgresql://nsl@db/nsl"},
       {"NSL_CACHE_URL", "redis://cache"},
       {"NSL_TLS_CERT_FILE", cert_},
       {"NSL_TLS_KEY_FILE", key_}});
  EXPECT_TRUE(with_cert.ok()) << with_cert.error();
}

TEST_F(ConfigTest, ProductionNeedsPostgres) {
  const Env base{{"NSL_PROFILE", "production"}, {"NSL_ENCLAVE_MODE", "tdx"}, {"NSL_SERVER_HTTPS_PORT", "0"}};
  EXPECT_THAT(load_error("", base), HasSubstr("profile \"production\" needs PostgreSQL"));
  Env sqlite = base;
  sqlite["NSL_DATABASE_URL"] = "sqlite:/var/lib/nsl/nsl.db";
  EXPECT_THAT(load_error("", sqlite), HasSubstr("needs PostgreSQL"));
  Env pg = base;
  pg["NSL_DATABASE_URL"] = "postgresql://nsl:secret@db/nsl";
  pg["NSL_CACHE_URL"] = "redis://cache:6379";
  auto ok = load("", pg);
  EXPECT_TRUE(ok.ok()) << ok.error();
  EXPECT_THAT(load_error("", {{"NSL_DATABASE_URL", "mysql://u:hunter2@h/d"}}),
              AllOf(HasSubstr("'database.url' must be"), Not(HasSubstr("hunter2"))));
}

TEST_F(ConfigTest, ReadOnlySecondaryNeedsPostgres) {
  EXPECT_FALSE(load("", {})->server.read_only);
  // The embedded SQLite file (default or explicit) has no primary to replicate from.
  EXPECT_THAT(load_error("", {{"NSL_SERVER_READ_ONLY", "true"}}),
              AllOf(HasSubstr("env NSL_SERVER_READ_ONLY: "),
                    HasSubstr("'server.read_only' needs PostgreSQL")));
  EXPECT_THAT(load_error(write_config("[server]\nread_only = true\n[database]\nurl = \"sqlite:x.db\"\n")),
              AllOf(HasSubstr("nsl.toml:2: "), HasSubstr("'server.read_only' needs PostgreSQL")));
  auto pg = load("", {{"NSL_SERVER_READ_ONLY", "1"}, {"NSL_DATABASE_URL", "postgresql://nsl:hunter2@replica/nsl"}});
  ASSERT_TRUE(pg.ok()) << pg.error();
  EXPECT_TRUE(pg->server.read_only);
  EXPECT_THAT(render(*pg), HasSubstr("read_only = true"));
  EXPECT_THAT(load_error("", {{"NSL_SERVER_READ_ONLY", "yes"}}), HasSubstr("NSL_SERVER_READ_ONLY"));
  // Needs a restart: SIGHUP only reports it.
  Config off = *pg;
  off.server.read_only = false;
  EXPECT_THAT(changed_non_reloadable(*pg, off), ElementsAre("server.read_only"));
}

TEST_F(ConfigTest, ProductionNeedsRedis) {
  const Env base{{"NSL_PROFILE", "production"},
                 {"NSL_ENCLAVE_MODE", "tdx"},
                 {"NSL_SERVER_HTTPS_PORT", "0"},
                 {"NSL_DATABASE_URL", "postgresql://nsl@db/nsl"}};
  EXPECT_THAT(load_error("", base), HasSubstr("profile \"production\" needs Redis"));
  Env redis = base;
  redis["NSL_CACHE_URL"] = "redis://:pw@cache:6379/1";
  auto ok = load("", redis);
  EXPECT_TRUE(ok.ok()) << ok.error();
  EXPECT_THAT(load_error("", {{"NSL_CACHE_URL", "memcached://u:hunter2@h"}}),
              AllOf(HasSubstr("'cache.url' must be a redis:// URI"), Not(HasSubstr("hunter2"))));
  EXPECT_THAT(load_error("", {{"NSL_RATE_LIMIT_KEYS_FALLBACK", "maybe"}}), HasSubstr("rate_limit.keys_fallback"));
  EXPECT_THAT(load_error("", {{"NSL_AUTH_TOKEN_ALG", "HS256"}}), HasSubstr("auth.token_alg"));
}

TEST_F(ConfigTest, ProductionRefusesTheSimEnclave) {
  auto e = load_error("", {{"NSL_PROFILE", "production"}, {"NSL_SERVER_HTTPS_PORT", "0"}});
  EXPECT_THAT(e, HasSubstr("'enclave.mode' \"sim\" protects nothing"));
  EXPECT_THAT(load_error("", {{"NSL_ENCLAVE_MODE", "sgx"}}),
              HasSubstr("'enclave.mode' must be one of \"sim\", \"gramine-sgx\", \"tdx\", \"snp\""));
  EXPECT_THAT(load_error("", {{"NSL_ENCLAVE_CONNECTIONS", "0"}}), HasSubstr("enclave.connections"));
}

TEST_F(ConfigTest, EnclaveTcpSocketIsLoopbackOnlyAndNeedsAToken) {
  const std::string token(40, 't');
  auto ok = load("", {{"NSL_ENCLAVE_SOCKET", "tcp://127.0.0.1:7443"}, {"NSL_ENCLAVE_TOKEN", token}});
  ASSERT_TRUE(ok.ok()) << ok.error();
  auto ep = enclave_endpoint(*ok);
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->tcp_host, "127.0.0.1");
  EXPECT_EQ(ep->tcp_port, 7443);
  EXPECT_TRUE(ep->path.empty());
  auto v6 = load("", {{"NSL_ENCLAVE_SOCKET", "tcp://[::1]:9"}, {"NSL_ENCLAVE_TOKEN", token}});
  ASSERT_TRUE(v6.ok()) << v6.error();
  EXPECT_EQ(enclave_endpoint(*v6)->tcp_host, "::1");
  EXPECT_THAT(load_error("", {{"NSL_ENCLAVE_SOCKET", "tcp://127.0.0.1:7443"}}), HasSubstr("set 'enclave.token'"));
  EXPECT_THAT(load_error("", {{"NSL_ENCLAVE_SOCKET", "tcp://0.0.0.0:7443"}, {"NSL_ENCLAVE_TOKEN", token}}),
              HasSubstr("loopback only"));
  EXPECT_THAT(load_error("", {{"NSL_ENCLAVE_SOCKET", "tcp://127.0.0.1:0"}, {"NSL_ENCLAVE_TOKEN", token}}),
              HasSubstr("port must be 1..65535"));
  EXPECT_THAT(load_error("", {{"NSL_ENCLAVE_SOCKET", "tcp://127.0.0.1:99999"}, {"NSL_ENCLAVE_TOKEN", token}}),
              HasSubstr("port must be 1..65535"));
  EXPECT_THAT(load_error("", {{"NSL_ENCLAVE_TOKEN", "short"}}), HasSubstr("at least 32 characters"));
  // The token is a secret: redacted when printed, listed for the logger.
  EXPECT_THAT(render(*ok), Not(HasSubstr(token)));
  EXPECT_EQ(secret_values(*ok), std::vector<std::string>{token});
  auto unix_path = enclave_endpoint(Config{});
  ASSERT_TRUE(unix_path.ok());
  EXPECT_EQ(unix_path->path, "./data/enclave.sock");
}

TEST_F(ConfigTest, EnclaveSocketDefaultsIntoTheDataDir) {
  Config c;
  c.data.dir = "/var/lib/nsl";
  EXPECT_EQ(enclave_socket_path(c), "/var/lib/nsl/enclave.sock");
  c.enclave.socket = "/run/nsl/e.sock";
  EXPECT_EQ(enclave_socket_path(c), "/run/nsl/e.sock");
}

TEST_F(ConfigTest, TlsRules) {
  std::string missing = (dir_ / "missing.pem").string();
  std::string path = write_config("[tls]\ncert_file = \"" + cert_ + "\"\nclient_ca_file = \"" +
                                  missing + "\"\nmin_version = \"1.1\"\n");
  std::string e = load_error(path);
  EXPECT_THAT(e, HasSubstr(path + ":2: config key 'tls.cert_file' is set but 'tls.key_file' is "
                                  "not; give both or neither"));
  EXPECT_THAT(e, HasSubstr(path + ":3: config key 'tls.client_ca_file' names \"" + missing +
                           "\", which cannot be read: No such file or directory"));
  EXPECT_THAT(
      e, HasSubstr(path + ":4: config key 'tls.min_version' must be one of \"1.2\", \"1.3\", got "
                          "\"1.1\""));
  EXPECT_EQ(line_count(e), 3u);

  EXPECT_THAT(load_error("", {{"NSL_TLS_CLIENT_CA_FILE", cert_}, {"NSL_SERVER_HTTPS_PORT", "0"}}),
              HasSubstr("'tls.client_ca_file' is set but 'server.https_port' is 0"));
}

TEST_F(ConfigTest, RangeRules) {
  std::string path = write_config(
      "[server]\nworkers = 1025\nmax_connections = 0\nmax_header_bytes = 100\n"
      "max_body_bytes = 67108865\nheader_timeout_ms = 0\nidle_timeout_ms = 3600001\n"
      "drain_timeout_ms = 600001\nblocking_threads = 4097\n[data]\ndir = \"\"\n");
  std::string e = load_error(path);
  EXPECT_THAT(e, HasSubstr("'server.workers' must be an integer in 0..1024, got 1025"));
  EXPECT_THAT(e, HasSubstr("'server.blocking_threads' must be an integer in 0..4096, got 4097"));
  EXPECT_THAT(e, HasSubstr("'server.max_connections' must be an integer in 1..1000000, got 0"));
  EXPECT_THAT(e,
              HasSubstr("'server.max_header_bytes' must be an integer in 1024..1048576, got 100"));
  EXPECT_THAT(
      e, HasSubstr("'server.max_body_bytes' must be an integer in 1024..67108864, got 67108865"));
  EXPECT_THAT(e, HasSubstr("'server.header_timeout_ms' must be an integer in 1..3600000, got 0"));
  EXPECT_THAT(e,
              HasSubstr("'server.idle_timeout_ms' must be an integer in 1..3600000, got 3600001"));
  EXPECT_THAT(e,
              HasSubstr("'server.drain_timeout_ms' must be an integer in 1..600000, got 600001"));
  EXPECT_THAT(e, HasSubstr(path + ":11: config key 'data.dir' must not be empty"));
  EXPECT_EQ(line_count(e), 9u);
}

TEST_F(ConfigTest, AllProblemsReportedTogether) {
  std::string path = write_config(
      "[server]\nhtp_port = 1\nbind = \"nowhere\"\nhttp_port = 5001\n[log]\n"
      "level = \"loud\"\n");
  auto r = load(path, {{"NSL_SERVER_FOO", "1"}, {"NSL_PROFILE", "production"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  const std::string& e = r.error().message();
  EXPECT_THAT(e, HasSubstr("'server.htp_port'"));
  EXPECT_THAT(e, HasSubstr("NSL_SERVER_FOO"));
  EXPECT_THAT(e, HasSubstr("'server.bind'"));
  EXPECT_THAT(e, HasSubstr("are both 5001"));
  EXPECT_THAT(e, HasSubstr("'log.level'"));
  EXPECT_THAT(e, HasSubstr("profile \"production\""));
  EXPECT_THAT(e, HasSubstr("needs a hardware enclave"));
  EXPECT_THAT(e, HasSubstr("needs PostgreSQL"));
  EXPECT_THAT(e, HasSubstr("needs Redis"));
  EXPECT_EQ(line_count(e), 9u) << e;
}

TEST_F(ConfigTest, TomlSyntaxErrorHasLineAndColumn) {
  std::string path = write_config("[server]\nhttp_port = = 5\n");
  std::string e = load_error(path);
  EXPECT_THAT(e, HasSubstr(path + ":2:"));
  EXPECT_THAT(e, HasSubstr("TOML syntax error"));
  EXPECT_EQ(line_count(e), 1u);
  EXPECT_EQ(e.find(path + ":2:0:"), std::string::npos) << e;
}

TEST_F(ConfigTest, MissingConfigFile) {
  std::string missing = (dir_ / "absent.toml").string();
  EXPECT_EQ(load_error(missing),
            "cannot read config file \"" + missing + "\": No such file or directory");
}

TEST_F(ConfigTest, UnknownSectionEnvRejectedOtherNslIgnored) {
  EXPECT_EQ(load_error("", {{"NSL_SERVER_FOO", "1"}}),
            "environment variable NSL_SERVER_FOO names no config key");
  EXPECT_EQ(load_error("", {{"NSL_SERVER_HTTP_PROT", "1"}}),
            "environment variable NSL_SERVER_HTTP_PROT names no config key (did you mean "
            "'NSL_SERVER_HTTP_PORT'?)");
  EXPECT_THAT(load_error("", {{"NSL_METRICS_TOKEN", "x"}}),
              HasSubstr("NSL_METRICS_TOKEN names no config key"));
  auto r = load("", {{"NSL_TEST_X", "1"},
                     {"NSL_BUILD_DIR", "/b"},
                     {"NSL_TEST_SERVICES_ENV", "/e"},
                     {"NSL_PROFILE_EXTRA", "x"},
                     {"HOME", "/root"}});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, Config{});
}

TEST_F(ConfigTest, ProcessEnvReadsOnlyNslVariables) {
  ASSERT_EQ(::setenv("NSL_TEST_CONFIG_PROBE", "a=b", 1), 0);
  Env env = process_env();
  ::unsetenv("NSL_TEST_CONFIG_PROBE");
  ASSERT_TRUE(env.contains("NSL_TEST_CONFIG_PROBE"));
  EXPECT_EQ(env["NSL_TEST_CONFIG_PROBE"], "a=b");
  for (const auto& [name, value] : env) EXPECT_TRUE(name.starts_with("NSL_")) << name;
}

// A config far from the defaults, used by the render tests.
// `db_url_file` holds the database URL (a secret given as a file, so render() prints the reference and the
// printed config loads back).
Config non_default(const std::string& cert, const std::string& key, const std::string& db_url_file,
                   const std::string& cache_url_file) {
  Config c;
  c.profile = Profile::production;
  c.enclave.mode = "gramine-sgx";
  c.enclave.spawn = false;
  c.attestation.allow_simulated = true;
  c.database.url = SecretString("postgresql://nsl:pw@db.internal/nsl");
  c.database.url_file = db_url_file;
  c.cache.url = SecretString("redis://cache.internal:6379");
  c.cache.url_file = cache_url_file;
  c.auth.token_alg = "EdDSA";
  c.rate_limit.general_per_minute = 500;
  c.server.bind = "0.0.0.0";
  c.server.http_port = 0;
  c.server.https_port = 443;
  c.server.metrics_port = 9100;
  c.server.workers = 8;
  c.server.max_connections = 123;
  c.server.max_header_bytes = 4096;
  c.server.max_body_bytes = 65536;
  c.server.header_timeout_ms = 1;
  c.server.body_timeout_ms = 2;
  c.server.idle_timeout_ms = 3;
  c.server.write_timeout_ms = 4;
  c.server.drain_timeout_ms = 600000;
  c.server.shutdown_delay_ms = 5;
  c.tls.cert_file = cert;
  c.tls.key_file = key;
  c.tls.client_ca_file = cert;
  c.tls.min_version = "1.3";
  c.log.level = "trace";
  c.log.access_log = false;
  c.data.dir = "/var/lib/nsl \"quoted\"\tdir";
  return c;
}

TEST_F(ConfigTest, RenderRoundTrips) {
  Config c = non_default(cert_, key_, write("db_url", "postgresql://nsl:pw@db.internal/nsl\n"),
                         write("cache_url", "redis://cache.internal:6379\n"));
  ASSERT_TRUE(validate(c).ok()) << validate(c).error();
  std::string text = render(c);
  std::string path = write_config(text);
  auto back = load(path, {});
  ASSERT_TRUE(back.ok()) << back.error() << "\n" << text;
  EXPECT_EQ(back->source, path);
  back->source = c.source;
  EXPECT_EQ(*back, c) << text;

  auto defaults = load(write_config(render(Config{})), {});
  ASSERT_TRUE(defaults.ok()) << defaults.error();
  defaults->source = "";
  EXPECT_EQ(*defaults, Config{});
}

TEST_F(ConfigTest, RenderRedactsSecrets) {
  Config c;
  c.metrics.bearer_token = SecretString("super-secret-token-value");
  std::string text = render(c);
  EXPECT_THAT(text, Not(HasSubstr("super-secret-token-value")));
  EXPECT_THAT(text, HasSubstr("bearer_token = \"<redacted>\""));
  // Feeding a printed config back must not deploy the placeholder as the token.
  EXPECT_THAT(load_error(write_config(text)),
              HasSubstr("config key 'metrics.bearer_token' holds the placeholder \"<redacted>\""));

  EXPECT_THAT(render(Config{}), HasSubstr("bearer_token = \"\""));
}

TEST_F(ConfigTest, RenderShowsSecretFileReferenceAndRoundTrips) {
  std::string token = write("token", "file-secret-value\n");
  auto c = load("", {{"NSL_METRICS_BEARER_TOKEN_FILE", token}});
  ASSERT_TRUE(c.ok()) << c.error();
  std::string text = render(*c);
  EXPECT_THAT(text, Not(HasSubstr("file-secret-value")));
  EXPECT_THAT(text, HasSubstr("bearer_token_file = \"" + token + "\""));
  auto back = load(write_config(text), {});
  ASSERT_TRUE(back.ok()) << back.error();
  back->source = c->source;
  EXPECT_EQ(*back, *c);
}

TEST_F(ConfigTest, ChangedNonReloadableListsOnlyRestartKeys) {
  Config a;
  Config b;
  b.log.level = "debug";
  b.tls.min_version = "1.3";
  b.tls.cert_file = "/new/cert.pem";
  b.metrics.bearer_token = SecretString("rotated");
  b.metrics.bearer_token_file = "/run/secrets/token";
  EXPECT_TRUE(changed_non_reloadable(a, b).empty());
  b.server.http_port = 6000;
  b.server.workers = 3;
  b.log.access_log = false;
  b.profile = Profile::production;
  EXPECT_THAT(changed_non_reloadable(a, b),
              ElementsAre("profile", "server.http_port", "server.workers", "log.access_log"));
  b.source = "/elsewhere.toml";  // not a key
  EXPECT_EQ(changed_non_reloadable(a, b).size(), 4u);
}

constexpr const char* kTenantA = "0190a6f2-8f3c-7abc-8def-0123456789ab";
constexpr const char* kTenantB = "0190a6f2-8f3c-7abc-8def-0123456789ac";

TEST_F(ConfigTest, TrustedIssuersComeFromTheInlineKeysAndTheIssuersFile) {
  std::string issuers = write("issuers.toml", std::string("[[issuer]]\nissuer = \"https://idp.acme.example/\"\n") +
                                                  "jwks_url = \"https://idp.acme.example/jwks\"\naudience = \"nsl\"\n" +
                                                  "tenant = \"" + kTenantB + "\"\n\n[[issuer]]\n" +
                                                  "issuer = \"https://login.globex.example\"\n" +
                                                  "jwks_url = \"http://127.0.0.1:8080/jwks\"\naudience = \"api\"\n" +
                                                  "tenant = \"" + kTenantA + "\"\nroles_claim = \"groups\"\n");
  auto c = load(write_config(std::string("[auth]\noidc_issuer = \"corp\"\noidc_jwks_url = \"https://corp/jwks\"\n") +
                             "oidc_audience = \"nsl\"\noidc_tenant = \"" + kTenantA + "\"\noidc_issuers_file = \"" +
                             issuers + "\"\n"),
                {});
  ASSERT_TRUE(c.ok()) << c.error().message();
  const auto& list = c->auth.oidc_issuers;
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].issuer, "corp");
  EXPECT_EQ(list[0].roles_claim, "nsl_roles");
  EXPECT_EQ(list[1].issuer, "https://idp.acme.example/");
  EXPECT_EQ(list[1].tenant, kTenantB);
  EXPECT_EQ(list[1].roles_claim, "nsl_roles");
  EXPECT_EQ(list[2].jwks_url, "http://127.0.0.1:8080/jwks");
  EXPECT_EQ(list[2].audience, "api");
  EXPECT_EQ(list[2].roles_claim, "groups");

  // No inline issuer, no file: none trusted.
  auto none = load(write_config("[auth]\n"), {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->auth.oidc_issuers.empty());
}

TEST_F(ConfigTest, TrustedIssuerProblemsAreAllReportedWithTheirEntry) {
  std::string issuers = write("issuers.toml", std::string("[[issuer]]\nissuer = \"corp\"\n") +
                                                  "jwks_url = \"http://idp.example/jwks\"\naudience = \"nsl\"\n" +
                                                  "tenant = \"acme\"\ncolour = \"blue\"\n\n[[issuer]]\n" +
                                                  "issuer = 7\njwks_url = \"https://x/jwks\"\n" +
                                                  "tenant = \"" + kTenantA + "\"\n");
  std::string msg = load_error(write_config(std::string("[auth]\noidc_issuer = \"corp\"\n") +
                                            "oidc_jwks_url = \"https://corp/jwks\"\noidc_audience = \"nsl\"\n" +
                                            "oidc_tenant = \"" + kTenantA + "\"\noidc_issuers_file = \"" + issuers +
                                            "\"\n"));
  const std::string where = "auth.oidc_issuers_file \"" + issuers + "\": issuer #";
  EXPECT_THAT(msg, HasSubstr(where + "1: unknown key \"colour\""));
  EXPECT_THAT(msg, HasSubstr(where + "1: jwks_url must be an https:// URL (http:// only to a loopback address)"));
  EXPECT_THAT(msg, HasSubstr(where + "1: tenant must be a tenant id (lowercase UUID)"));
  EXPECT_THAT(msg, HasSubstr(where + "1: issuer \"corp\" is configured more than once"));
  EXPECT_THAT(msg, HasSubstr(where + "2: issuer must be a string"));
  EXPECT_THAT(msg, HasSubstr(where + "2: issuer must be 1..256 characters"));
  EXPECT_THAT(msg, HasSubstr(where + "2: audience is required"));

  // The inline keys keep their own names in messages.
  EXPECT_THAT(load_error(write_config("[auth]\noidc_issuer = \"corp\"\n")),
              AllOf(HasSubstr("config key 'auth.oidc_audience' is required when 'auth.oidc_issuer' is set"),
                    HasSubstr("config key 'auth.oidc_tenant' must be a tenant id (lowercase UUID) when "
                              "'auth.oidc_issuer' is set")));
  // A file that is missing, not TOML, or holds anything but [[issuer]] tables.
  EXPECT_THAT(load_error(write_config("[auth]\noidc_issuers_file = \"/nonexistent/issuers.toml\"\n")),
              HasSubstr("auth.oidc_issuers_file: cannot read config file \"/nonexistent/issuers.toml\""));
  std::string junk = write("junk.toml", "issuer = \"corp\"\n");
  EXPECT_THAT(load_error(write_config("[auth]\noidc_issuers_file = \"" + junk + "\"\n")),
              HasSubstr("unexpected top-level key \"issuer\" (only [[issuer]] tables are allowed)"));
  std::string broken = write("broken.toml", "[[issuer]\n");
  EXPECT_THAT(load_error(write_config("[auth]\noidc_issuers_file = \"" + broken + "\"\n")),
              HasSubstr("TOML syntax error"));
}

TEST_F(ConfigTest, ValidateProgrammaticConfig) {
  Config c;
  c.server.workers = 5000;
  c.server.bind = "example.com";
  c.log.level = "verbose";
  auto s = validate(c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.error().message(),
            "config key 'server.workers' must be an integer in 0..1024, got 5000\n"
            "config key 'log.level' must be one of \"trace\", \"debug\", \"info\", \"warn\", "
            "\"error\", got \"verbose\"\n"
            "config key 'server.bind' must be an IPv4 or IPv6 address literal such as 127.0.0.1, "
            "0.0.0.0 or :: (no host names, no brackets), got \"example.com\"");
}

TEST(ConfigKeys, TableIsConsistentWithStructs) {
  std::set<std::string_view> seen;
  for (const KeyInfo& k : keys()) {
    SCOPED_TRACE(std::string(k.key));
    EXPECT_TRUE(seen.insert(k.key).second) << "duplicate key";
    EXPECT_FALSE(k.description.empty());
    EXPECT_EQ(find_key(k.key), &k);
    Config c;
    FieldRef f = k.field(c);
    switch (k.type) {
      case ValueType::boolean: EXPECT_TRUE(std::holds_alternative<bool*>(f)); break;
      case ValueType::secret:
        EXPECT_TRUE(std::holds_alternative<SecretString*>(f));
        EXPECT_TRUE(k.secret);
        ASSERT_TRUE(k.file_field);
        EXPECT_EQ(k.file_key(), std::string(k.key) + "_file");
        break;
      case ValueType::string:
        EXPECT_TRUE(std::holds_alternative<std::string*>(f) || std::holds_alternative<Profile*>(f));
        break;
      case ValueType::integer: {
        // The range must fit the member: store max through the binder and read it back.
        std::uint64_t got = std::visit(
            [&](auto* p) -> std::uint64_t {
              using T = std::remove_cvref_t<decltype(*p)>;
              if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
                *p = static_cast<T>(k.max);
                return static_cast<std::uint64_t>(*p);
              } else {
                ADD_FAILURE() << "integer key bound to a non-integer member";
                return 0;
              }
            },
            f);
        EXPECT_EQ(got, static_cast<std::uint64_t>(k.max));
        EXPECT_LE(k.min, k.max);
        break;
      }
    }
    if (k.type != ValueType::secret) {
      EXPECT_FALSE(k.secret);
    }
  }
  EXPECT_EQ(find_key("server.nope"), nullptr);
  EXPECT_EQ(find_key("metrics.bearer_token_file"), nullptr);
}

TEST(ConfigKeys, NamesAndFlags) {
  const KeyInfo* port = find_key("server.http_port");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(port->env_name(), "NSL_SERVER_HTTP_PORT");
  EXPECT_EQ(port->type_text(), "an integer in 0..65535");
  EXPECT_EQ(port->default_text(), "5000");
  EXPECT_FALSE(port->reloadable);
  EXPECT_EQ(find_key("profile")->env_name(), "NSL_PROFILE");
  EXPECT_EQ(find_key("profile")->default_text(), "\"embedded\"");
  EXPECT_EQ(find_key("log.level")->default_text(), "\"info\"");
  EXPECT_EQ(find_key("metrics.bearer_token")->default_text(), "\"\"");
  std::set<std::string_view> reloadable;
  for (const KeyInfo& k : keys()) {
    if (k.reloadable) reloadable.insert(k.key);
  }
  EXPECT_EQ(reloadable, (std::set<std::string_view>{"log.level", "tls.cert_file", "tls.key_file", "database.url",
                                                    "database.replica_url",
                                                    "tls.client_ca_file", "tls.min_version",
                                                    "metrics.bearer_token", "rate_limit.general_per_minute",
                                                    "rate_limit.keys_per_minute", "rate_limit.ip_per_minute",
                                                    "rate_limit.sign_per_minute", "rate_limit.general_fallback",
                                                    "rate_limit.keys_fallback", "rate_limit.sign_fallback"}));
}

}  // namespace
}  // namespace nsl::config
