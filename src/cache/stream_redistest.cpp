// RedisStream on the harness Redis: the stream contract suite, plus key namespacing, blocking
// reads longer than the command timeout, and a key of the wrong type.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include "cache/redis_stream.hpp"
#include "cache/stream_contract.hpp"

namespace nsl::cache {
namespace {

using namespace std::chrono_literals;

std::string base_prefix() { return "nsl:streamtest:" + std::to_string(::getpid()) + ":"; }

// The stream and the cache whose pool it uses, kept alive together.
struct Held {
  std::unique_ptr<RedisCache> cache;
  std::unique_ptr<RedisStream> stream;
};

std::shared_ptr<Held> make_held(RedisCacheOptions o) {
  o.url = *::nsl::testing::redis_url();
  auto c = RedisCache::create(std::move(o));
  EXPECT_TRUE(c.ok()) << c.error();
  if (!c.ok()) return nullptr;
  auto held = std::make_shared<Held>();
  held->cache = std::move(c).value();
  held->stream = std::make_unique<RedisStream>(*held->cache);
  return held;
}

struct RedisStreamTraits {
  static std::string unavailable_reason() {
    return ::nsl::testing::redis_url()
               ? std::string()
               : std::string("Redis not configured (NSL_TEST_SERVICES_ENV)");
  }
  static std::shared_ptr<Stream> make(const std::string& prefix) {
    auto held = make_held({.prefix = base_prefix() + prefix});
    if (!held) return nullptr;
    Stream* s = held->stream.get();
    return std::shared_ptr<Stream>(std::move(held), s);  // aliasing: owns the cache too
  }
  static void wait(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }
};

class RedisStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSL_REQUIRE_REDIS();
    prefix_ = base_prefix() + random_hex(4) + ":";
  }
  std::string prefix_;
};

TEST_F(RedisStreamTest, KeysCarryThePrefixAndShareTheCachePool) {
  auto h = make_held({.prefix = prefix_, .pool_size = 1});
  ASSERT_TRUE(h);
  ASSERT_TRUE(h->stream->create_group("jobs", "g").ok());
  ASSERT_TRUE(h->cache->set("plain", "v", 10s).ok());
  EXPECT_EQ(h->stream->prefix(), prefix_);
  EXPECT_EQ(h->cache->stats().connects, 1u);  // one pool for both
  // The stream key is prefix + name: the cache sees it as a key of another type.
  auto wrong = h->stream->add("plain", {{"k", "v"}}, std::nullopt);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), ErrorCode::failed_precondition);
  auto del = h->cache->del("jobs");
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(*del);  // "jobs" existed under the prefix: it was the stream
}

TEST_F(RedisStreamTest, BlockingReadMayOutlastTheCommandTimeout) {
  auto h = make_held({.prefix = prefix_, .pool_size = 1, .command_timeout = 200ms});
  ASSERT_TRUE(h);
  ASSERT_TRUE(h->stream->create_group("slow", "g").ok());
  const auto start = std::chrono::steady_clock::now();
  auto got = h->stream->read_group("slow", "g", "c", 1, 700ms);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_TRUE(got->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 650ms);
  const auto st = h->cache->stats();
  EXPECT_EQ(st.command_errors, 0u);
  EXPECT_EQ(st.discarded, 0u);
  // The connection is back on the normal timeout and still usable.
  ASSERT_TRUE(h->cache->ping().ok());
  EXPECT_EQ(h->cache->stats().connects, 1u);
}

}  // namespace

namespace contract {
using RedisStreamTypes = ::testing::Types<RedisStreamTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, StreamContractTest, RedisStreamTypes);
}  // namespace contract

}  // namespace nsl::cache
