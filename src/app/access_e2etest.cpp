// End-to-end tests of tenants, credentials, RBAC, rate limits and the audit trail through `nsl
// serve` processes: the embedded default, PostgreSQL shared by three replicas, Redis shared by
// them, and Redis / PostgreSQL outages mid-test.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "auth/jwt.hpp"
#include "core/base64.hpp"
#include "core/random.hpp"
#include "harness/harness.hpp"
#include "harness/nsl_server.hpp"
#include "harness/pg_scratch.hpp"

namespace nsl::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string base64_of(const std::string& s) {
  return base64_encode(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

json cli_json(const CliRun& r) { return last_json_line(r); }

HttpResponse call(const std::string& method, const std::string& url, const std::string& credential,
                  const std::string& body = "",
                  const std::string& content_type = "application/json") {
  return api_call(method, url, credential, body, content_type);
}

HttpResponse get(const NslServer& n, const std::string& path, const std::string& credential) {
  return call("GET", n.url(path), credential);
}

std::string new_key(const NslServer& n, const std::string& owner_key, const json& body,
                    std::string* id = nullptr) {
  auto r = call("POST", n.url("/v1/apikeys"), owner_key, body.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  json j = json_of(r);
  if (id != nullptr) *id = j.value("id", "");
  return j.value("api_key", "");
}

std::string token_for(const NslServer& n, const std::string& api_key) {
  auto r = call("POST", n.url("/v1/auth/token"), "",
                "grant_type=client_credentials&client_secret=" + api_key,
                "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 200) << r.body;
  return json_of(r).value("access_token", "");
}

TEST(Access, BootstrapKeysTokensRbacAndAudit) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  TestTenant t = create_tenant(n, "acme");
  ASSERT_FALSE(t.key.empty());

  // No credential / a bad one: 401 problem with WWW-Authenticate (RFC 6750).
  auto none = get(n, "/v1/apikeys", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["content-type"], "application/problem+json");
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer realm=\"nsl\"");
  std::string tampered = t.key;
  tampered[20] = tampered[20] == 'a' ? 'b' : 'a';
  auto bad = get(n, "/v1/apikeys", tampered);
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.headers["www-authenticate"].find("invalid_token"), std::string::npos);

  // The owner key works and carries rate-limit headers.
  auto list = get(n, "/v1/apikeys", t.key);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.headers["ratelimit-limit"], "100");  // API keys are key management
  EXPECT_FALSE(list.headers["ratelimit-remaining"].empty());
  ASSERT_EQ(json_of(list)["items"].size(), 1u);
  EXPECT_EQ(json_of(list)["items"][0]["id"], t.key_id);
  EXPECT_EQ(list.body.find(t.key), std::string::npos);  // never returned again

  // A signer key may not manage keys: 403, and it cannot mint itself more power.
  std::string signer_id;
  std::string signer =
      new_key(n, t.key, {{"name", "ci"}, {"roles", {{{"role", "signer"}}}}}, &signer_id);
  ASSERT_FALSE(signer.empty());
  EXPECT_EQ(get(n, "/v1/apikeys", signer).status, 403);
  auto esc =
      call("POST", n.url("/v1/apikeys"), signer, json{{"name", "x"}, {"roles", {"owner"}}}.dump());
  EXPECT_EQ(esc.status, 403);

  // Client credentials → ES256 access token that verifies against the published JWKS.
  std::string tok = token_for(n, t.key);
  ASSERT_FALSE(tok.empty());
  auto jwks = http_get(n.url("/.well-known/jwks.json"));
  ASSERT_EQ(jwks.status, 200);
  auto keys = auth::parse_jwks(jwks.body);
  ASSERT_TRUE(keys.ok()) << keys.error();
  auto set = auth::KeySet::create(*keys);
  ASSERT_TRUE(set.ok());
  auto v = auth::jwt_verify(tok, *set, {.issuers = {"nsl"}, .audiences = {"nsl"}},
                            std::chrono::system_clock::now());
  ASSERT_TRUE(v.ok()) << v.error();
  EXPECT_EQ(v->alg, auth::JwsAlg::ES256);
  EXPECT_EQ(v->claims["tid"], t.id);
  EXPECT_EQ(v->claims["sub"], "apikey:" + t.key_id);
  auto disco = json_of(http_get(n.url("/.well-known/openid-configuration")));
  EXPECT_EQ(disco["jwks_uri"], n.url("/.well-known/jwks.json"));

  // HTTP Basic with client_id = key id works too; a wrong grant type is an OAuth error.
  HttpRequestOptions basic{.method = "POST", .url = n.url("/v1/auth/token")};
  basic.headers = {{"Authorization", "Basic " + base64_of(t.key_id + ":" + t.key)},
                   {"Content-Type", "application/x-www-form-urlencoded"}};
  basic.body = "grant_type=client_credentials";
  EXPECT_EQ(http_request(basic).status, 200);
  auto wrong =
      call("POST", n.url("/v1/auth/token"), "", "grant_type=password&client_secret=" + t.key,
           "application/x-www-form-urlencoded");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(json_of(wrong)["error"], "unsupported_grant_type");

  // Scopes only narrow: a key scoped to keys:read cannot obtain keys:* (RFC 6749 invalid_scope,
  // 400).
  std::string admin_id;
  std::string narrow = new_key(n, t.key,
                               {{"name", "ro"},
                                {"roles", {"admin"}},
                                {"scopes", {"keys:read", "audit:read"}},
                                {"expires_in", 120}},
                               &admin_id);
  auto wide = call("POST", n.url("/v1/auth/token"), "",
                   "grant_type=client_credentials&scope=keys%3A*&client_secret=" + narrow,
                   "application/x-www-form-urlencoded");
  EXPECT_EQ(wide.status, 400) << wide.body;
  EXPECT_EQ(json_of(wide)["error"], "invalid_scope");
  auto fits = call("POST", n.url("/v1/auth/token"), "",
                   "grant_type=client_credentials&scope=keys%3Aread&client_secret=" + narrow,
                   "application/x-www-form-urlencoded");
  ASSERT_EQ(fits.status, 200) << fits.body;
  EXPECT_EQ(json_of(fits)["scope"], "keys:read");
  EXPECT_LE(json_of(fits)["expires_in"].get<int>(), 120);  // never outlives its key
  // An admin cannot revoke the owner's key.
  std::string admin = new_key(n, t.key, {{"name", "adm"}, {"roles", {"admin"}}});
  EXPECT_EQ(call("DELETE", n.url("/v1/apikeys/" + t.key_id), admin).status, 403);

  // The token works; introspection describes it; after revocation it is refused everywhere.
  EXPECT_EQ(get(n, "/v1/tenants/" + t.id, tok).status, 200);
  auto intro = call("POST", n.url("/v1/auth/introspect"), t.key, json{{"token", tok}}.dump());
  ASSERT_EQ(intro.status, 200) << intro.body;
  EXPECT_EQ(json_of(intro)["active"], true);
  auto rv = call("POST", n.url("/v1/auth/revoke"), "", "token=" + tok,
                 "application/x-www-form-urlencoded");
  EXPECT_EQ(rv.status, 200);
  EXPECT_EQ(get(n, "/v1/tenants/" + t.id, tok).status, 401);
  EXPECT_EQ(json_of(call("POST", n.url("/v1/auth/introspect"), t.key,
                         json{{"token", tok}}.dump()))["active"],
            false);

  // Revoking an API key takes effect (this replica forgets it at once; others within the cache
  // TTL).
  auto del = call("DELETE", n.url("/v1/apikeys/" + signer_id), t.key);
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_FALSE(json_of(del)["revoked_at"].is_null());

  // Every change is in the audit trail, which verifies.
  auto audit = get(n, "/v1/audit?limit=100", t.key);
  ASSERT_EQ(audit.status, 200) << audit.body;
  std::multiset<std::string> actions;
  const json audit_items = json_of(audit)["items"];
  for (const auto& r : audit_items) actions.insert(r["action"].get<std::string>());
  for (const char* a : {"tenant.create", "apikey.create", "auth.token.issue", "auth.token.revoke",
                        "apikey.revoke"}) {
    EXPECT_GT(actions.count(a), 0u) << a;
  }
  const json only = json_of(get(n, "/v1/audit?action=apikey.create", t.key))["items"];
  EXPECT_EQ(only.size(), 4u);
  for (const auto& r : only) EXPECT_EQ(r["action"], "apikey.create");
  EXPECT_EQ(get(n, "/v1/audit?limit=0", t.key).status, 400);
  EXPECT_EQ(get(n, "/v1/audit", signer).status, 401);  // revoked above
  auto verify = n.cli({"audit", "verify", "--json"});
  EXPECT_EQ(verify.rc, 0) << verify.out;
  EXPECT_EQ(cli_json(verify)["ok"], true) << verify.out;
}

TEST(Access, AnotherTenantsResourcesAreNotFound) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  TestTenant a = create_tenant(n, "acme");
  TestTenant b = create_tenant(n, "globex");
  std::string a_key_id;
  new_key(n, a.key, {{"name", "k"}, {"roles", {"viewer"}}}, &a_key_id);
  auto rbs = json_of(get(n, "/v1/role-bindings", a.key))["items"];
  ASSERT_FALSE(rbs.empty());
  const std::string a_rb = rbs[0]["id"];
  const std::string a_tok = token_for(n, a.key);
  auto user = call("POST", n.url("/v1/users"), a.key,
                   json{{"email", "ann@acme.test"},
                        {"password", "correct horse battery staple"},
                        {"roles", {"viewer"}}}
                       .dump());
  ASSERT_EQ(user.status, 201) << user.body;
  const std::string a_user = json_of(user)["id"];

  // Every route naming one of A's resources, with B's owner credentials: 404, never A's data.
  struct Probe {
    std::string method, path, body;
  };
  const std::vector<Probe> probes = {
      {"GET", "/v1/tenants/" + a.id, ""},
      {"GET", "/v1/apikeys/" + a_key_id, ""},
      {"GET", "/v1/apikeys/" + a.key_id, ""},
      {"DELETE", "/v1/apikeys/" + a_key_id, ""},
      {"DELETE", "/v1/role-bindings/" + a_rb, ""},
      {"POST", "/v1/role-bindings",
       json{{"principal", "apikey:" + a_key_id}, {"role", "viewer"}}.dump()},
      {"POST", "/v1/role-bindings",
       json{{"principal", "user:" + a_user}, {"role", "viewer"}}.dump()},
      {"GET", "/v1/users/" + a_user, ""},
      {"DELETE", "/v1/users/" + a_user, ""},
      {"POST", "/v1/users/" + a_user + "/totp", ""},
      {"POST", "/v1/users/" + a_user + "/totp/confirm", json{{"code", "123456"}}.dump()},
  };
  for (const std::string& cred : {b.key, token_for(n, b.key)}) {
    for (const auto& p : probes) {
      auto r = call(p.method, n.url(p.path), cred, p.body);
      EXPECT_EQ(r.status, 404) << p.method << " " << p.path << ": " << r.body;
      json problem = json_of(r);
      problem.erase("instance");  // the request's own path
      EXPECT_EQ(problem.dump().find(a.id), std::string::npos) << p.path;
    }
    // Listings show only B's own.
    for (const char* path : {"/v1/apikeys", "/v1/role-bindings", "/v1/audit", "/v1/users"}) {
      auto r = get(n, path, cred);
      ASSERT_EQ(r.status, 200) << path << r.body;
      EXPECT_EQ(r.body.find(a_key_id), std::string::npos) << path;
      EXPECT_EQ(r.body.find(a.key_id), std::string::npos) << path;
      EXPECT_EQ(r.body.find(a.id), std::string::npos) << path;
      EXPECT_EQ(r.body.find(a_user), std::string::npos) << path;
    }
    EXPECT_EQ(json_of(call("POST", n.url("/v1/auth/introspect"), cred,
                           json{{"token", a_tok}}.dump()))["active"],
              false);
  }
  // A's things are intact.
  EXPECT_EQ(get(n, "/v1/apikeys/" + a_key_id, a.key).status, 200);
  EXPECT_EQ(get(n, "/v1/users/" + a_user, a.key).status, 200);
  EXPECT_EQ(get(n, "/v1/role-bindings", a.key).status, 200);
}

// A private redis-server on a fixed port, stoppable and restartable.
class PrivateRedis {
 public:
  PrivateRedis() : port_(free_tcp_port()) { start(); }
  void start() {
    proc_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", dir_.path()});
    for (int i = 0; i < 200; ++i) {
      if (proc_->output().find("Ready to accept connections") != std::string::npos) return;
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "redis-server did not start: " << proc_->output();
  }
  void stop() {
    proc_->signal(SIGKILL);
    proc_->wait_exit(5s);
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> proc_;
};

TEST(Access, KeyManagementLimitHoldsInSumAcrossThreeReplicas) {
  NSL_REQUIRE_PG();
  PrivateRedis redis;
  auto pg = pg_scratch_database("e2e_limit");
  TempDir shared;  // one simulated enclave identity for all replicas (real enclaves share MRSIGNER)
  const std::string cache_prefix = "limit" + random_hex(4) + ":";
  std::vector<std::unique_ptr<NslServer>> replicas;
  for (int i = 0; i < 3; ++i) {
    const std::string toml = "[database]\nurl = \"" + pg.service_url + "\"\nmigration_url = \"" +
                             pg.owner_url + "\"\n[cache]\nurl = \"" + redis.url() +
                             "\"\nprefix = \"" + cache_prefix + "\"\n[enclave]\nsocket = \"" +
                             shared.path() + "/enclave-" + std::to_string(i) + ".sock\"\n";
    replicas.push_back(std::make_unique<NslServer>(
        NslServerOptions{.toml = toml, .start = false, .data_dir = shared.path()}));
  }
  auto mig = replicas[0]->cli({"migrate"});
  ASSERT_EQ(mig.rc, 0) << mig.out;
  for (auto& r : replicas) r->start();
  for (auto& r : replicas) ASSERT_TRUE(r->wait_ready()) << r->logs();
  TestTenant t = create_tenant(*replicas[0], "acme");
  ASSERT_FALSE(t.key.empty());

  std::atomic<int> ok{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 6; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 25; ++i) {
        auto r = get(*replicas[(th + i) % 3], "/v1/apikeys", t.key);
        if (r.status == 200) {
          ++ok;
        } else if (r.status == 429) {
          ++limited;
          EXPECT_FALSE(r.headers["retry-after"].empty());
          EXPECT_EQ(r.headers["ratelimit-remaining"], "0");
        } else {
          ++other;
          ADD_FAILURE() << r.status << " " << r.body;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  // 150 requests within seconds against 100/min shared by three replicas: the burst of 100 plus at
  // most a couple refilled while the test ran.
  EXPECT_GE(ok.load(), 100);
  EXPECT_LE(ok.load(), 103);
  EXPECT_EQ(ok + limited, 150);
  EXPECT_EQ(other.load(), 0);
  // General routes have their own budget.
  EXPECT_EQ(get(*replicas[1], "/v1/audit?limit=1", t.key).status, 200);

  // A token revoked through one replica is refused at once by another that has it cached: the
  // revocation list is read in the same shared-cache call as the limits.
  const std::string tok = token_for(*replicas[0], t.key);
  ASSERT_FALSE(tok.empty());
  EXPECT_EQ(get(*replicas[1], "/v1/audit?limit=1", tok).status, 200);  // verified, then cached
  EXPECT_EQ(get(*replicas[1], "/v1/audit?limit=1", tok).status, 200);  // from the cache
  auto rv = call("POST", replicas[0]->url("/v1/auth/revoke"), "", "token=" + tok,
                 "application/x-www-form-urlencoded");
  EXPECT_EQ(rv.status, 200) << rv.body;
  auto refused = get(*replicas[1], "/v1/audit?limit=1", tok);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_NE(refused.body.find("revoked"), std::string::npos) << refused.body;
  EXPECT_EQ(get(*replicas[2], "/v1/audit?limit=1", tok).status, 401);
  EXPECT_NE(http_get(replicas[1]->metrics_url()).body.find(
                "nsl_auth_token_validations_total{result=\"revoked\"} 1"),
            std::string::npos);
}

TEST(Access, RedisOutageFailsKeyManagementClosedAndGeneralRoutesLocally) {
  PrivateRedis redis;
  NslServer n({.toml = "[cache]\nurl = \"" + redis.url() + "\"\ntimeout_ms = 300\n"});
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  TestTenant t = create_tenant(n, "acme");
  EXPECT_EQ(get(n, "/v1/apikeys", t.key).status, 200);
  EXPECT_EQ(get(n, "/v1/audit?limit=1", t.key).status, 200);

  redis.stop();
  auto keys = get(n, "/v1/apikeys", t.key);
  EXPECT_EQ(keys.status, 503) << keys.body;  // fail closed
  EXPECT_EQ(json_of(keys)["code"], "unavailable");
  auto general = get(n, "/v1/audit?limit=1", t.key);
  EXPECT_EQ(general.status, 200) << general.body;  // local limits
  auto ready = http_get(n.url("/health/ready"));
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(json_of(ready)["degraded"], json::array({"cache"})) << ready.body;
  auto metrics = http_get(n.metrics_url());
  EXPECT_NE(metrics.body.find("nsl_ratelimit_degraded 1"), std::string::npos);

  redis.start();
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    back = get(n, "/v1/apikeys", t.key).status == 200;
    if (!back) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(back) << n.logs();
  EXPECT_EQ(json_of(http_get(n.url("/health/ready"))).contains("degraded"), false);
  EXPECT_NE(http_get(n.metrics_url()).body.find("nsl_ratelimit_degraded 0"), std::string::npos);
}

TEST(Access, PostgresOutageIs503OnlyWhileItLasts) {
  NSL_REQUIRE_PG();
  auto pg = pg_scratch_database("e2e_outage");
  NslServer n({.toml = "[database]\nurl = \"" + pg.service_url + "\"\nmigration_url = \"" +
                       pg.owner_url + "\"\n[auth]\napi_key_cache_ttl_s = 0\n",
               .start = false});
  ASSERT_EQ(n.cli({"migrate"}).rc, 0);
  n.start();
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  TestTenant t = create_tenant(n, "acme");
  ASSERT_EQ(get(n, "/v1/apikeys", t.key).status, 200);

  // The database refuses this service: new connections and the open ones end.
  pg_admin_sql("ALTER DATABASE " + pg.name + " ALLOW_CONNECTIONS false");
  pg_admin_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
               pg.name + "'");
  for (int i = 0; i < 3; ++i) {
    auto r = get(n, "/v1/apikeys", t.key);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(json_of(r)["code"], "unavailable");
  }
  EXPECT_EQ(http_get(n.url("/health/ready")).status, 503);

  pg_admin_sql("ALTER DATABASE " + pg.name + " ALLOW_CONNECTIONS true");
  int first_ok = -1;
  for (int i = 0; i < 50 && first_ok < 0; ++i) {
    if (get(n, "/v1/apikeys", t.key).status == 200)
      first_ok = i;
    else
      std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(first_ok, 0) << n.logs();
  EXPECT_LE(first_ok, 1);  // at most one request pays for the reconnect
  EXPECT_EQ(http_get(n.url("/health/ready")).status, 200);
}

}  // namespace
}  // namespace nsl::testing

namespace nsl::testing {
namespace {

// One nsl trusts others as external OpenID Connect issuers: tokens minted by A (issuer "nsl-a",
// audience "nsl-b", configured inline) are accepted by B for B's tenant "relying", those of C
// (issuer "nsl-c", from B's issuers file) for B's tenant "second" — each issuer only ever reaches
// its own tenant, with its roles claim mapped to B's roles.
TEST(Access, ExternalOidcIssuerTokensAreAcceptedForTheConfiguredTenant) {
  NslServer a({.toml = "[auth]\nissuer = \"nsl-a\"\naudience = \"nsl-b\"\n"});
  NslServer c({.toml = "[auth]\nissuer = \"nsl-c\"\naudience = \"nsl-b\"\n"});
  ASSERT_TRUE(a.wait_ready()) << a.logs();
  ASSERT_TRUE(c.wait_ready()) << c.logs();
  TestTenant at = create_tenant(a, "issuer");
  TestTenant ct = create_tenant(c, "issuer-c");
  TempDir b_data;
  NslServer setup({.start = false, .data_dir = b_data.path()});
  TestTenant bt = create_tenant(setup, "relying");
  TestTenant bt2 = create_tenant(setup, "second");
  ASSERT_FALSE(bt.id.empty());
  ASSERT_FALSE(bt2.id.empty());
  const std::string issuers = b_data.write_file(
      "issuers.toml", "[[issuer]]\nissuer = \"nsl-c\"\njwks_url = \"" + c.url("/.well-known/jwks.json") +
                          "\"\naudience = \"nsl-b\"\ntenant = \"" + bt2.id + "\"\nroles_claim = \"roles\"\n");
  NslServer b({.toml = "[auth]\noidc_issuer = \"nsl-a\"\noidc_jwks_url = \"" +
                       a.url("/.well-known/jwks.json") +
                       "\"\noidc_audience = \"nsl-b\"\noidc_tenant = \"" + bt.id +
                       "\"\noidc_roles_claim = \"roles\"\noidc_issuers_file = \"" + issuers + "\"\n",
               .data_dir = b_data.path()});
  ASSERT_TRUE(b.wait_ready()) << b.logs();

  // C's owner token works on B inside "second" only; A's never reaches "second".
  const std::string c_tok = token_for(c, ct.key);
  auto c_keys = get(b, "/v1/apikeys", c_tok);
  ASSERT_EQ(c_keys.status, 200) << c_keys.body;
  EXPECT_EQ(json_of(c_keys)["items"][0]["id"], bt2.key_id);
  EXPECT_EQ(get(b, "/v1/tenants/" + bt2.id, c_tok).status, 200);
  EXPECT_EQ(get(b, "/v1/tenants/" + bt.id, c_tok).status, 404);
  EXPECT_EQ(get(b, "/v1/tenants/" + bt2.id, token_for(a, at.key)).status, 404);

  // A's owner token works on B, inside B's tenant only.
  const std::string owner_tok = token_for(a, at.key);
  auto keys = get(b, "/v1/apikeys", owner_tok);
  ASSERT_EQ(keys.status, 200) << keys.body;
  EXPECT_EQ(json_of(keys)["items"][0]["id"], bt.key_id);
  EXPECT_EQ(get(b, "/v1/tenants/" + bt.id, owner_tok).status, 200);
  EXPECT_EQ(get(b, "/v1/tenants/" + at.id, owner_tok).status, 404);
  // A viewer at A is a viewer at B: no key management.
  const std::string viewer = new_key(a, at.key, {{"name", "v"}, {"roles", {"viewer"}}});
  const std::string viewer_tok = token_for(a, viewer);
  EXPECT_EQ(get(b, "/v1/apikeys", viewer_tok).status, 403);
  EXPECT_EQ(get(b, "/v1/tenants/" + bt.id, viewer_tok).status, 200);
  // B's own tokens still work; a token of another issuer (A's, tampered) does not.
  EXPECT_EQ(get(b, "/v1/tenants/" + bt.id, token_for(b, bt.key)).status, 200);
  std::string forged = owner_tok;
  forged[forged.rfind('.') + 3] ^= 1;
  EXPECT_EQ(get(b, "/v1/apikeys", forged).status, 401);
  // Changes made with it are attributed to the external subject.
  auto created = call("POST", b.url("/v1/apikeys"), owner_tok,
                      json{{"name", "via-oidc"}, {"roles", {"viewer"}}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json_of(created)["created_by"], "oidc:apikey:" + at.key_id);
}

}  // namespace
}  // namespace nsl::testing

namespace nsl::testing {
namespace {

TEST(Access, ATenantsOwnLimitReplacesTheClassLimit) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  TestTenant a = create_tenant(n, "acme");
  TestTenant b = create_tenant(n, "globex");
  auto set = n.cli({"tenants", "limits", a.id, "--keys", "5", "--json"});
  ASSERT_EQ(set.rc, 0) << set.out;
  EXPECT_EQ(last_json_line(set)["limits"]["keys"], 5) << set.out;
  EXPECT_EQ(n.cli({"tenants", "limits", a.id, "--keys", "0"}).rc, 2);
  EXPECT_EQ(n.cli({"tenants", "limits", "not-a-tenant"}).rc, 2);

  int ok = 0;
  HttpResponse last;
  for (int i = 0; i < 6; ++i) {
    last = get(n, "/v1/apikeys", a.key);
    if (last.status == 200) ++ok;
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(last.status, 429);
  EXPECT_EQ(last.headers["ratelimit-limit"], "5");
  // Another tenant keeps the class limit; the change is in A's audit trail.
  EXPECT_EQ(get(n, "/v1/apikeys", b.key).headers["ratelimit-limit"], "100");
  auto audit = json_of(get(n, "/v1/audit?action=tenant.limits", a.key));
  ASSERT_EQ(audit["items"].size(), 1u) << audit.dump();
  EXPECT_EQ(audit["items"][0]["detail"]["per_minute"], 5);
  // Back to the default.
  auto cleared = n.cli({"tenants", "limits", a.id, "--keys", "default", "--json"});
  ASSERT_EQ(cleared.rc, 0) << cleared.out;
  EXPECT_TRUE(last_json_line(cleared)["limits"].empty());
}

}  // namespace
}  // namespace nsl::testing

namespace nsl::testing {
namespace {

// Runs a command to completion (stdout+stderr to `log`); its exit code, -1 on timeout.
int run_to_end(std::vector<std::string> argv, const std::string& log) {
  ChildProcess p(ChildOptions{.argv = std::move(argv), .log_file = log, .working_dir = "/"});
  return p.wait_exit(std::chrono::seconds(90)).value_or(-1);
}

// pg_ctl as the cluster's owner: the harness runs PostgreSQL as `nsltest` when it is root.
std::vector<std::string> as_pg_owner(std::vector<std::string> argv) {
  if (::geteuid() == 0) argv.insert(argv.begin(), {"runuser", "-u", "nsltest", "--"});
  return argv;
}

// A private PostgreSQL cluster (the shared harness server serves parallel tests and must not be
// restarted), stopped and started again while nsl serve uses it.
TEST(Access, PostgresServerRestartIs503OnlyWhileItIsDown) {
  NSL_REQUIRE_PG();  // the harness's PostgreSQL binaries are installed
  TempDir root;
  ::chmod(root.path().c_str(),
          0755);  // the cluster's owner (nsltest under root) must reach its folder
  const std::string svc = root.path() + "/svc";
  const std::string script = source_dir() + "/scripts/test-services.sh";
  ASSERT_EQ(run_to_end({"bash", script, "start", svc}, root.path() + "/start.log"), 0)
      << read_file(root.path() + "/start.log");
  struct Stop {
    std::string script, svc, log;
    ~Stop() { run_to_end({"bash", script, "stop", svc}, log); }
  } stop{script, svc, root.path() + "/stop.log"};
  std::map<std::string, std::string> env;
  {
    std::istringstream in(read_file(svc + "/env"));
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  const std::string dsn = env["NSL_TEST_PG_DSN"];
  const std::string pg_ctl = env["NSL_TEST_PG_BIN"] + "/pg_ctl";
  const auto colon = dsn.rfind(':');
  const std::string port = dsn.substr(colon + 1, dsn.find('/', colon) - colon - 1);
  ASSERT_FALSE(dsn.empty() || port.empty()) << read_file(svc + "/env");

  NslServer n({.toml = "[database]\nurl = \"" + dsn + "\"\n[auth]\napi_key_cache_ttl_s = 0\n",
               .start = false});
  ASSERT_EQ(n.cli({"migrate"}).rc, 0);
  n.start();
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  TestTenant t = create_tenant(n, "acme");
  ASSERT_EQ(get(n, "/v1/apikeys", t.key).status, 200);

  const std::string data = svc + "/pg/data";
  ASSERT_EQ(run_to_end(as_pg_owner({pg_ctl, "-D", data, "stop", "-m", "fast", "-w"}),
                       root.path() + "/pgstop.log"),
            0)
      << read_file(root.path() + "/pgstop.log");
  for (int i = 0; i < 3; ++i) {
    auto r = get(n, "/v1/apikeys", t.key);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(json_of(r)["code"], "unavailable");
  }
  EXPECT_EQ(http_get(n.url("/health/ready")).status, 503);

  const std::string opts =
      "-c listen_addresses=127.0.0.1 -p " + port + " -c unix_socket_directories='' -c fsync=off";
  ASSERT_EQ(run_to_end(as_pg_owner({pg_ctl, "-D", data, "-l", svc + "/pg/postgres.log", "-o", opts,
                                    "-w", "start"}),
                       root.path() + "/pgstart.log"),
            0)
      << read_file(root.path() + "/pgstart.log");
  int failures = 0;
  for (int i = 0; i < 5; ++i) {
    if (get(n, "/v1/apikeys", t.key).status != 200) ++failures;
  }
  EXPECT_LE(failures, 1);  // at most the request that finds the pool's dead connection
  EXPECT_EQ(get(n, "/v1/apikeys", t.key).status, 200);
  EXPECT_EQ(http_get(n.url("/health/ready")).status, 200);
}

}  // namespace
}  // namespace nsl::testing
