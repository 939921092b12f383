// End to end: a multi-region read-only secondary (`server.read_only`). A primary `nsl serve` on a
// scratch PostgreSQL database creates a tenant, API keys, a key, a signature and an access token;
// then the database is made read-only the way a hot standby is (every new session
// default_transaction_read_only, so any write fails) and a secondary `nsl serve` with
// NSL_SERVER_READ_ONLY=true starts on it: reads work (API key never used before, primary-issued
// access token, signature verification, introspection, JWKS), every write is refused with the
// read-only problem before authentication, and nothing in the database changed. Finally the
// "promotion": the database takes writes again and nsl restarts without the flag.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/harness.hpp"
#include "harness/nsl_server.hpp"
#include "harness/pg_scratch.hpp"
#include "store/postgres_db.hpp"

namespace nsl::testing {
namespace {

using nlohmann::json;

// Everything any nsl write would touch: row counts, API-key last use, audit chain heads.
std::string fingerprint(store::Database& db) {
  auto rows = db.with_system([](store::Tx& tx) {
    return tx.query(
        "SELECT concat_ws(',', (SELECT count(*) FROM tenants), (SELECT count(*) FROM api_keys), "
        "(SELECT count(*) FROM api_keys WHERE last_used_at IS NOT NULL), "
        "(SELECT coalesce(sum(last_used_at), 0) FROM api_keys), (SELECT count(*) FROM role_bindings), "
        "(SELECT count(*) FROM refresh_tokens), (SELECT count(*) FROM system_keys), "
        "(SELECT count(*) FROM audit_records), (SELECT count(*) FROM audit_checkpoints), "
        "(SELECT count(*) FROM keys), (SELECT count(*) FROM key_versions), "
        "(SELECT count(*) FROM key_spends), (SELECT count(*) FROM idempotency_keys))",
        {});
  });
  EXPECT_TRUE(rows.ok()) << rows.error();
  if (!rows.ok() || rows->empty() || (*rows)[0].empty()) return "?";
  return (*rows)[0][0].value_or("?");
}

struct Made {
  std::string tenant;
  std::string owner_key;
};

Made make_tenant(const NslServer& n) {
  auto r = n.cli({"tenants", "create", "acme", "--json"});
  EXPECT_EQ(r.rc, 0) << r.out;
  json j = last_json_line(r);
  if (!j.is_object()) {
    ADD_FAILURE() << r.out;
    return {};
  }
  return {j["tenant_id"], j["api_key"]};
}

std::string form_token(const NslServer& n, const std::string& api_key) {
  auto r = http_request({.method = "POST",
                         .url = n.url("/v1/auth/token"),
                         .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                         .body = "grant_type=client_credentials&client_secret=" + api_key});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.status == 200 ? json_of(r)["access_token"].get<std::string>() : "";
}

void expect_read_only_refusal(const HttpResponse& r, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers.count("retry-after"), 0u);
  const json j = json_of(r);
  EXPECT_EQ(j["type"], "urn:nsl:problem:read_only") << r.body;
  EXPECT_EQ(j["code"], "unavailable");
  EXPECT_EQ(j["detail"], "this nsl is a read-only secondary: send writes to the primary region");
}

TEST(ReadOnly, SecondaryServesReadsRefusesWritesAndWritesNothing) {
  NSL_REQUIRE_PG();
  auto pg = pg_scratch_database("e2e_readonly");
  ASSERT_FALSE(pg.service_url.empty());
  TempDir shared;  // one sealing secret for both regions' simulated enclaves
  auto options = [&](const std::string& tag, bool read_only) {
    return NslServerOptions{
        .toml = "[database]\nurl = \"" + pg.service_url + "\"\nmigration_url = \"" + pg.owner_url +
                "\"\n[enclave]\nsocket = \"" + shared.path() + "/enclave-" + tag + ".sock\"\n",
        .env = read_only ? std::vector<std::pair<std::string, std::string>>{{"NSL_SERVER_READ_ONLY", "true"}}
                         : std::vector<std::pair<std::string, std::string>>{},
        .start = false,
        .data_dir = shared.path()};
  };

  // ---- the primary region writes ----
  Made acme;
  std::string key_id, signature, access_token, viewer_key;
  {
    NslServer primary(options("p", false));
    ASSERT_EQ(primary.cli({"migrate"}).rc, 0);
    primary.start();
    ASSERT_TRUE(primary.wait_ready()) << primary.logs();
    acme = make_tenant(primary);
    ASSERT_FALSE(acme.owner_key.empty());
    auto k = api_call("POST", primary.url("/v1/keys"), acme.owner_key,
                      json{{"curve", "secp256k1"}, {"label", "neox"}}.dump());
    ASSERT_EQ(k.status, 201) << k.body;
    key_id = json_of(k)["id"];
    auto s = api_call("POST", primary.url("/v1/keys/" + key_id + "/sign"), acme.owner_key,
                      json{{"format", "eip191"}, {"message", "hello nsl"}}.dump());
    ASSERT_EQ(s.status, 200) << s.body;
    signature = json_of(s)["signature"];
    // An API key that has never authenticated: its first use would write last_used_at.
    auto v = api_call("POST", primary.url("/v1/apikeys"), acme.owner_key,
                      json{{"name", "reader"}, {"roles", {"viewer"}}}.dump());
    ASSERT_EQ(v.status, 201) << v.body;
    viewer_key = json_of(v)["api_key"];
    access_token = form_token(primary, acme.owner_key);
    ASSERT_FALSE(access_token.empty());
  }  // the primary stops

  // ---- the database becomes a standby's: every write fails from now on ----
  pg_admin_sql("ALTER DATABASE " + pg.name + " SET default_transaction_read_only = on");
  std::string admin_dsn = *pg_dsn();
  admin_dsn = admin_dsn.substr(0, admin_dsn.rfind('/') + 1) + pg.name;
  auto admin = store::PostgresDatabase::open({.dsn = SecretString(admin_dsn), .pool_size = 1});
  ASSERT_TRUE(admin.ok()) << admin.error();
  const std::string before = fingerprint(**admin);
  ASSERT_NE(before, "?");
  // The emulation holds: a write in a new session fails, as on a hot standby (SQLSTATE 25006).
  EXPECT_FALSE((*admin)->with_system([](store::Tx& tx) -> Status {
                         NSL_TRY(tx.exec("UPDATE api_keys SET last_used_at = 1 WHERE false", {}));
                         return {};
                       }).ok());

  {
    NslServer secondary(options("s", true));
    secondary.start();
    ASSERT_TRUE(secondary.wait_ready()) << secondary.logs();
    auto ready = http_get(secondary.url("/health/ready"));
    EXPECT_EQ(ready.status, 200) << ready.body;
    auto info = http_get(secondary.url("/v1/info"));
    EXPECT_EQ(json_of(info)["read_only"], true) << info.body;
    EXPECT_NE(http_get(secondary.metrics_url()).body.find("\nnsl_read_only 1\n"), std::string::npos);

    // Reads: the owner key, a never-used key, a token the primary issued.
    for (const std::string& cred : {acme.owner_key, viewer_key, access_token}) {
      auto got = api_call("GET", secondary.url("/v1/keys/" + key_id), cred);
      EXPECT_EQ(got.status, 200) << got.body;
    }
    auto list = api_call("GET", secondary.url("/v1/keys"), viewer_key);
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(json_of(list)["items"].size(), 1u);
    EXPECT_EQ(api_call("GET", secondary.url("/v1/apikeys"), acme.owner_key).status, 200);
    auto audit = api_call("GET", secondary.url("/v1/audit?action=keys.create"), acme.owner_key);
    ASSERT_EQ(audit.status, 200) << audit.body;
    EXPECT_EQ(json_of(audit)["items"].size(), 1u);
    auto jwks = http_get(secondary.url("/.well-known/jwks.json"));
    ASSERT_EQ(jwks.status, 200);
    EXPECT_FALSE(json_of(jwks)["keys"].empty()) << jwks.body;
    // POST routes that change nothing.
    auto verified = api_call("POST", secondary.url("/v1/keys/" + key_id + "/verify"), viewer_key,
                             json{{"format", "eip191"}, {"message", "hello nsl"}, {"signature", signature}}.dump());
    EXPECT_EQ(verified.status, 200) << verified.body;
    EXPECT_EQ(json_of(verified)["valid"], true) << verified.body;
    auto intro = http_request({.method = "POST",
                               .url = secondary.url("/v1/auth/introspect"),
                               .headers = {NslServer::bearer(acme.owner_key),
                                           {"Content-Type", "application/x-www-form-urlencoded"}},
                               .body = "token=" + access_token});
    EXPECT_EQ(intro.status, 200) << intro.body;
    EXPECT_EQ(json_of(intro)["active"], true) << intro.body;

    // Writes: refused with the read-only problem, with or without valid credentials.
    expect_read_only_refusal(api_call("POST", secondary.url("/v1/keys"), acme.owner_key,
                                      json{{"curve", "secp256r1"}, {"label", "x"}}.dump()),
                             "create key");
    expect_read_only_refusal(api_call("POST", secondary.url("/v1/keys"), "", json{{"curve", "secp256r1"}}.dump()),
                             "create key, no credential");
    expect_read_only_refusal(api_call("POST", secondary.url("/v1/keys/" + key_id + "/sign"), acme.owner_key,
                                      json{{"format", "eip191"}, {"message", "again"}}.dump()),
                             "sign");
    expect_read_only_refusal(api_call("PUT", secondary.url("/v1/keys/" + key_id + "/policy"), acme.owner_key, "{}"),
                             "policy");
    expect_read_only_refusal(api_call("DELETE", secondary.url("/v1/keys/" + key_id), acme.owner_key), "destroy");
    expect_read_only_refusal(api_call("POST", secondary.url("/v1/apikeys"), acme.owner_key,
                                      json{{"name", "x"}, {"roles", {"viewer"}}}.dump()),
                             "api key");
    expect_read_only_refusal(
        http_request({.method = "POST",
                      .url = secondary.url("/v1/auth/token"),
                      .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                      .body = "grant_type=client_credentials&client_secret=" + acme.owner_key}),
        "token");

    // No failed write attempt anywhere (the refusals' own access-log lines are at level error, as
    // every 5xx is).
    const std::string logs = secondary.logs();
    std::istringstream lines(logs);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("\"level\":\"error\"") != std::string::npos) {
        EXPECT_NE(line.find("\"msg\":\"request\""), std::string::npos) << line;
      }
    }
    EXPECT_EQ(logs.find("token signing keys not ready"), std::string::npos) << logs;
    EXPECT_EQ(logs.find("audit checkpoint key not open"), std::string::npos) << logs;
  }
  EXPECT_EQ(fingerprint(**admin), before) << "a read-only secondary wrote to the database";

  // ---- promotion: the database takes writes, nsl restarts without the flag ----
  pg_admin_sql("ALTER DATABASE " + pg.name + " RESET default_transaction_read_only");
  NslServer promoted(options("q", false));
  promoted.start();
  ASSERT_TRUE(promoted.wait_ready()) << promoted.logs();
  EXPECT_EQ(json_of(http_get(promoted.url("/v1/info")))["read_only"], false);
  auto created = api_call("POST", promoted.url("/v1/keys"), acme.owner_key,
                          json{{"curve", "secp256r1"}, {"label", "after promotion"}}.dump());
  EXPECT_EQ(created.status, 201) << created.body;
}

}  // namespace
}  // namespace nsl::testing
