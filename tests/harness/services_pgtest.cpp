// Smoke test of the harness PostgreSQL: reachable with the DSN, version 15, usable for writes.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>

#include "harness/harness.hpp"

namespace nsl::testing {
namespace {

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;
using Result = std::unique_ptr<PGresult, ResultCloser>;

Conn connect_or_null() {
  Conn conn(PQconnectdb(pg_dsn()->c_str()));
  return conn;
}

class ServicesPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSL_REQUIRE_PG();
    conn_ = connect_or_null();
    ASSERT_TRUE(conn_);
    ASSERT_EQ(PQstatus(conn_.get()), CONNECTION_OK) << PQerrorMessage(conn_.get());
  }

  Result exec(const std::string& sql) {
    Result r(PQexec(conn_.get(), sql.c_str()));
    EXPECT_TRUE(r != nullptr);
    const auto st = PQresultStatus(r.get());
    EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn_.get());
    return r;
  }

  Conn conn_;
};

TEST_F(ServicesPgTest, ServerIsPostgres15) {
  Result r = exec("SELECT current_setting('server_version_num')::int");
  ASSERT_EQ(PQntuples(r.get()), 1);
  const int version = std::stoi(PQgetvalue(r.get(), 0, 0));
  EXPECT_GE(version, 150000);
  EXPECT_LT(version, 160000);
}

TEST_F(ServicesPgTest, ConnectsAsSuperuserToTestDatabase) {
  Result r = exec(
      "SELECT current_database(), current_user, "
      "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)");
  ASSERT_EQ(PQntuples(r.get()), 1);
  EXPECT_STREQ(PQgetvalue(r.get(), 0, 0), "nsl_test");
  EXPECT_STREQ(PQgetvalue(r.get(), 0, 1), "nsl_admin");
  EXPECT_STREQ(PQgetvalue(r.get(), 0, 2), "t");
}

TEST_F(ServicesPgTest, CreateInsertSelectRoundTrip) {
  // A per-process table name: test binaries may run in parallel against the same database.
  const std::string table = "harness_smoke_" + std::to_string(::getpid());
  exec("DROP TABLE IF EXISTS " + table);
  exec("CREATE TABLE " + table + " (id bigint PRIMARY KEY, payload bytea NOT NULL, note text)");
  const char* params[] = {"7", "\\x00ff10", "héllo"};
  Result ins(PQexecParams(conn_.get(), ("INSERT INTO " + table + " VALUES ($1, $2, $3)").c_str(), 3,
                          nullptr, params, nullptr, nullptr, 0));
  ASSERT_EQ(PQresultStatus(ins.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn_.get());
  Result sel = exec("SELECT id, encode(payload, 'hex'), note FROM " + table);
  ASSERT_EQ(PQntuples(sel.get()), 1);
  EXPECT_STREQ(PQgetvalue(sel.get(), 0, 0), "7");
  EXPECT_STREQ(PQgetvalue(sel.get(), 0, 1), "00ff10");
  EXPECT_STREQ(PQgetvalue(sel.get(), 0, 2), "héllo");
  exec("DROP TABLE " + table);
}

TEST(ServicesPgAuthTest, WrongPasswordIsRejected) {
  NSL_REQUIRE_PG();
  std::string dsn = *pg_dsn();
  const auto at = dsn.find('@');
  const auto colon = dsn.rfind(':', at);
  ASSERT_NE(at, std::string::npos);
  dsn = dsn.substr(0, colon + 1) + "wrong" + dsn.substr(at);
  Conn conn(PQconnectdb(dsn.c_str()));
  EXPECT_NE(PQstatus(conn.get()), CONNECTION_OK);
}

}  // namespace
}  // namespace nsl::testing
