// The backup and restore procedure of docs/operations.md ("Backup and restore"), run end to end:
// a deployment on PostgreSQL makes a tenant, a key and a secret; the database is dumped with
// `pg_dump -Fc` and restored with `pg_restore` into a new, empty database; a new `nsl serve` on the
// restored database with the same sealing root (the data dir's enclave/sealing.secret) serves the
// same key, signs with it, reads the secret, and `nsl audit verify` accepts the restored trail.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness/harness.hpp"
#include "harness/nsl_server.hpp"
#include "harness/pg_scratch.hpp"

namespace nsl::testing {
namespace {

using nlohmann::json;

std::string database_toml(const PgScratch& pg) {
  return "[database]\nurl = \"" + pg.service_url + "\"\nmigration_url = \"" + pg.owner_url + "\"\n";
}

// The harness superuser's URI, pointed at `database`.
std::string superuser_uri(const std::string& database) {
  std::string admin = *pg_dsn();
  return admin.substr(0, admin.rfind('/') + 1) + database;
}

int run_tool(const std::vector<std::string>& argv, const std::string& log, std::string* output) {
  ChildProcess p(argv, {}, log);
  const int rc = p.wait_exit(std::chrono::seconds(120)).value_or(-1);
  *output = p.output();
  return rc;
}

TEST(Backup, PgDumpAndTheSealingRootRestoreADeployment) {
  NSL_REQUIRE_PG();
  const std::string bin = service_env("NSL_TEST_PG_BIN").value_or("/usr/lib/postgresql/15/bin");
  TempDir data;  // the data dir: its enclave/sealing.secret is the sealing root that must be kept
  TempDir work;
  auto before = pg_scratch_database("e2e_backup");
  auto after = pg_scratch_database("e2e_restored");
  ASSERT_FALSE(before.service_url.empty());
  ASSERT_FALSE(after.service_url.empty());

  std::string key_id, public_key, tenant_key;
  {
    NslServer n({.toml = database_toml(before), .start = false, .data_dir = data.path()});
    auto mig = n.cli({"migrate"});
    ASSERT_EQ(mig.rc, 0) << mig.out;
    n.start();
    ASSERT_TRUE(n.wait_ready()) << n.logs();
    const TestTenant acme = create_tenant(n, "acme");
    tenant_key = acme.key;
    auto k = api_call("POST", n.url("/v1/keys"), acme.key, json{{"curve", "secp256r1"}, {"label", "treasury"}}.dump());
    ASSERT_EQ(k.status, 201) << k.body;
    key_id = json_of(k)["id"];
    public_key = json_of(k)["public_key"];
    ASSERT_EQ(api_call("PUT", n.url("/v1/secrets/app/db"), acme.key, R"({"data": {"password": "kept-through-restore"}})")
                  .status,
              200);
  }  // stopped: what follows is the operator's backup

  std::string out;
  const std::string dump = work.path() + "/nsl.dump";
  ASSERT_EQ(run_tool({bin + "/pg_dump", "-Fc", "--file=" + dump, "--dbname=" + superuser_uri(before.name)},
                     work.path() + "/dump.log", &out),
            0)
      << out;
  ASSERT_EQ(run_tool({bin + "/pg_restore", "--exit-on-error", "--dbname=" + superuser_uri(after.name), dump},
                     work.path() + "/restore.log", &out),
            0)
      << out;

  NslServer r({.toml = database_toml(after), .data_dir = data.path()});
  ASSERT_TRUE(r.wait_ready()) << r.logs();
  auto got = api_call("GET", r.url("/v1/keys/" + key_id), tenant_key);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(json_of(got)["public_key"], public_key);
  // The sealed private key opens: it signs, and the signature verifies.
  auto sig = api_call("POST", r.url("/v1/keys/" + key_id + "/sign"), tenant_key,
                      json{{"format", "neo_message"}, {"message", "restored"}}.dump());
  ASSERT_EQ(sig.status, 200) << sig.body;
  auto ok = api_call("POST", r.url("/v1/keys/" + key_id + "/verify"), tenant_key,
                     json{{"format", "neo_message"}, {"message", "restored"}, {"signature", json_of(sig)["signature"]}}
                         .dump());
  EXPECT_EQ(json_of(ok)["valid"], true) << ok.body;
  auto secret = api_call("GET", r.url("/v1/secrets/app/db"), tenant_key);
  ASSERT_EQ(secret.status, 200) << secret.body;
  EXPECT_EQ(json_of(secret)["data"]["password"], "kept-through-restore");
  auto verify = r.cli({"audit", "verify", "--json"});
  EXPECT_EQ(verify.rc, 0) << verify.out;
  EXPECT_EQ(last_json_line(verify)["ok"], true) << verify.out;
  // Row-level security came back with the schema (forced, so even the owner role is filtered).
  ASSERT_EQ(run_tool({bin + "/psql", "-tAq", "--dbname=" + superuser_uri(after.name), "-c",
                      "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'secret_versions'"},
                     work.path() + "/psql.log", &out),
            0)
      << out;
  EXPECT_EQ(out.substr(0, out.find('\n')), "t") << out;
}

}  // namespace
}  // namespace nsl::testing
