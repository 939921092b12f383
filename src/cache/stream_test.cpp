// LocalStream: the stream contract suite on a FakeClock, plus delivery counts.
#include <gtest/gtest.h>

#include "cache/local_stream.hpp"
#include "cache/stream_contract.hpp"
#include "core/clock.hpp"

namespace nsl::cache {
namespace {

using namespace std::chrono_literals;

FakeClock& stream_clock() {
  static FakeClock clock;
  return clock;
}

struct LocalStreamTraits {
  static std::string unavailable_reason() { return {}; }
  static std::shared_ptr<Stream> make(const std::string& prefix) {
    return std::make_shared<LocalStream>(
        LocalStreamOptions{.prefix = prefix, .clock = &stream_clock()});
  }
  static void wait(std::chrono::milliseconds d) { stream_clock().advance(d); }
};

TEST(LocalStreamTest, DeliveryCountsGrowWithEachClaim) {
  FakeClock clock;
  LocalStream s({.prefix = "p:", .clock = &clock});
  ASSERT_TRUE(s.create_group("j", "g").ok());
  auto id = s.add("j", {{"k", "v"}}, std::nullopt);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(s.delivery_count("j", "g", *id), 0);
  ASSERT_EQ(s.read_group("j", "g", "a", 1, 0ms)->size(), 1u);
  EXPECT_EQ(s.delivery_count("j", "g", *id), 1);
  clock.advance(2s);
  ASSERT_EQ(s.claim_idle("j", "g", "b", 1s, 1)->size(), 1u);
  clock.advance(2s);
  ASSERT_EQ(s.claim_idle("j", "g", "c", 1s, 1)->size(), 1u);
  EXPECT_EQ(s.delivery_count("j", "g", *id), 3);
  EXPECT_EQ(*s.ack("j", "g", {*id}), 1);
  EXPECT_EQ(s.delivery_count("j", "g", *id), 0);
}

TEST(LocalStreamTest, IdsIncreaseWithinOneMillisecondAndWhenTheClockGoesBack) {
  FakeClock clock;
  LocalStream s({.clock = &clock});
  auto a = s.add("j", {{"k", "v"}}, std::nullopt);
  auto b = s.add("j", {{"k", "v"}}, std::nullopt);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->substr(0, a->find('-')), b->substr(0, b->find('-')));
  EXPECT_EQ(b->substr(b->find('-')), "-1");
  clock.advance(-1h);
  auto c = s.add("j", {{"k", "v"}}, std::nullopt);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->substr(c->find('-')), "-2");
}

}  // namespace

namespace contract {
using LocalStreamTypes = ::testing::Types<LocalStreamTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Local, StreamContractTest, LocalStreamTypes);
}  // namespace contract

}  // namespace nsl::cache
