// nsl/testing pg_scratch.hpp — fresh PostgreSQL databases for tests, used the way production does.
//
// Once per process: an owner role (runs migrations, owns the tables) and a service role (LOGIN,
// NOSUPERUSER, NOBYPASSRLS, member of the group role nsl_app) are created from the harness DSN (a
// superuser). Each scratch database is owned by the owner role. Roles and databases are dropped
// when the test program exits.
//
//   NSL_REQUIRE_PG();
//   auto db = nsl::testing::pg_scratch_database("audit");
//   auto svc = PostgresDatabase::open({.dsn = SecretString(db.service_dsn),
//                                      .migration_dsn = SecretString(db.owner_dsn)});
#pragma once

#include <string>

namespace nsl::testing {

struct PgScratch {
  std::string name;         // database name
  std::string service_dsn;  // the non-owner service role (row-level security applies)
  std::string owner_dsn;    // the owner role (migrations; tampering in tests)
  std::string service_url;  // the same two as postgresql:// URIs (nsl's database.url form)
  std::string owner_url;
  std::string service_role;
  std::string owner_role;
};

// A new empty database; `label` becomes part of its name. Fails the current test (ADD_FAILURE)
// and returns empty DSNs when the harness PostgreSQL is unreachable.
PgScratch pg_scratch_database(const std::string& label);

// Runs one SQL statement as the harness superuser; returns the first column of the first row
// ("" when none). Fails the current test on error.
std::string pg_admin_sql(const std::string& sql);

}  // namespace nsl::testing
