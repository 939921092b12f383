#include "auth/rate_limit.hpp"

#include <gtest/gtest.h>

#include "cache/local_cache.hpp"
#include "core/clock.hpp"

namespace nsl::auth {
namespace {

using namespace std::chrono_literals;

// A shared back end that can be taken down: calls pass to a LocalCache while up, and fail with
// unavailable while down.
class SwitchableCache final : public cache::Cache {
 public:
  explicit SwitchableCache(const Clock& clock)
      : inner_(cache::LocalCacheOptions{.prefix = "shared:", .clock = &clock}) {}
  bool down = false;
  int admits = 0;

  Result<std::optional<std::string>> get(std::string_view key) override {
    if (down) return err::unavailable("down");
    return inner_.get(key);
  }
  Status set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override {
    if (down) return err::unavailable("down");
    return inner_.set(key, value, ttl);
  }
  Result<bool> set_if_absent(std::string_view key, std::string_view value,
                             std::chrono::milliseconds ttl) override {
    if (down) return err::unavailable("down");
    return inner_.set_if_absent(key, value, ttl);
  }
  Result<bool> del(std::string_view key) override {
    if (down) return err::unavailable("down");
    return inner_.del(key);
  }
  Result<std::int64_t> incr_window(std::string_view key, std::chrono::milliseconds w) override {
    if (down) return err::unavailable("down");
    return inner_.incr_window(key, w);
  }
  Result<cache::RateDecision> rate_limit(std::string_view key, std::int64_t limit,
                                         std::chrono::milliseconds period,
                                         std::int64_t cost) override {
    if (down) return err::unavailable("down");
    return inner_.rate_limit(key, limit, period, cost);
  }
  Result<cache::Admission> admit(const cache::RateStep& first, std::string_view flag,
                                 const cache::RateStep& second) override {
    ++admits;
    if (down) return err::unavailable("down");
    return inner_.admit(first, flag, second);
  }
  Result<std::optional<cache::Lock>> acquire_lock(std::string_view name,
                                                  std::chrono::milliseconds ttl) override {
    if (down) return err::unavailable("down");
    return inner_.acquire_lock(name, ttl);
  }
  Result<bool> release_lock(const cache::Lock& lock) override {
    if (down) return err::unavailable("down");
    return inner_.release_lock(lock);
  }
  Status ping() override { return down ? Status(err::unavailable("down")) : inner_.ping(); }
  const std::string& prefix() const override { return inner_.prefix(); }

 private:
  cache::LocalCache inner_;
};

RatePolicy small_policy() {
  RatePolicy p;
  p.classes = {{"ip", {3, RateFallback::local}},
               {"general", {2, RateFallback::local}},
               {"keys", {2, RateFallback::deny}},
               {"open", {1, RateFallback::allow}}};
  return p;
}

class RateLimiterTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  SwitchableCache shared_{clock_};
  cache::LocalCache local_{cache::LocalCacheOptions{.prefix = "local:", .clock = &clock_}};
  RateLimiter limiter_{shared_, local_, small_policy(), nullptr};
};

TEST_F(RateLimiterTest, AdmitDecidesBothLimitsAndTheFlagInOneSharedCall) {
  auto a = limiter_.admit({"ip", "", "ip:a"}, "", {"general", "t1", "p:t1:u"});
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(shared_.admits, 1);
  EXPECT_TRUE(a->first.allowed);
  EXPECT_EQ(a->first.limit, 3);
  EXPECT_FALSE(a->first.degraded);
  ASSERT_TRUE(a->second.has_value());
  EXPECT_TRUE(a->second->allowed);
  EXPECT_EQ(a->second->limit, 2);
  EXPECT_EQ(a->second->remaining, 1);

  // A tenant's own limit replaces the class limit.
  auto own = limiter_.admit({"ip", "", "ip:b"}, "", {"general", "t1", "p:t1:v", 7});
  ASSERT_TRUE(own.ok()) << own.error();
  EXPECT_EQ(own->second->limit, 7);

  // A set flag stops before the second limit.
  ASSERT_TRUE(shared_.set("revoked:x", "1", 10s).ok());
  auto flagged = limiter_.admit({"ip", "", "ip:c"}, "revoked:x", {"general", "t1", "p:t1:w"});
  ASSERT_TRUE(flagged.ok()) << flagged.error();
  EXPECT_TRUE(flagged->flagged);
  EXPECT_FALSE(flagged->second.has_value());

  // The same keys as check(): the principal key has one request left, then none.
  EXPECT_TRUE(limiter_.check("general", "t1", "p:t1:u")->allowed);
  EXPECT_FALSE(limiter_.check("general", "t1", "p:t1:u")->allowed);
  EXPECT_FALSE(limiter_.degraded());
}

TEST_F(RateLimiterTest, AdmitWhileTheSharedBackEndIsDownTakesEachClassFallback) {
  shared_.down = true;
  // local fallback for both: decided in the local cache, marked degraded.
  auto a = limiter_.admit({"ip", "", "ip:a"}, "revoked:x", {"general", "t1", "p:t1:u"});
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_TRUE(limiter_.degraded());
  EXPECT_TRUE(a->first.allowed);
  EXPECT_TRUE(a->first.degraded);
  EXPECT_FALSE(a->flagged);
  ASSERT_TRUE(a->second.has_value());
  EXPECT_TRUE(a->second->degraded);
  EXPECT_EQ(a->second->remaining, 1);
  EXPECT_TRUE(local_.rate_limit("p:t1:u", 2, 1min)->allowed);
  EXPECT_FALSE(local_.rate_limit("p:t1:u", 2, 1min)->allowed) << "the fallback counted locally";

  // The flag is looked up in the local cache (revocations made through this replica).
  ASSERT_TRUE(local_.set("revoked:y", "1", 10s).ok());
  auto flagged = limiter_.admit({"ip", "", "ip:b"}, "revoked:y", {"general", "t1", "p:t1:v"});
  ASSERT_TRUE(flagged.ok()) << flagged.error();
  EXPECT_TRUE(flagged->flagged);
  EXPECT_FALSE(flagged->second.has_value());

  // deny fails closed; allow lets through.
  auto denied = limiter_.admit({"ip", "", "ip:c"}, "", {"keys", "t1", "p:keys:t1:u"});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code(), ErrorCode::unavailable);
  auto open = limiter_.admit({"ip", "", "ip:d"}, "", {"open", "t1", "p:open:t1:u"});
  ASSERT_TRUE(open.ok()) << open.error();
  EXPECT_TRUE(open->second->allowed);
  EXPECT_TRUE(open->second->degraded);

  // A denied first step stops there, in the fallback too.
  for (int i = 0; i < 3; ++i) (void)limiter_.admit({"ip", "", "ip:e"}, "", {"general", "t1", "p:e"});
  auto over = limiter_.admit({"ip", "", "ip:e"}, "", {"general", "t1", "p:e2"});
  ASSERT_TRUE(over.ok()) << over.error();
  EXPECT_FALSE(over->first.allowed);
  EXPECT_FALSE(over->second.has_value());
  EXPECT_TRUE(local_.rate_limit("p:e2", 2, 1min)->allowed);
  EXPECT_TRUE(local_.rate_limit("p:e2", 2, 1min)->allowed) << "a refused request was counted";

  shared_.down = false;
  ASSERT_TRUE(limiter_.admit({"ip", "", "ip:f"}, "", {"general", "t1", "p:f"}).ok());
  EXPECT_FALSE(limiter_.degraded());
}

}  // namespace
}  // namespace nsl::auth
