// open_store() options and the PostgreSQL pool metrics (no server needed: the pool connects
// lazily).
#include "app/storage.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "obs/metrics.hpp"
#include "store/postgres_db.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StorageMetricsTest, PostgresPoolMetricsAppearAtScrapeTime) {
  auto db = store::PostgresDatabase::open(
      {.dsn = SecretString("host=127.0.0.1 port=1 dbname=x user=x"), .pool_size = 3});
  ASSERT_TRUE(db.ok()) << db.error();
  obs::Registry reg;
  register_db_metrics(reg, **db);
  const std::string text = reg.expose();
  EXPECT_THAT(text, HasSubstr("# TYPE nsl_db_pool_connections gauge\n"));
  EXPECT_THAT(text, HasSubstr("nsl_db_pool_connections{state=\"idle\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("nsl_db_pool_connections{state=\"in_use\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("nsl_db_pool_max_connections 3\n"));
  EXPECT_THAT(text,
              HasSubstr("# TYPE nsl_db_pool_waits_total counter\nnsl_db_pool_waits_total 0\n"));
  EXPECT_THAT(text, HasSubstr("nsl_db_pool_wait_seconds_total 0\n"));
  EXPECT_THAT(text, HasSubstr("nsl_db_pool_timeouts_total 0\n"));
  EXPECT_THAT(text, HasSubstr("nsl_db_reconnects_total 0\n"));
  // A failed acquisition (nothing listens on port 1) is counted at the next scrape.
  (void)(*db)->with_system([](store::Tx& tx) { return tx.query("SELECT 1"); });
  EXPECT_THAT(reg.expose(), HasSubstr("nsl_db_pool_acquires_total 1\n"));
}

TEST(StorageMetricsTest, SqliteRegistersNothing) {
  auto db = store::SqliteDatabase::open({.path = ":memory:"});
  ASSERT_TRUE(db.ok()) << db.error();
  obs::Registry reg;
  register_db_metrics(reg, **db);
  EXPECT_THAT(reg.expose(), Not(HasSubstr("nsl_db_")));
}

TEST(StorageTest, StatementTimeoutDefaultsToFiveSeconds) {
  config::Config c;
  EXPECT_EQ(c.database.statement_timeout_ms, 5000u);
}

}  // namespace
}  // namespace nsl::app
