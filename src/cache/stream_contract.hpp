// The one contract suite every Stream back end passes (typed gtest, instantiated per back end).
//
// A back end is described by a traits type with:
//   static std::string unavailable_reason();  // non-empty: skip (locally) / fail (in CI)
//   static std::shared_ptr<nsl::cache::Stream> make(const std::string& prefix);
//   static void wait(std::chrono::milliseconds d);  // age pending entries (FakeClock or sleep)
// Blocking reads always take real time (they wait on the back end, not on a Clock).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cache/cache.hpp"
#include "cache/stream.hpp"
#include "core/random.hpp"
#include "harness/harness.hpp"

namespace nsl::cache::contract {

using namespace std::chrono_literals;

template <class Traits>
class StreamContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSL_REQUIRE_AVAILABLE(Traits::unavailable_reason());
    run_ = "t" + random_hex(4) + ":";
    s_ = Traits::make(run_ + "a:");
    ASSERT_TRUE(s_);
  }
  void wait(std::chrono::milliseconds d) { Traits::wait(d); }
  // Adds n entries {"n": "<i>"} and returns their ids.
  std::vector<std::string> add_n(std::string_view stream, int n,
                                 std::optional<std::size_t> max_len = std::nullopt) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto id = s_->add(stream, {{"n", std::to_string(i)}}, max_len);
      EXPECT_TRUE(id.ok()) << id.error();
      if (id.ok()) ids.push_back(*id);
    }
    return ids;
  }
  static std::vector<std::string> ids_of(const std::vector<StreamEntry>& es) {
    std::vector<std::string> out;
    for (const auto& e : es) out.push_back(e.id);
    return out;
  }

  std::string run_;
  std::shared_ptr<Stream> s_;
};

TYPED_TEST_SUITE_P(StreamContractTest);

TYPED_TEST_P(StreamContractTest, AddReadAck) {
  Stream& s = *this->s_;
  ASSERT_TRUE(s.create_group("jobs", "g").ok());
  auto a = s.add("jobs", {{"type", "mail"}, {"body", std::string("x\0y", 3)}}, std::nullopt);
  ASSERT_TRUE(a.ok()) << a.error();
  const auto more = this->add_n("jobs", 2);
  ASSERT_EQ(more.size(), 2u);
  auto got = s.read_group("jobs", "g", "c1", 10, 0ms);
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].id, *a);
  EXPECT_EQ((*got)[0].fields, (StreamFields{{"type", "mail"}, {"body", std::string("x\0y", 3)}}));
  EXPECT_EQ((*got)[1].id, more[0]);
  EXPECT_EQ((*got)[2].fields, (StreamFields{{"n", "1"}}));

  auto p = s.pending("jobs", "g");
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->count, 3);
  EXPECT_EQ(p->consumers, (std::map<std::string, std::int64_t>{{"c1", 3}}));

  auto acked = s.ack("jobs", "g", {*a, more[0]});
  ASSERT_TRUE(acked.ok()) << acked.error();
  EXPECT_EQ(*acked, 2);
  EXPECT_EQ(*s.ack("jobs", "g", {*a}), 0);  // already acked: not an error
  EXPECT_EQ(*s.ack("jobs", "g", {}), 0);
  EXPECT_EQ(s.pending("jobs", "g")->count, 1);
  EXPECT_TRUE(s.read_group("jobs", "g", "c1", 10, 0ms)->empty());  // only new entries
  EXPECT_EQ(*s.ack("jobs", "g", {more[1]}), 1);
  auto none = s.pending("jobs", "g");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->count, 0);
  EXPECT_TRUE(none->consumers.empty());
}

TYPED_TEST_P(StreamContractTest, GroupStartsAtTheBeginningAndCreateIsIdempotent) {
  Stream& s = *this->s_;
  const auto early = this->add_n("q", 2);  // before any worker created the group
  ASSERT_TRUE(s.create_group("q", "g").ok());
  ASSERT_TRUE(s.create_group("q", "g").ok());
  auto got = s.read_group("q", "g", "c", 10, 0ms);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(this->ids_of(*got), early);
  ASSERT_TRUE(s.create_group("q", "g").ok());  // does not rewind the group
  EXPECT_TRUE(s.read_group("q", "g", "c", 10, 0ms)->empty());
  ASSERT_TRUE(s.create_group("fresh", "g").ok());  // creates the stream
  EXPECT_TRUE(s.read_group("fresh", "g", "c", 10, 0ms)->empty());
}

TYPED_TEST_P(StreamContractTest, ConsumersOfOneGroupShareEntriesWithoutDuplicates) {
  Stream& s = *this->s_;
  ASSERT_TRUE(s.create_group("share", "g").ok());
  const auto ids = this->add_n("share", 40);
  std::vector<std::string> seen[2];
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      const std::string me = "c" + std::to_string(t);
      for (;;) {
        auto got = s.read_group("share", "g", me, 3, 0ms);
        if (!got.ok()) {
          ++failures;
          return;
        }
        if (got->empty()) return;
        for (auto& e : *got) seen[t].push_back(e.id);
        std::this_thread::yield();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::multiset<std::string> all(seen[0].begin(), seen[0].end());
  all.insert(seen[1].begin(), seen[1].end());
  EXPECT_EQ(all.size(), ids.size());
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()),
            std::set<std::string>(ids.begin(), ids.end()));
  auto p = s.pending("share", "g");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->count, 40);
  std::int64_t sum = 0;
  for (const auto& [c, n] : p->consumers) sum += n;
  EXPECT_EQ(sum, 40);
  EXPECT_EQ(p->consumers["c0"], static_cast<std::int64_t>(seen[0].size()));
}

TYPED_TEST_P(StreamContractTest, EachGroupSeesEveryEntry) {
  Stream& s = *this->s_;
  ASSERT_TRUE(s.create_group("fan", "mailer").ok());
  ASSERT_TRUE(s.create_group("fan", "indexer").ok());
  const auto ids = this->add_n("fan", 5);
  auto m = s.read_group("fan", "mailer", "w", 10, 0ms);
  auto i = s.read_group("fan", "indexer", "w", 10, 0ms);
  ASSERT_TRUE(m.ok() && i.ok());
  EXPECT_EQ(this->ids_of(*m), ids);
  EXPECT_EQ(this->ids_of(*i), ids);
  EXPECT_EQ(*s.ack("fan", "mailer", ids), 5);
  EXPECT_EQ(s.pending("fan", "mailer")->count, 0);
  EXPECT_EQ(s.pending("fan", "indexer")->count, 5);  // acks are per group
}

TYPED_TEST_P(StreamContractTest, UnackedEntriesAreClaimedAfterMinIdleAndNotBefore) {
  Stream& s = *this->s_;
  ASSERT_TRUE(s.create_group("work", "g").ok());
  const auto ids = this->add_n("work", 3);
  auto got = s.read_group("work", "g", "crashed", 10, 0ms);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  ASSERT_EQ(*s.ack("work", "g", {ids[1]}), 1);  // one job finished before the crash

  auto early = s.claim_idle("work", "g", "rescuer", 500ms, 10);
  ASSERT_TRUE(early.ok()) << early.error();
  EXPECT_TRUE(early->empty());

  this->wait(700ms);
  auto claimed = s.claim_idle("work", "g", "rescuer", 500ms, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.error();
  EXPECT_EQ(this->ids_of(*claimed), (std::vector<std::string>{ids[0], ids[2]}));
  EXPECT_EQ((*claimed)[1].fields, (StreamFields{{"n", "2"}}));
  auto p = s.pending("work", "g");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->count, 2);
  EXPECT_EQ(p->consumers, (std::map<std::string, std::int64_t>{{"rescuer", 2}}));
  // Claiming restarted the idle time: nobody can take them straight back.
  EXPECT_TRUE(s.claim_idle("work", "g", "other", 500ms, 10)->empty());
  // count bounds a claim.
  this->wait(700ms);
  auto one = s.claim_idle("work", "g", "other", 500ms, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(this->ids_of(*one), (std::vector<std::string>{ids[0]}));
  EXPECT_EQ(*s.ack("work", "g", {ids[0], ids[2]}), 2);
  EXPECT_EQ(s.pending("work", "g")->count, 0);
}

TYPED_TEST_P(StreamContractTest, BlockingReadWakesOnAddAndTimesOut) {
  Stream& s = *this->s_;
  ASSERT_TRUE(s.create_group("blk", "g").ok());
  auto start = std::chrono::steady_clock::now();
  auto empty = s.read_group("blk", "g", "c", 1, 300ms);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_TRUE(empty->empty());
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);

  std::thread producer([&] {
    std::this_thread::sleep_for(200ms);
    EXPECT_TRUE(s.add("blk", {{"k", "v"}}, std::nullopt).ok());
  });
  start = std::chrono::steady_clock::now();
  auto got = s.read_group("blk", "g", "c", 1, 10s);
  took = std::chrono::steady_clock::now() - start;
  producer.join();
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].fields, (StreamFields{{"k", "v"}}));
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 5s);
}

TYPED_TEST_P(StreamContractTest, MaxLenTrimsOldestEntries) {
  Stream& s = *this->s_;
  ASSERT_TRUE(s.create_group("trim", "g").ok());
  const auto ids = this->add_n("trim", 10, 4);
  ASSERT_EQ(ids.size(), 10u);
  auto got = s.read_group("trim", "g", "c", 100, 0ms);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(this->ids_of(*got), std::vector<std::string>(ids.begin() + 6, ids.end()));
}

TYPED_TEST_P(StreamContractTest, TrimmedPendingEntriesAreDroppedByClaim) {
  Stream& s = *this->s_;
  ASSERT_TRUE(s.create_group("tp", "g").ok());
  const auto first = this->add_n("tp", 2);
  ASSERT_EQ(s.read_group("tp", "g", "crashed", 10, 0ms)->size(), 2u);
  const auto later = this->add_n("tp", 3, 3);  // trims both pending entries away
  EXPECT_EQ(s.pending("tp", "g")->count, 2);   // still pending: nobody acked or claimed them
  this->wait(300ms);
  auto claimed = s.claim_idle("tp", "g", "rescuer", 100ms, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.error();
  EXPECT_TRUE(claimed->empty());
  EXPECT_EQ(s.pending("tp", "g")->count, 0);
  EXPECT_EQ(this->ids_of(*s.read_group("tp", "g", "c", 10, 0ms)), later);
}

TYPED_TEST_P(StreamContractTest, InvalidArgumentsAndMissingGroups) {
  Stream& s = *this->s_;
  auto code = [](const auto& r) { return r.ok() ? ErrorCode{} : r.error().code(); };
  EXPECT_EQ(code(s.add("", {{"k", "v"}}, std::nullopt)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(s.add("x", {}, std::nullopt)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(s.add("x", {{"k", "v"}}, 0)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(s.add(std::string(kMaxKeySize + 1, 'x'), {{"k", "v"}}, std::nullopt)),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code(s.create_group("x", "")), ErrorCode::invalid_argument);
  EXPECT_EQ(code(s.read_group("x", "g", "", 1, 0ms)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(s.read_group("x", "g", "c", 0, 0ms)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(s.read_group("x", "g", "c", 1, -1ms)), ErrorCode::invalid_argument);
  EXPECT_EQ(code(s.claim_idle("x", "g", "c", 1s, 0)), ErrorCode::invalid_argument);

  // No group yet (and no stream, then a stream without the group).
  EXPECT_EQ(code(s.read_group("nogroup", "g", "c", 1, 0ms)), ErrorCode::not_found);
  EXPECT_EQ(code(s.pending("nogroup", "g")), ErrorCode::not_found);
  ASSERT_TRUE(s.create_group("nogroup", "other").ok());
  EXPECT_EQ(code(s.read_group("nogroup", "g", "c", 1, 0ms)), ErrorCode::not_found);
  EXPECT_EQ(code(s.claim_idle("nogroup", "g", "c", 1s, 1)), ErrorCode::not_found);
  EXPECT_EQ(code(s.pending("nogroup", "g")), ErrorCode::not_found);
  EXPECT_EQ(code(s.ack("nogroup", "other", {"not-an-id"})), ErrorCode::invalid_argument);
}

TYPED_TEST_P(StreamContractTest, PrefixIsolation) {
  auto a = TypeParam::make(this->run_ + "iso-a:");
  auto b = TypeParam::make(this->run_ + "iso-b:");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->prefix().ends_with(this->run_ + "iso-a:")) << a->prefix();
  EXPECT_NE(a->prefix(), b->prefix());
  ASSERT_TRUE(a->create_group("s", "g").ok());
  ASSERT_TRUE(b->create_group("s", "g").ok());
  ASSERT_TRUE(a->add("s", {{"from", "a"}}, std::nullopt).ok());
  EXPECT_TRUE(b->read_group("s", "g", "c", 10, 0ms)->empty());
  EXPECT_EQ(a->read_group("s", "g", "c", 10, 0ms)->size(), 1u);
}

REGISTER_TYPED_TEST_SUITE_P(StreamContractTest, AddReadAck,
                            GroupStartsAtTheBeginningAndCreateIsIdempotent,
                            ConsumersOfOneGroupShareEntriesWithoutDuplicates,
                            EachGroupSeesEveryEntry,
                            UnackedEntriesAreClaimedAfterMinIdleAndNotBefore,
                            BlockingReadWakesOnAddAndTimesOut, MaxLenTrimsOldestEntries,
                            TrimmedPendingEntriesAreDroppedByClaim,
                            InvalidArgumentsAndMissingGroups, PrefixIsolation);

}  // namespace nsl::cache::contract
