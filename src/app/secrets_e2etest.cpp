// End-to-end tests of the secrets store through `nsl serve` (embedded default, nsl-enclave as its
// own process): versions, check-and-set, soft delete / undelete / destroy, metadata, listing,
// data-key rotation and rewrap over HTTP; RBAC and tenant isolation; the audit trail without
// values; no plaintext in the database file; and the `nsl secrets` CLI with values on stdin/stdout.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/strings.hpp"
#include "harness/harness.hpp"
#include "harness/nsl_server.hpp"
#include "harness/pg_scratch.hpp"

namespace nsl::testing {
namespace {

using nlohmann::json;

HttpResponse call(const std::string& method, const std::string& url, const std::string& credential,
                  const std::string& body = "") {
  return api_call(method, url, credential, body);
}

std::string api_key_with_role(const NslServer& n, const std::string& owner, const std::string& role) {
  auto r = call("POST", n.url("/v1/apikeys"), owner, json{{"name", role}, {"roles", {role}}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  return json_of(r).value("api_key", "");
}

// RFC 4648 base32 (no padding) → bytes, for the TOTP secret shown at enrolment.
std::vector<std::uint8_t> base32_bytes(const std::string& text) {
  std::vector<std::uint8_t> out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = (c >= 'A' && c <= 'Z') ? c - 'A' : (c >= '2' && c <= '7') ? c - '2' + 26 : -1;
    if (v < 0) continue;
    buffer = (buffer << 5) | static_cast<unsigned>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  return out;
}

std::string hex_of(const std::string& s) {
  return to_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(Secrets, VersionsOverHttp) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  const TestTenant acme = create_tenant(n, "acme");
  const TestTenant globex = create_tenant(n, "globex");
  const std::string url = n.url("/v1/secrets/app/db");

  auto w1 = call("PUT", url, acme.key, R"({"data": {"username": "app", "password": "first-Pa55-71c3"}})");
  ASSERT_EQ(w1.status, 200) << w1.body;
  EXPECT_EQ(json_of(w1)["version"], 1);
  EXPECT_EQ(json_of(w1)["destroyed"], false);

  auto r1 = call("GET", url, acme.key);
  ASSERT_EQ(r1.status, 200) << r1.body;
  EXPECT_EQ(json_of(r1)["data"], (json{{"username", "app"}, {"password", "first-Pa55-71c3"}}));
  EXPECT_EQ(json_of(r1)["metadata"]["version"], 1);
  EXPECT_EQ(r1.headers["cache-control"], "no-store");
  EXPECT_EQ(r1.headers["content-type"], "application/json");

  // Check-and-set: 0 only while absent; N only while current is N (409 names the current one).
  auto absent_only = call("PUT", url, acme.key, R"({"data": {"p": "x"}, "options": {"cas": 0}})");
  EXPECT_EQ(absent_only.status, 409) << absent_only.body;
  auto stale = call("PUT", url, acme.key, R"({"data": {"p": "x"}, "options": {"cas": 7}})");
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_NE(stale.body.find('1'), std::string::npos) << stale.body;
  auto w2 = call("PUT", url, acme.key, R"({"data": {"username": "app", "password": "second-Pa55-9a0e"}, "options": {"cas": 1}})");
  ASSERT_EQ(w2.status, 200) << w2.body;
  EXPECT_EQ(json_of(w2)["version"], 2);
  EXPECT_EQ(json_of(call("GET", url, acme.key))["data"]["password"], "second-Pa55-9a0e");
  EXPECT_EQ(json_of(call("GET", url + "?version=1", acme.key))["data"]["password"], "first-Pa55-71c3");
  EXPECT_EQ(call("GET", url + "?version=9", acme.key).status, 404);
  EXPECT_EQ(call("GET", url + "?version=x", acme.key).status, 400);

  // Strict bodies and path rules.
  auto unknown = call("PUT", url, acme.key, R"({"data": {}, "colour": "red"})");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_NE(unknown.body.find("colour"), std::string::npos) << unknown.body;
  EXPECT_EQ(call("PUT", url, acme.key, R"({"data": "text"})").status, 400);
  EXPECT_EQ(call("PUT", url, acme.key, R"({"data": {}, "options": {"cas": -1}})").status, 400);
  EXPECT_EQ(call("PUT", n.url("/v1/secrets/app/a%20b"), acme.key, R"({"data": {}})").status, 400);

  // Soft delete, undelete, destroy.
  ASSERT_EQ(call("DELETE", url, acme.key).status, 204);
  auto gone = call("GET", url, acme.key);
  EXPECT_EQ(gone.status, 404) << gone.body;
  EXPECT_EQ(gone.headers["content-type"], "application/problem+json");
  EXPECT_EQ(call("GET", url + "?version=1", acme.key).status, 200);
  ASSERT_EQ(call("POST", n.url("/v1/secret-undelete/app/db"), acme.key, R"({"versions": [2]})").status, 204);
  EXPECT_EQ(json_of(call("GET", url, acme.key))["data"]["password"], "second-Pa55-9a0e");
  ASSERT_EQ(call("POST", n.url("/v1/secret-destroy/app/db"), acme.key, R"({"versions": [1]})").status, 204);
  EXPECT_EQ(call("GET", url + "?version=1", acme.key).status, 404);
  EXPECT_EQ(call("POST", n.url("/v1/secret-undelete/app/db"), acme.key, R"({"versions": []})").status, 400);
  ASSERT_EQ(call("DELETE", url + "?versions=2", acme.key).status, 204);
  EXPECT_EQ(call("GET", url, acme.key).status, 404);
  ASSERT_EQ(call("POST", n.url("/v1/secret-undelete/app/db"), acme.key, R"({"versions": [2]})").status, 204);

  // Metadata.
  auto meta = call("PATCH", n.url("/v1/secret-metadata/app/db"), acme.key,
                   R"({"max_versions": 3, "cas_required": true, "custom_metadata": {"owner": "payments"}})");
  ASSERT_EQ(meta.status, 200) << meta.body;
  EXPECT_EQ(json_of(meta)["effective_max_versions"], 3);
  EXPECT_EQ(json_of(meta)["custom_metadata"]["owner"], "payments");
  EXPECT_EQ(call("PUT", url, acme.key, R"({"data": {"p": "no cas"}})").status, 409);  // cas required
  for (int v = 2; v < 6; ++v) {
    auto w = call("PUT", url, acme.key,
                  json{{"data", {{"n", v}}}, {"options", {{"cas", v}}}}.dump());
    ASSERT_EQ(w.status, 200) << w.body;
  }
  auto m = json_of(call("GET", n.url("/v1/secret-metadata/app/db"), acme.key));
  EXPECT_EQ(m["current_version"], 6);
  ASSERT_EQ(m["versions"].size(), 3u) << m.dump();
  EXPECT_EQ(m["versions"][0]["version"], 4);
  EXPECT_EQ(m.dump().find("payments") != std::string::npos, true);
  EXPECT_EQ(m.dump().find("Pa55"), std::string::npos);

  // Listing: full paths, byte order, prefix, cursor paging.
  for (const char* p : {"app/smtp", "app/z", "ops/ci"}) {
    ASSERT_EQ(call("PUT", n.url(std::string("/v1/secrets/") + p), acme.key, R"({"data": {"k": "v"}})").status, 200);
  }
  auto page1 = json_of(call("GET", n.url("/v1/secrets?prefix=app/&limit=2"), acme.key));
  ASSERT_EQ(page1["items"].size(), 2u) << page1.dump();
  EXPECT_EQ(page1["items"][0]["path"], "app/db");
  EXPECT_EQ(page1["items"][1]["path"], "app/smtp");
  ASSERT_TRUE(page1["next_cursor"].is_string());
  auto page2 = json_of(call("GET", n.url("/v1/secrets?prefix=app/&limit=2&cursor=" +
                                          page1["next_cursor"].get<std::string>()),
                            acme.key));
  ASSERT_EQ(page2["items"].size(), 1u) << page2.dump();
  EXPECT_EQ(page2["items"][0]["path"], "app/z");

  // Another tenant sees nothing; its own app/db is another secret.
  EXPECT_EQ(call("GET", url, globex.key).status, 404);
  EXPECT_EQ(call("GET", n.url("/v1/secret-metadata/app/db"), globex.key).status, 404);
  EXPECT_EQ(json_of(call("GET", n.url("/v1/secrets"), globex.key))["items"].size(), 0u);
  EXPECT_EQ(call("POST", n.url("/v1/secret-destroy/app/db"), globex.key, R"({"versions": [6]})").status, 404);
  ASSERT_EQ(call("PUT", url, globex.key, R"({"data": {"mine": "globex"}})").status, 200);
  EXPECT_EQ(json_of(call("GET", url, globex.key))["data"]["mine"], "globex");
  EXPECT_EQ(json_of(call("GET", url, acme.key))["data"]["n"], 5);

  // RBAC: an auditor lists and reads metadata but never values; a viewer has nothing here.
  const std::string auditor = api_key_with_role(n, acme.key, "auditor");
  const std::string viewer = api_key_with_role(n, acme.key, "viewer");
  const std::string operator_ = api_key_with_role(n, acme.key, "operator");
  EXPECT_EQ(call("GET", n.url("/v1/secrets"), auditor).status, 200);
  EXPECT_EQ(call("GET", n.url("/v1/secret-metadata/app/db"), auditor).status, 200);
  EXPECT_EQ(call("GET", url, auditor).status, 403);
  EXPECT_EQ(call("PUT", url, auditor, R"({"data": {}})").status, 403);
  EXPECT_EQ(call("GET", n.url("/v1/secrets"), viewer).status, 403);
  EXPECT_EQ(call("GET", url, operator_).status, 200);
  EXPECT_EQ(call("POST", n.url("/v1/secret-destroy/app/db"), viewer, R"({"versions": [6]})").status, 403);

  // Whole path removed.
  ASSERT_EQ(call("DELETE", n.url("/v1/secret-metadata/ops/ci"), acme.key).status, 204);
  EXPECT_EQ(call("GET", n.url("/v1/secret-metadata/ops/ci"), acme.key).status, 404);
  EXPECT_EQ(call("GET", n.url("/v1/secrets/ops/ci"), acme.key).status, 404);

  // The audit trail names operations and paths, never values.
  auto audit = call("GET", n.url("/v1/audit?action_prefix=secrets.&limit=500"), acme.key);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("secrets.write"), std::string::npos);
  EXPECT_NE(audit.body.find("secrets.read"), std::string::npos);
  EXPECT_NE(audit.body.find("secrets.destroy"), std::string::npos);
  EXPECT_NE(audit.body.find("secret:app/db"), std::string::npos);
  EXPECT_EQ(audit.body.find("Pa55"), std::string::npos);

  // Data-key rotation and rewrap: values stay readable.
  auto rot = call("POST", n.url("/v1/secret-data-key/rotate"), acme.key);
  ASSERT_EQ(rot.status, 200) << rot.body;
  EXPECT_EQ(json_of(rot)["version"], 2);
  auto rw = call("POST", n.url("/v1/secret-data-key/rewrap"), acme.key, R"({"limit": 10000})");
  ASSERT_EQ(rw.status, 200) << rw.body;
  EXPECT_GE(json_of(rw)["rewrapped"].get<int>(), 5);
  EXPECT_EQ(json_of(rw)["to_version"], 2);
  EXPECT_EQ(json_of(rw)["more"], false);
  EXPECT_EQ(json_of(call("GET", url, acme.key))["data"]["n"], 5);
  EXPECT_EQ(call("POST", n.url("/v1/secret-data-key/rotate"), operator_).status, 200);
  EXPECT_EQ(call("POST", n.url("/v1/secret-data-key/rotate"), auditor).status, 403);

  // At rest: the database file holds no value in clear.
  std::string db;
  for (const char* f : {"/data/nsl.db", "/data/nsl.db-wal"}) db += file_bytes(n.dir().path() + f);
  ASSERT_FALSE(db.empty());
  EXPECT_NE(db.find("app/db"), std::string::npos);  // paths are metadata, stored in clear
  EXPECT_EQ(db.find("first-Pa55-71c3"), std::string::npos);
  EXPECT_EQ(db.find("second-Pa55-9a0e"), std::string::npos);
}

TEST(Secrets, CliValuesOnStdinAndStdout) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  const TestTenant acme = create_tenant(n, "acme");
  const std::vector<std::pair<std::string, std::string>> env = {{"NSL_URL", n.url("")},
                                                                {"NSL_TOKEN", acme.key}};
  auto cli = [&](std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), "secrets");
    return nsl_with_stdin(n, args, in, env);
  };

  auto put = cli({"put", "ci/db", "--field", "password"}, "cli-Pa55 with spaces\n");
  ASSERT_EQ(put.rc, 0) << put.out;
  EXPECT_NE(put.out.find("version 1"), std::string::npos) << put.out;
  auto get = cli({"get", "ci/db", "--field", "password"});
  ASSERT_EQ(get.rc, 0) << get.out;
  EXPECT_EQ(get.out, "cli-Pa55 with spaces\n");

  auto put_json = cli({"put", "ci/db", "--cas", "1", "--json"}, R"({"password": "v2", "port": 5432})");
  ASSERT_EQ(put_json.rc, 0) << put_json.out;
  EXPECT_EQ(last_json_line(put_json)["version"], 2);
  auto whole = cli({"get", "ci/db"});
  ASSERT_EQ(whole.rc, 0) << whole.out;
  EXPECT_EQ(json::parse(whole.out), (json{{"password", "v2"}, {"port", 5432}}));
  EXPECT_EQ(cli({"get", "ci/db", "--version", "1", "--field", "password"}).out, "cli-Pa55 with spaces\n");
  EXPECT_EQ(cli({"get", "ci/db", "--field", "port"}).out, "5432\n");

  // A stale cas is refused by the server: exit 1 with its problem.
  auto stale = cli({"put", "ci/db", "--cas", "1"}, R"({"password": "v3"})");
  EXPECT_EQ(stale.rc, 1) << stale.out;
  EXPECT_NE(stale.out.find("409"), std::string::npos) << stale.out;
  EXPECT_EQ(cli({"put", "ci/db"}, "not json").rc, 2);

  ASSERT_EQ(cli({"put", "ci/registry", "--field", "token"}, "t0k").rc, 0);
  auto list = cli({"list", "--prefix", "ci/"});
  ASSERT_EQ(list.rc, 0) << list.out;
  EXPECT_EQ(list.out, "ci/db\nci/registry\n");

  ASSERT_EQ(cli({"delete", "ci/db"}).rc, 0);
  EXPECT_EQ(cli({"get", "ci/db"}).rc, 1);
  ASSERT_EQ(cli({"undelete", "ci/db", "--versions", "2"}).rc, 0);
  EXPECT_EQ(cli({"get", "ci/db", "--field", "password"}).out, "v2\n");
  ASSERT_EQ(cli({"destroy", "ci/db", "--versions", "1"}).rc, 0);
  EXPECT_EQ(cli({"get", "ci/db", "--version", "1"}).rc, 1);
  auto meta = cli({"metadata", "ci/db"});
  ASSERT_EQ(meta.rc, 0) << meta.out;
  const json m = json::parse(meta.out);
  EXPECT_EQ(m["current_version"], 2);
  EXPECT_EQ(m["versions"][0]["destroyed"], true);

  auto rot = cli({"rotate-data-key", "--json"});
  ASSERT_EQ(rot.rc, 0) << rot.out;
  EXPECT_EQ(last_json_line(rot)["version"], 2);
  auto rw = cli({"rewrap"});
  ASSERT_EQ(rw.rc, 0) << rw.out;
  EXPECT_EQ(last_json_line(rw)["more"], false);
  EXPECT_EQ(cli({"get", "ci/registry", "--field", "token"}).out, "t0k\n");

  // Usage errors (2) and refusals (1).
  EXPECT_EQ(cli({"get"}).rc, 2);
  EXPECT_EQ(cli({"get", "a/../b?x"}).rc, 2);
  EXPECT_EQ(cli({"frobnicate"}).rc, 2);
  EXPECT_EQ(nsl_with_stdin(n, {"secrets", "get", "ci/db"}, "", {{"NSL_URL", n.url("")}}).rc, 2);
  EXPECT_EQ(nsl_with_stdin(n, {"secrets", "get", "ci/db"}, "",
                           {{"NSL_URL", n.url("")}, {"NSL_TOKEN", "nsl_wrong"}})
                .rc,
            1);
}

// A dump of the whole PostgreSQL database (as a superuser, past row-level security) holds none of
// the secrets that went through nsl: secret values, API keys, passwords, TOTP secrets, refresh and
// access tokens — neither as text nor hex-encoded (how pg_dump writes bytea).
TEST(Secrets, PostgresDumpRevealsNoSecret) {
  NSL_REQUIRE_PG();
  auto pg = pg_scratch_database("e2e_dump");
  ASSERT_FALSE(pg.service_url.empty());
  NslServer n({.toml = "[database]\nurl = \"" + pg.service_url + "\"\nmigration_url = \"" + pg.owner_url + "\"\n",
               .start = false});
  auto mig = n.cli({"migrate"});
  ASSERT_EQ(mig.rc, 0) << mig.out;
  n.start();
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  const TestTenant acme = create_tenant(n, "acme");

  std::vector<std::string> secrets = {acme.key};
  const std::string value = "dump-Secret-Value-5b1d0c";
  ASSERT_EQ(call("PUT", n.url("/v1/secrets/app/db"), acme.key, json{{"data", {{"password", value}}}}.dump()).status,
            200);
  ASSERT_EQ(json_of(call("GET", n.url("/v1/secrets/app/db"), acme.key))["data"]["password"], value);
  secrets.push_back(value);
  secrets.push_back(api_key_with_role(n, acme.key, "operator"));

  const std::string password = "correct horse battery staple 61";
  auto u = call("POST", n.url("/v1/users"), acme.key,
                json{{"email", "carol@example.com"}, {"password", password}, {"roles", {"viewer"}}}.dump());
  ASSERT_EQ(u.status, 201) << u.body;
  const std::string uid = json_of(u)["id"];
  secrets.push_back(password);
  auto en = call("POST", n.url("/v1/users/" + uid + "/totp"), acme.key);
  ASSERT_EQ(en.status, 200) << en.body;
  const std::string totp = json_of(en)["secret"];
  secrets.push_back(totp);
  const auto totp_raw = base32_bytes(totp);
  ASSERT_GE(totp_raw.size(), 16u);
  auto login = call("POST", n.url("/v1/auth/login"), "",
                    json{{"tenant", "acme"}, {"email", "carol@example.com"}, {"password", password}}.dump());
  ASSERT_EQ(login.status, 200) << login.body;
  secrets.push_back(json_of(login)["refresh_token"]);
  secrets.push_back(json_of(login)["access_token"]);

  // pg_dump as the harness superuser, on the scratch database.
  std::string admin = *pg_dsn();
  admin = admin.substr(0, admin.rfind('/') + 1) + pg.name;
  const std::string bin = service_env("NSL_TEST_PG_BIN").value_or("/usr/lib/postgresql/15/bin");
  const std::string out = n.dir().path() + "/dump.sql";
  ChildProcess dump({bin + "/pg_dump", "--no-owner", "--dbname=" + admin, "--file=" + out}, {},
                    n.dir().path() + "/dump.log");
  ASSERT_EQ(dump.wait_exit(std::chrono::seconds(120)).value_or(-1), 0) << dump.output();
  const std::string sql = file_bytes(out);
  ASSERT_NE(sql.find("secret_versions"), std::string::npos) << "the dump has no secrets table";
  ASSERT_NE(sql.find("app/db"), std::string::npos) << "the dump has no secret rows";
  ASSERT_NE(sql.find("carol@example.com"), std::string::npos) << "the dump has no user rows";
  for (const std::string& s : secrets) {
    ASSERT_FALSE(s.empty());
    EXPECT_EQ(sql.find(s), std::string::npos) << "a secret of " << s.size() << " characters is in the dump";
    EXPECT_EQ(sql.find(hex_of(s)), std::string::npos) << "a secret is in the dump hex-encoded";
  }
  EXPECT_EQ(sql.find(to_hex(totp_raw)), std::string::npos) << "the TOTP key is in the dump";
}

}  // namespace
}  // namespace nsl::testing
