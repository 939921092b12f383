// MeteredCache over a LocalCache: hits, misses and errors land in the registry's exposition.
#include "cache/metered_cache.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cache/local_cache.hpp"
#include "core/clock.hpp"
#include "obs/metrics.hpp"

namespace nsl::cache {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(MeteredCacheTest, CountsHitsMissesAndErrors) {
  FakeClock clock;
  LocalCache local({.prefix = "p:", .clock = &clock});
  obs::Registry reg;
  MeteredCache c(local, "shared", reg);
  EXPECT_EQ(c.prefix(), "p:");

  EXPECT_FALSE(c.get("k")->has_value());  // miss
  ASSERT_TRUE(c.set("k", "v", 10s).ok());
  EXPECT_EQ(c.get("k")->value_or(""), "v");  // hit
  EXPECT_EQ(c.get("k")->value_or(""), "v");  // hit
  EXPECT_FALSE(c.get("").ok());              // error (invalid key)
  EXPECT_FALSE(c.set("k", "v", 0ms).ok());   // error (ttl)
  EXPECT_FALSE(c.rate_limit("r", 0, 1s).ok());
  EXPECT_TRUE(c.rate_limit("r", 10, 1s)->allowed);
  auto l = c.acquire_lock("L", 1s);
  ASSERT_TRUE(l.ok() && l->has_value());
  EXPECT_TRUE(*c.release_lock(**l));
  EXPECT_TRUE(c.ping().ok());
  EXPECT_TRUE(*c.del("k"));  // results pass through unchanged
  EXPECT_FALSE(local.get("k")->has_value());

  const std::string text = reg.expose();
  EXPECT_THAT(text, HasSubstr("# TYPE nsl_cache_requests_total counter"));
  EXPECT_THAT(text, HasSubstr("nsl_cache_requests_total{cache=\"shared\",result=\"hit\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("nsl_cache_requests_total{cache=\"shared\",result=\"miss\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("nsl_cache_requests_total{cache=\"shared\",result=\"error\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE nsl_cache_errors_total counter"));
  EXPECT_THAT(text, HasSubstr("nsl_cache_errors_total{cache=\"shared\",op=\"get\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("nsl_cache_errors_total{cache=\"shared\",op=\"set\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("nsl_cache_errors_total{cache=\"shared\",op=\"rate_limit\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("nsl_cache_errors_total{cache=\"shared\",op=\"ping\"} 0\n"));
}

TEST(MeteredCacheTest, TwoCachesShareOneRegistryUnderTheirOwnLabels) {
  LocalCache a, b;
  obs::Registry reg;
  MeteredCache ma(a, "local", reg);
  MeteredCache mb(b, "shared", reg);
  (void)ma.get("x");
  ASSERT_TRUE(mb.set("x", "1", 1s).ok());
  (void)mb.get("x");
  const std::string text = reg.expose();
  EXPECT_THAT(text, HasSubstr("nsl_cache_requests_total{cache=\"local\",result=\"miss\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("nsl_cache_requests_total{cache=\"shared\",result=\"hit\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("nsl_cache_requests_total{cache=\"shared\",result=\"miss\"} 0\n"));
}

}  // namespace
}  // namespace nsl::cache
