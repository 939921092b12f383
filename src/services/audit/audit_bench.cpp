// Audit append throughput: group commit vs one record per transaction, on SQLite and PostgreSQL.
//
// Each iteration, N producer threads (the Arg) append kPerIteration events in total to ONE tenant
// (the worst case: one chain, one head row) with callbacks, without waiting for each other, then
// the iteration waits for every acknowledgement. items_per_second = acknowledged appends per
// second. After the last iteration the committed rows are counted: counter `lost` = acknowledged
// ok - rows in the table (must be 0; the benchmark errors otherwise), `failed` = appends that were
// acknowledged with an error.
//
// BM_SingleInsertPerTx* run the same code with max_batch = 1: every record is its own
// transaction (the baseline the group-commit ratio in bench/README.md is computed against).
//
// PostgreSQL comes from NSL_TEST_PG_DSN or the NSL_TEST_SERVICES_ENV file (default
// <build>/test-services/env, as in tests/harness/harness.hpp); without it the Postgres benchmarks
// are skipped with an error. Each run gets its own schema and a non-owner service role (RLS
// applies, as in production); both are dropped afterwards.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include "bench/bench_env.hpp"
#include "core/random.hpp"
#include "obs/log.hpp"
#include "services/audit/audit_log.hpp"
#include "store/postgres_db.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::audit {
namespace {

constexpr int kPerIteration = 4000;

std::optional<std::string> pg_dsn() { return bench::service_env("NSL_TEST_PG_DSN"); }

// A fresh database with one tenant, and its teardown.
struct Rig {
  std::unique_ptr<store::Database> db;
  std::optional<store::TenantId> tenant;
  std::string error;
  std::function<void()> teardown;
  ~Rig() {
    db.reset();
    if (teardown) teardown();
  }
};

void add_tenant(Rig& rig) {
  const auto t = store::TenantId::generate();
  auto st = rig.db->with_system([&t](store::Tx& tx) -> Status {
    NSL_TRY(tx.exec("INSERT INTO tenants (id, name) VALUES ($1, $2)", {t, "bench-" + t.str()}));
    return {};
  });
  if (!st.ok()) {
    rig.error = "cannot create tenant";
    return;
  }
  rig.tenant = t;
}

std::unique_ptr<Rig> sqlite_rig() {
  auto rig = std::make_unique<Rig>();
  char tmpl[] = "/tmp/nsl-audit-bench-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  rig->teardown = [dir] { std::filesystem::remove_all(dir); };
  auto db = store::SqliteDatabase::open({.path = dir + "/nsl.db"});
  if (!db.ok() || !(*db)->migrate().ok()) {
    rig->error = "cannot open SQLite";
    return rig;
  }
  rig->db = std::move(db).value();
  add_tenant(*rig);
  return rig;
}

std::unique_ptr<Rig> postgres_rig() {
  auto rig = std::make_unique<Rig>();
  const auto dsn = pg_dsn();
  // postgresql://user:password@host:port/dbname
  static const std::regex kUri(
      R"(^postgres(?:ql)?://([^:@/]+):([^@/]*)@([^:/]+):(\d+)/([^?]+).*$)");
  std::smatch m;
  if (!dsn || !std::regex_match(*dsn, m, kUri)) {
    rig->error = "PostgreSQL not configured (NSL_TEST_SERVICES_ENV)";
    return rig;
  }
  const std::string base =
      "host=" + m[3].str() + " port=" + m[4].str() + " dbname=" + m[5].str() + " connect_timeout=5";
  const std::string suffix = random_hex(4);
  const std::string schema = "nsl_audit_bench_" + suffix;
  const std::string role = "nsl_audit_bench_svc_" + suffix;
  const std::string password = random_hex(16);
  const std::string path = " options='-csearch_path=" + schema + "'";
  auto admin = store::PostgresDatabase::open(
      {.dsn = SecretString(base + " user=" + m[1].str() + " password=" + m[2].str() + path),
       .pool_size = 1});
  if (!admin.ok()) {
    rig->error = "cannot open PostgreSQL";
    return rig;
  }
  std::shared_ptr<store::PostgresDatabase> owner(std::move(admin).value());
  auto sql = [owner](const std::string& s) {
    return owner->with_system([&s](store::Tx& tx) -> Status {
      NSL_TRY(tx.exec(s));
      return {};
    });
  };
  if (!sql("CREATE SCHEMA " + schema).ok()) {
    rig->error = "cannot create schema";
    return rig;
  }
  rig->teardown = [sql, schema, role] {
    (void)sql("DROP SCHEMA " + schema + " CASCADE");
    (void)sql("DROP ROLE IF EXISTS " + role);
  };
  if (!owner->migrate().ok() ||
      !sql("CREATE ROLE " + role + " LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '" + password +
           "' IN ROLE nsl_app")
           .ok() ||
      !sql("GRANT USAGE ON SCHEMA " + schema + " TO nsl_app").ok()) {
    rig->error = "cannot migrate PostgreSQL";
    return rig;
  }
  auto service = store::PostgresDatabase::open(
      {.dsn = SecretString(base + " user=" + role + " password=" + password + path),
       .pool_size = 4});
  if (!service.ok()) {
    rig->error = "cannot open the service role";
    return rig;
  }
  rig->db = std::move(service).value();
  add_tenant(*rig);
  return rig;
}

void run_appends(benchmark::State& state, Rig& rig, std::size_t max_batch) {
  if (!rig.error.empty() || !rig.tenant) {
    state.SkipWithError(rig.error.empty() ? "no rig" : rig.error.c_str());
    return;
  }
  const int producers = static_cast<int>(state.range(0));
  const int per_producer = kPerIteration / producers;
  std::atomic<std::int64_t> acked_ok{0};
  std::atomic<std::int64_t> failed{0};
  {
    AuditLog log(*rig.db, {.max_batch = max_batch});
    for (auto _ : state) {
      std::mutex mu;
      std::condition_variable cv;
      int pending = per_producer * producers;
      auto done = [&](Status st) {
        (st.ok() ? acked_ok : failed)++;
        std::lock_guard lk(mu);
        if (--pending == 0) cv.notify_one();
      };
      std::vector<std::thread> threads;
      for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
          for (int i = 0; i < per_producer; ++i) {
            log.append({.tenant = *rig.tenant,
                        .actor = "apikey:bench" + std::to_string(p),
                        .action = "keys.sign",
                        .resource = "keys/k" + std::to_string(i % 16),
                        .request_id = "req-" + std::to_string(p) + "-" + std::to_string(i),
                        .result = "ok",
                        .detail = {{"alg", "ES256"}, {"digest_len", 32}}},
                       done);
          }
        });
      }
      for (auto& t : threads) t.join();
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return pending == 0; });
    }
  }
  auto rows = rig.db->with_tenant(*rig.tenant, [&rig](store::Tx& tx) {
    return tx.query("SELECT COUNT(*) FROM audit_records WHERE tenant_id = $1", {*rig.tenant});
  });
  const std::int64_t committed = rows.ok() ? std::stoll(rows->at(0).at(0).value_or("0")) : -1;
  state.counters["lost"] = static_cast<double>(acked_ok.load() - committed);
  state.counters["failed"] = static_cast<double>(failed.load());
  state.SetItemsProcessed(state.iterations() * per_producer * producers);
  if (committed != acked_ok.load() || failed.load() != 0) {
    state.SkipWithError("acknowledged appends and committed rows differ, or appends failed");
  }
}

void BM_AuditAppendSqlite(benchmark::State& state) {
  obs::set_sink([](std::string_view) {});
  auto rig = sqlite_rig();
  run_appends(state, *rig, 1000);
}
BENCHMARK(BM_AuditAppendSqlite)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();

void BM_SingleInsertPerTxSqlite(benchmark::State& state) {
  obs::set_sink([](std::string_view) {});
  auto rig = sqlite_rig();
  run_appends(state, *rig, 1);
}
BENCHMARK(BM_SingleInsertPerTxSqlite)->Arg(1)->Arg(16)->UseRealTime();

void BM_AuditAppendPostgres(benchmark::State& state) {
  obs::set_sink([](std::string_view) {});
  auto rig = postgres_rig();
  run_appends(state, *rig, 1000);
}
BENCHMARK(BM_AuditAppendPostgres)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();

void BM_SingleInsertPerTxPostgres(benchmark::State& state) {
  obs::set_sink([](std::string_view) {});
  auto rig = postgres_rig();
  run_appends(state, *rig, 1);
}
BENCHMARK(BM_SingleInsertPerTxPostgres)->Arg(16)->UseRealTime();

}  // namespace
}  // namespace nsl::audit
