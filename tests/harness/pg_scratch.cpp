#include "harness/pg_scratch.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <mutex>
#include <string_view>
#include <vector>

#include "core/random.hpp"
#include "harness/harness.hpp"

namespace nsl::testing {
namespace {

class Admin {
 public:
  explicit Admin(const std::string& dsn) : c_(PQconnectdb(dsn.c_str())) {}
  ~Admin() { PQfinish(c_); }
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;
  bool ok() const { return PQstatus(c_) == CONNECTION_OK; }
  std::string run(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    const auto st = PQresultStatus(r);
    std::string out;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      ADD_FAILURE() << "admin sql failed: " << sql << ": " << PQerrorMessage(c_);
    } else if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) {
      out = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
    return out;
  }

 private:
  PGconn* c_;
};

// host/port of the harness DSN, for keyword DSNs (or URIs) with other users and databases.
std::string dsn_for(const std::string& db, const std::string& user, const std::string& password,
                    bool uri = false) {
  const std::string base = pg_dsn().value_or("");
  PQconninfoOption* opts = PQconninfoParse(base.c_str(), nullptr);
  std::string host = "127.0.0.1";
  std::string port = "5432";
  for (auto* o = opts; o && o->keyword; ++o) {
    if (!o->val) continue;
    if (std::string_view(o->keyword) == "host") host = o->val;
    if (std::string_view(o->keyword) == "port") port = o->val;
  }
  PQconninfoFree(opts);
  if (uri)
    return "postgresql://" + user + ":" + password + "@" + host + ":" + port + "/" + db +
           "?connect_timeout=5";
  return "host=" + host + " port=" + port + " dbname=" + db + " user=" + user +
         " password=" + password + " connect_timeout=5";
}

struct Roles {
  std::string suffix = random_hex(4);
  std::string owner = "nsl_t_owner_" + suffix;
  std::string service = "nsl_t_svc_" + suffix;
  std::string password = random_hex(16);
  std::vector<std::string> databases;
  std::mutex mu;
};

Roles& roles() {
  static Roles* r = [] {
    auto* rr = new Roles();
    Admin admin(pg_dsn().value_or(""));
    admin.run(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nsl_app') THEN "
        "CREATE ROLE nsl_app NOLOGIN; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
    admin.run("CREATE ROLE " + rr->owner + " LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD '" +
              rr->password + "'");
    admin.run("CREATE ROLE " + rr->service +
              " LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD '" + rr->password +
              "' IN ROLE nsl_app");
    return rr;
  }();
  return *r;
}

class Cleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!pg_dsn() || !used_) return;
    Roles& r = roles();
    Admin admin(*pg_dsn());
    for (const auto& db : r.databases) admin.run("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    admin.run("DROP ROLE IF EXISTS " + r.service);
    admin.run("DROP ROLE IF EXISTS " + r.owner);
  }
  static inline bool used_ = false;
};

// Registered at start-up of every program that links this file (only pg tests reference it).
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new Cleanup);

}  // namespace

PgScratch pg_scratch_database(const std::string& label) {
  Cleanup::used_ = true;
  Roles& r = roles();
  PgScratch out;
  out.name = "nsl_" + label + "_" + r.suffix + "_" + random_hex(4);
  out.service_role = r.service;
  out.owner_role = r.owner;
  Admin admin(pg_dsn().value_or(""));
  if (!admin.ok()) {
    ADD_FAILURE() << "cannot connect to the harness PostgreSQL";
    return out;
  }
  admin.run("CREATE DATABASE " + out.name + " OWNER " + r.owner);
  {
    std::lock_guard lock(r.mu);
    r.databases.push_back(out.name);
  }
  out.service_dsn = dsn_for(out.name, r.service, r.password);
  out.owner_dsn = dsn_for(out.name, r.owner, r.password);
  out.service_url = dsn_for(out.name, r.service, r.password, true);
  out.owner_url = dsn_for(out.name, r.owner, r.password, true);
  return out;
}

std::string pg_admin_sql(const std::string& sql) {
  Admin admin(pg_dsn().value_or(""));
  return admin.run(sql);
}

}  // namespace nsl::testing
