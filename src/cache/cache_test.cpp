// LocalCache: the contract suite on a FakeClock, plus bounds/eviction; RedisCache URL parsing (no
// server).
#include <gtest/gtest.h>

#include "cache/cache_contract.hpp"
#include "cache/local_cache.hpp"
#include "cache/redis_cache.hpp"
#include "core/clock.hpp"

namespace nsl::cache {
namespace {

using namespace std::chrono_literals;

FakeClock& fake_clock() {
  static FakeClock clock;
  return clock;
}

struct LocalTraits {
  static std::string unavailable_reason() { return {}; }
  static std::unique_ptr<Cache> make(const std::string& prefix) {
    return std::make_unique<LocalCache>(
        LocalCacheOptions{.prefix = prefix, .clock = &fake_clock()});
  }
  static void wait(std::chrono::milliseconds d) { fake_clock().advance(d); }
};

using LocalTypes = ::testing::Types<LocalTraits>;

TEST(LocalCacheTest, BoundedSizeEvictsOldestWrite) {
  FakeClock clock;
  LocalCache c(LocalCacheOptions{.prefix = "p:", .max_entries = 4, .shards = 1, .clock = &clock});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(c.set("k" + std::to_string(i), "v", 1h).ok());
  ASSERT_TRUE(c.set("k0", "v0", 1h).ok());  // rewrite: k0 becomes the newest
  ASSERT_TRUE(c.set("k4", "v", 1h).ok());   // full: evicts k1, the oldest write
  EXPECT_EQ(c.size(), 4u);
  EXPECT_FALSE(c.get("k1")->has_value());
  EXPECT_TRUE(c.get("k0")->has_value());
  EXPECT_TRUE(c.get("k4")->has_value());
  EXPECT_EQ(c.stats().evictions, 1u);
}

TEST(LocalCacheTest, FullShardDropsExpiredBeforeLiveEntries) {
  FakeClock clock;
  LocalCache c(LocalCacheOptions{.prefix = "p:", .max_entries = 4, .shards = 1, .clock = &clock});
  ASSERT_TRUE(c.set("live", "v", 1h).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.set("short" + std::to_string(i), "v", 1s).ok());
  clock.advance(2s);
  ASSERT_TRUE(c.set("new", "v", 1h).ok());
  EXPECT_TRUE(c.get("live")->has_value());
  EXPECT_TRUE(c.get("new")->has_value());
  EXPECT_EQ(c.stats().evictions, 0u);
  EXPECT_EQ(c.stats().expired, 3u);
  EXPECT_EQ(c.size(), 2u);
}

TEST(RedisUrlTest, ParsesFullUrl) {
  auto u = parse_redis_url("redis://user:p%40ss@10.0.0.5:6380/3");
  ASSERT_TRUE(u.ok()) << u.error();
  EXPECT_EQ(u->host, "10.0.0.5");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->user, "user");
  EXPECT_TRUE(u->password.equals("p@ss"));
  EXPECT_EQ(u->db, 3);
}

TEST(RedisUrlTest, DefaultsAndPasswordOnly) {
  auto u = parse_redis_url("redis://:secret@localhost");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, 6379);
  EXPECT_EQ(u->user, "");
  EXPECT_TRUE(u->password.equals("secret"));
  EXPECT_EQ(u->db, 0);
  auto v6 = parse_redis_url("redis://[::1]:7000/1");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
}

TEST(RedisUrlTest, RejectsBadUrls) {
  for (const char* bad : {"http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h:12x",
                          "redis://h/db", "redis://:%zz@h", "rediss://h"}) {
    auto u = parse_redis_url(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().code(), ErrorCode::invalid_argument) << bad;
    EXPECT_EQ(u.error().message().find("zz"), std::string::npos);
  }
}

TEST(RedisCacheTest, CreateDoesNotConnect) {
  auto c = RedisCache::create(RedisCacheOptions{.url = "redis://127.0.0.1:1/0"});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ((*c)->stats().connects, 0u);
  EXPECT_EQ(
      RedisCache::create(RedisCacheOptions{.url = "redis://h", .pool_size = 0}).error().code(),
      ErrorCode::invalid_argument);
}

}  // namespace

namespace contract {
INSTANTIATE_TYPED_TEST_SUITE_P(Local, CacheContractTest, LocalTypes);
}  // namespace contract

}  // namespace nsl::cache
