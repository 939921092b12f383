#include "cache/ttl_cache.hpp"

#include <gtest/gtest.h>

#include "cache/local_cache.hpp"
#include "core/clock.hpp"

namespace nsl::cache {
namespace {

using namespace std::chrono_literals;

// A back end that is down: every call fails with unavailable.
class DownCache final : public Cache {
 public:
  Result<std::optional<std::string>> get(std::string_view) override {
    return err::unavailable("down");
  }
  Status set(std::string_view, std::string_view, std::chrono::milliseconds) override {
    ++sets;
    return err::unavailable("down");
  }
  Result<bool> set_if_absent(std::string_view, std::string_view,
                             std::chrono::milliseconds) override {
    return err::unavailable("down");
  }
  Result<bool> del(std::string_view) override { return err::unavailable("down"); }
  Result<std::int64_t> incr_window(std::string_view, std::chrono::milliseconds) override {
    return err::unavailable("down");
  }
  Result<RateDecision> rate_limit(std::string_view, std::int64_t, std::chrono::milliseconds,
                                  std::int64_t) override {
    return err::unavailable("down");
  }
  Result<std::optional<Lock>> acquire_lock(std::string_view, std::chrono::milliseconds) override {
    return err::unavailable("down");
  }
  Result<bool> release_lock(const Lock&) override { return err::unavailable("down"); }
  Status ping() override { return err::unavailable("down"); }
  const std::string& prefix() const override { return prefix_; }
  int sets = 0;

 private:
  std::string prefix_ = "nsl:";
};

TEST(TtlCache, DefaultsAreTheReferenceArchitecturesAndConfigurable) {
  LocalCache local;
  TtlCache d(local, {});
  EXPECT_EQ(d.ttl(TtlClass::api_responses), 5min);
  EXPECT_EQ(d.ttl(TtlClass::db_queries), 15min);
  EXPECT_EQ(d.ttl(TtlClass::chain_data), 1min);
  EXPECT_EQ(d.ttl(TtlClass::ai_models), 24h);
  TtlCache c(local, {.chain_data = 7s});
  EXPECT_EQ(c.ttl(TtlClass::chain_data), 7s);
}

TEST(TtlCache, LoadsOnceWithinTheClassTtlThenAgain) {
  FakeClock clock;
  LocalCache local({.clock = &clock});
  TtlCache c(local, {});
  int loads = 0;
  auto load = [&]() -> Result<std::string> { return "v" + std::to_string(++loads); };
  EXPECT_EQ(c.get_or_load(TtlClass::chain_data, "block:1", load).value(), "v1");
  EXPECT_EQ(c.get_or_load(TtlClass::chain_data, "block:1", load).value(), "v1");
  // Same key, another class: its own entry.
  EXPECT_EQ(c.get_or_load(TtlClass::db_queries, "block:1", load).value(), "v2");
  clock.advance(61s);  // chain data (1 min) expired, DB queries (15 min) not
  EXPECT_EQ(c.get_or_load(TtlClass::chain_data, "block:1", load).value(), "v3");
  EXPECT_EQ(c.get_or_load(TtlClass::db_queries, "block:1", load).value(), "v2");
  ASSERT_TRUE(c.invalidate(TtlClass::db_queries, "block:1").ok());
  EXPECT_EQ(c.get_or_load(TtlClass::db_queries, "block:1", load).value(), "v4");
}

TEST(TtlCache, LoaderErrorsAreNotCachedAndADownBackEndOnlyCostsTheLoad) {
  LocalCache local;
  TtlCache c(local, {});
  int calls = 0;
  auto failing = [&]() -> Result<std::string> {
    ++calls;
    return err::unavailable("rpc down");
  };
  EXPECT_EQ(c.get_or_load(TtlClass::chain_data, "k", failing).error().code(),
            ErrorCode::unavailable);
  EXPECT_EQ(c.get_or_load(TtlClass::chain_data, "k", failing).error().code(),
            ErrorCode::unavailable);
  EXPECT_EQ(calls, 2);

  DownCache down;
  TtlCache d(down, {});
  auto r = d.get_or_load(TtlClass::api_responses, "k", [] { return Result<std::string>("fresh"); });
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, "fresh");
  EXPECT_EQ(down.sets, 0);  // an unreachable cache is not written to
}

}  // namespace
}  // namespace nsl::cache
