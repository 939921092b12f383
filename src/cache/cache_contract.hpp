// The one contract suite every Cache back end passes (typed gtest, instantiated per back end).
//
// A back end is described by a traits type with:
//   static std::string unavailable_reason();             // non-empty: skip (locally) / fail (in
//   CI) static std::unique_ptr<nsl::cache::Cache> make(const std::string& prefix);  // a cache with
//   that prefix static void wait(std::chrono::milliseconds d);        // let time pass (FakeClock
//   advance or sleep)
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cache/cache.hpp"
#include "core/random.hpp"
#include "harness/harness.hpp"

namespace nsl::cache::contract {

using namespace std::chrono_literals;

template <class Traits>
class CacheContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSL_REQUIRE_AVAILABLE(Traits::unavailable_reason());
    run_ = "t" + random_hex(4) + ":";
    cache_ = Traits::make(run_ + "a:");
    ASSERT_TRUE(cache_);
  }
  std::unique_ptr<Cache> make(const std::string& prefix) { return Traits::make(run_ + prefix); }
  void wait(std::chrono::milliseconds d) { Traits::wait(d); }

  std::string run_;
  std::unique_ptr<Cache> cache_;
};

TYPED_TEST_SUITE_P(CacheContractTest);

TYPED_TEST_P(CacheContractTest, SetGetDel) {
  Cache& c = *this->cache_;
  auto missing = c.get("k1");
  ASSERT_TRUE(missing.ok()) << missing.error();
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(c.set("k1", std::string("v\0x", 3), 10s).ok());
  auto got = c.get("k1");
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, std::string("v\0x", 3));
  ASSERT_TRUE(c.set("k1", "v2", 10s).ok());
  EXPECT_EQ(c.get("k1")->value_or(""), "v2");
  auto d = c.del("k1");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(*d);
  EXPECT_FALSE(*c.del("k1"));
  EXPECT_FALSE(c.get("k1")->has_value());
}

TYPED_TEST_P(CacheContractTest, TtlExpiry) {
  Cache& c = *this->cache_;
  ASSERT_TRUE(c.set("short", "v", 100ms).ok());
  ASSERT_TRUE(c.set("long", "v", 60s).ok());
  EXPECT_TRUE(c.get("short")->has_value());
  this->wait(300ms);
  EXPECT_FALSE(c.get("short")->has_value());
  EXPECT_TRUE(c.get("long")->has_value());
}

TYPED_TEST_P(CacheContractTest, SetIfAbsent) {
  Cache& c = *this->cache_;
  auto first = c.set_if_absent("once", "first", 100ms);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_TRUE(*first);
  auto second = c.set_if_absent("once", "second", 100ms);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  EXPECT_EQ(c.get("once")->value_or(""), "first");
  this->wait(300ms);
  EXPECT_TRUE(*c.set_if_absent("once", "third", 10s));
  EXPECT_EQ(c.get("once")->value_or(""), "third");
}

TYPED_TEST_P(CacheContractTest, FixedWindowCounter) {
  Cache& c = *this->cache_;
  for (std::int64_t i = 1; i <= 3; ++i) {
    auto n = c.incr_window("ctr", 200ms);
    ASSERT_TRUE(n.ok()) << n.error();
    EXPECT_EQ(*n, i);
  }
  this->wait(400ms);
  EXPECT_EQ(*c.incr_window("ctr", 200ms), 1);
}

TYPED_TEST_P(CacheContractTest, CounterConcurrentIncrementsAreExact) {
  Cache& c = *this->cache_;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!c.incr_window("cc", 60s).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*c.incr_window("cc", 60s), 201);
}

TYPED_TEST_P(CacheContractTest, IncrOnNonCounterIsInvalid) {
  Cache& c = *this->cache_;
  ASSERT_TRUE(c.set("text", "not a number", 60s).ok());
  auto n = c.incr_window("text", 1s);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code(), ErrorCode::invalid_argument);
}

TYPED_TEST_P(CacheContractTest, InvalidArguments) {
  Cache& c = *this->cache_;
  EXPECT_EQ(c.get("").error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(c.get(std::string(kMaxKeySize + 1, 'x')).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(c.set("k", "v", 0ms).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(c.set_if_absent("k", "v", -1ms).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(c.incr_window("k", 0ms).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(c.rate_limit("k", 0, 1s).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(c.rate_limit("k", 10, 0s).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(c.rate_limit("k", 10, 1s, 0).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(c.rate_limit("k", 10, 1s, 11).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(c.acquire_lock("", 1s).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(c.acquire_lock("l", 0ms).error().code(), ErrorCode::invalid_argument);
}

// 100 per hour (not per minute) so that no token is earned back while the 150 calls run, however
// slow the machine: the count must be exactly 100.
TYPED_TEST_P(CacheContractTest, GcraExactFromFourThreads) {
  Cache& c = *this->cache_;
  std::atomic<int> next{0}, allowed{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (next.fetch_add(1) < 150) {
        auto d = c.rate_limit("gcra", 100, 1h);
        if (!d.ok()) {
          ++failures;
        } else if (d->allowed) {
          ++allowed;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(allowed.load(), 100);
  auto denied = c.rate_limit("gcra", 100, 1h);
  ASSERT_TRUE(denied.ok()) << denied.error();
  EXPECT_FALSE(denied->allowed);
  EXPECT_EQ(denied->remaining, 0);
  // One unit is earned back every 36 s.
  EXPECT_GT(denied->retry_after, 30s);
  EXPECT_LE(denied->retry_after, 36s);
  EXPECT_GT(denied->reset_after, 59min);
  EXPECT_LE(denied->reset_after, 1h);
}

TYPED_TEST_P(CacheContractTest, GcraRemainingRetryAndRecovery) {
  Cache& c = *this->cache_;
  auto first = c.rate_limit("g2", 10, 5s);  // one unit per 500 ms, burst 10
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_TRUE(first->allowed);
  EXPECT_EQ(first->remaining, 9);
  EXPECT_EQ(first->retry_after, 0ms);
  EXPECT_GT(first->reset_after, 400ms);
  EXPECT_LE(first->reset_after, 500ms);
  auto five = c.rate_limit("g2", 10, 5s, 5);
  ASSERT_TRUE(five.ok());
  EXPECT_TRUE(five->allowed);
  EXPECT_EQ(five->remaining, 4);
  auto too_much = c.rate_limit("g2", 10, 5s, 5);
  ASSERT_TRUE(too_much.ok());
  EXPECT_FALSE(too_much->allowed);
  EXPECT_GT(too_much->retry_after, 0ms);
  EXPECT_LE(too_much->retry_after, 500ms);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(c.rate_limit("g2", 10, 5s)->allowed) << i;
  auto none = c.rate_limit("g2", 10, 5s);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->allowed);
  EXPECT_GT(none->retry_after, 0ms);
  EXPECT_LE(none->retry_after, 500ms);
  this->wait(none->retry_after + 50ms);
  auto again = c.rate_limit("g2", 10, 5s);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->allowed);
}

TYPED_TEST_P(CacheContractTest, LockExclusionTokensAndFencing) {
  Cache& c = *this->cache_;
  auto l1 = c.acquire_lock("job", 10s);
  ASSERT_TRUE(l1.ok()) << l1.error();
  ASSERT_TRUE(l1->has_value());
  auto l2 = c.acquire_lock("job", 10s);
  ASSERT_TRUE(l2.ok());
  EXPECT_FALSE(l2->has_value());

  Lock forged = **l1;
  forged.token = "not-the-token";
  EXPECT_FALSE(*c.release_lock(forged));
  EXPECT_FALSE(c.acquire_lock("job", 10s)->has_value());  // still held

  EXPECT_TRUE(*c.release_lock(**l1));
  EXPECT_FALSE(*c.release_lock(**l1));  // already released

  std::int64_t last = (*l1)->fencing_token;
  for (int i = 0; i < 5; ++i) {
    auto l = c.acquire_lock("job", 10s);
    ASSERT_TRUE(l.ok() && l->has_value());
    EXPECT_GT((*l)->fencing_token, last);
    last = (*l)->fencing_token;
    EXPECT_TRUE(*c.release_lock(**l));
  }
}

TYPED_TEST_P(CacheContractTest, LockExpiresAndOldHolderCannotRelease) {
  Cache& c = *this->cache_;
  auto l1 = c.acquire_lock("exp", 100ms);
  ASSERT_TRUE(l1.ok() && l1->has_value());
  this->wait(300ms);
  auto l2 = c.acquire_lock("exp", 10s);
  ASSERT_TRUE(l2.ok() && l2->has_value());
  EXPECT_GT((*l2)->fencing_token, (*l1)->fencing_token);
  EXPECT_FALSE(*c.release_lock(**l1));  // the stale holder cannot free the new holder's lock
  EXPECT_FALSE(c.acquire_lock("exp", 10s)->has_value());
  EXPECT_TRUE(*c.release_lock(**l2));
}

TYPED_TEST_P(CacheContractTest, LocksFromManyThreadsAreExclusive) {
  Cache& c = *this->cache_;
  std::atomic<int> holders{0}, max_holders{0}, acquired{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto l = c.acquire_lock("mx", 10s);
        if (!l.ok()) {
          ++failures;
          continue;
        }
        if (!l->has_value()) continue;
        ++acquired;
        const int h = ++holders;
        int m = max_holders.load();
        while (h > m && !max_holders.compare_exchange_weak(m, h)) {
        }
        --holders;
        if (!c.release_lock(**l).value_or(false)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(acquired.load(), 1);
  EXPECT_EQ(max_holders.load(), 1);
}

TYPED_TEST_P(CacheContractTest, PrefixIsolation) {
  auto a = this->make("iso-a:");
  auto a2 = this->make("iso-a:");
  auto b = this->make("iso-b:");
  ASSERT_TRUE(a->set("shared", "from-a", 10s).ok());
  EXPECT_FALSE(b->get("shared")->has_value());
  EXPECT_TRUE(*b->set_if_absent("shared", "from-b", 10s));
  EXPECT_EQ(a->get("shared")->value_or(""), "from-a");
  EXPECT_EQ(b->get("shared")->value_or(""), "from-b");
  EXPECT_NE(a->prefix(), b->prefix());
  EXPECT_EQ(a->prefix(), a2->prefix());
  auto la = a->acquire_lock("L", 10s);
  auto lb = b->acquire_lock("L", 10s);
  ASSERT_TRUE(la.ok() && la->has_value());
  ASSERT_TRUE(lb.ok() && lb->has_value());
  EXPECT_EQ(*a->incr_window("n", 10s), 1);
  EXPECT_EQ(*b->incr_window("n", 10s), 1);
  EXPECT_TRUE(a->rate_limit("r", 1, 1h)->allowed);
  EXPECT_TRUE(b->rate_limit("r", 1, 1h)->allowed);
  EXPECT_TRUE(a->ping().ok());
}

// admit(): both decisions in order, the flag between them, and nothing counted past a denial or a
// present flag; its steps share their keys with rate_limit().
TYPED_TEST_P(CacheContractTest, AdmitDecidesInOrderAndStopsEarly) {
  Cache& c = *this->cache_;
  const RateStep ip{"adm:ip", 2, 1h};
  auto a = c.admit(ip, "", RateStep{"adm:p1", 1, 1h});
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_TRUE(a->first.allowed);
  EXPECT_EQ(a->first.remaining, 1);
  EXPECT_FALSE(a->flagged);
  ASSERT_TRUE(a->second.has_value());
  EXPECT_TRUE(a->second->allowed);
  EXPECT_EQ(a->second->remaining, 0);
  EXPECT_GT(a->second->reset_after.count(), 0);

  // The flag is looked at after an allowed first step; when present the second is not taken.
  ASSERT_TRUE(c.set("adm:flag", "1", 10s).ok());
  auto flagged = c.admit(ip, "adm:flag", RateStep{"adm:p2", 1, 1h});
  ASSERT_TRUE(flagged.ok()) << flagged.error();
  EXPECT_TRUE(flagged->first.allowed);
  EXPECT_EQ(flagged->first.remaining, 0);
  EXPECT_TRUE(flagged->flagged);
  EXPECT_FALSE(flagged->second.has_value());
  EXPECT_TRUE(c.rate_limit("adm:p2", 1, 1h)->allowed) << "a flagged admit counted its second step";

  // The first step is the same limiter as rate_limit() on its key: it is spent now.
  auto denied = c.admit(ip, "adm:absent", RateStep{"adm:p3", 1, 1h});
  ASSERT_TRUE(denied.ok()) << denied.error();
  EXPECT_FALSE(denied->first.allowed);
  EXPECT_GT(denied->first.retry_after.count(), 0);
  EXPECT_FALSE(denied->flagged);
  EXPECT_FALSE(denied->second.has_value());
  EXPECT_TRUE(c.rate_limit("adm:p3", 1, 1h)->allowed) << "a denied admit counted its second step";
  EXPECT_FALSE(c.rate_limit("adm:ip", 2, 1h)->allowed);

  // A denied second step.
  auto second_denied = c.admit(RateStep{"adm:ip2", 5, 1h}, "adm:absent", RateStep{"adm:p1", 1, 1h});
  ASSERT_TRUE(second_denied.ok()) << second_denied.error();
  EXPECT_TRUE(second_denied->first.allowed);
  EXPECT_FALSE(second_denied->flagged);
  ASSERT_TRUE(second_denied->second.has_value());
  EXPECT_FALSE(second_denied->second->allowed);
  EXPECT_GT(second_denied->second->retry_after.count(), 0);

  EXPECT_EQ(c.admit(RateStep{"", 1, 1h}, "", RateStep{"x", 1, 1h}).error().code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(c.admit(RateStep{"x", 1, 1h}, "", RateStep{"y", 0, 1h}).error().code(),
            ErrorCode::invalid_argument);
}

REGISTER_TYPED_TEST_SUITE_P(CacheContractTest, SetGetDel, TtlExpiry, SetIfAbsent,
                            FixedWindowCounter, CounterConcurrentIncrementsAreExact,
                            IncrOnNonCounterIsInvalid, InvalidArguments, GcraExactFromFourThreads,
                            GcraRemainingRetryAndRecovery, LockExclusionTokensAndFencing,
                            LockExpiresAndOldHolderCannotRelease, LocksFromManyThreadsAreExclusive,
                            PrefixIsolation, AdmitDecidesInOrderAndStopsEarly);

}  // namespace nsl::cache::contract
