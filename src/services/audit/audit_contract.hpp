// The audit log contract suite, instantiated for SQLite (audit_test.cpp) and PostgreSQL
// (audit_pgtest.cpp). A traits type provides:
//   static std::string unavailable_reason();   // non-empty: skip (locally) / fail (in CI)
//   struct Env {
//     store::Database& db();      // the service's view (PostgreSQL: non-owner role under RLS)
//     store::Database& owner();   // the migrating owner, used to tamper with rows directly
//     std::unique_ptr<store::Database> open_another();  // a second connection set ("replica")
//   };
//   static std::unique_ptr<Env> make();  // fresh, unmigrated database
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/harness.hpp"
#include "services/audit/audit_log.hpp"
#include "services/audit/verify.hpp"

namespace nsl::audit::contract {

using store::Database;
using store::TenantId;
using store::Tx;

template <class Traits>
class AuditContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSL_REQUIRE_AVAILABLE(Traits::unavailable_reason());
    env_ = Traits::make();
    ASSERT_TRUE(env_);
    auto st = env_->owner().migrate();
    ASSERT_TRUE(st.ok()) << st.error();
    a_ = tenant("acme");
    b_ = tenant("globex");
    c_ = tenant("initech");
    key_ = std::make_unique<Ed25519CheckpointSigner>("audit-test-1", [this] {
      auto kp = crypto::ed25519_generate();
      verifier_.add_key("audit-test-1", kp.public_key);
      return kp;
    }());
  }
  Database& db() { return env_->db(); }
  Database& owner() { return env_->owner(); }

  TenantId tenant(const std::string& name) {
    const TenantId id = TenantId::generate();
    auto st = db().with_system([&](Tx& tx) -> Status {
      NSL_TRY(tx.exec("INSERT INTO tenants (id, name) VALUES ($1, $2)", {id, name}));
      return {};
    });
    EXPECT_TRUE(st.ok()) << st.error();
    return id;
  }
  static AuditEvent event(const TenantId& t, int i, std::string action = "keys.sign") {
    return {.tenant = t,
            .actor = "user:" + std::to_string(i % 3),
            .action = std::move(action),
            .resource = "keys/k" + std::to_string(i % 5),
            .request_id = "req-" + std::to_string(i),
            .result = i % 7 == 0 ? "permission_denied" : "ok",
            .detail = {{"i", i}, {"b", "x"}, {"a", {{"z", 1}, {"y", 2}}}}};
  }
  // Appends n events with callbacks and waits for all of them.
  void fill(AuditLog& log, const TenantId& t, int n) {
    std::atomic<int> failed{0};
    for (int i = 1; i <= n; ++i) {
      log.append(event(t, i), [&failed](Status st) { failed += st.ok() ? 0 : 1; });
    }
    ASSERT_TRUE(log.flush().ok());
    ASSERT_EQ(failed.load(), 0);
  }
  std::int64_t count(const TenantId& t) {
    auto r = db().with_tenant(t, [&t](Tx& tx) {
      return tx.query("SELECT COUNT(*) FROM audit_records WHERE tenant_id = $1", {t});
    });
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? std::stoll(r->at(0).at(0).value_or("-1")) : -1;
  }
  VerifyReport verify(const TenantId& t) {
    auto r = verify_tenant(db(), t, &verifier_);
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? std::move(r).value() : VerifyReport{.tenant = t};
  }
  // Runs sql as the owner in t's transaction (what an attacker with database access could do).
  void tamper(const TenantId& t, const std::string& sql, store::Params params = {}) {
    auto st = owner().with_tenant(t, [&](Tx& tx) -> Status {
      NSL_TRY(tx.exec(sql, params));
      return {};
    });
    ASSERT_TRUE(st.ok()) << st.error() << " for " << sql;
  }
  static std::string kinds(const VerifyReport& r) {
    std::string s;
    for (const auto& f : r.findings) {
      s += std::string(finding_kind_name(f.kind)) + "@" + std::to_string(f.seq) + " ";
    }
    return s;
  }
  static bool has(const VerifyReport& r, FindingKind k, std::uint64_t seq) {
    for (const auto& f : r.findings) {
      if (f.kind == k && f.seq == seq) return true;
    }
    return false;
  }

  std::unique_ptr<typename Traits::Env> env_;
  TenantId a_ = TenantId::generate();
  TenantId b_ = TenantId::generate();
  TenantId c_ = TenantId::generate();
  Ed25519CheckpointVerifier verifier_;
  std::unique_ptr<Ed25519CheckpointSigner> key_;
};

TYPED_TEST_SUITE_P(AuditContractTest);

TYPED_TEST_P(AuditContractTest, AcknowledgesOnlyAfterCommitInOrder) {
  AuditLog log(this->db());
  std::mutex mu;
  std::vector<std::int64_t> seen;  // committed rows visible when each callback ran
  std::vector<bool> oks;
  for (int i = 1; i <= 30; ++i) {
    log.append(TestFixture::event(this->a_, i), [this, &mu, &seen, &oks, i](Status st) {
      auto r = this->db().with_tenant(this->a_, [this, i](Tx& tx) {
        return tx.query(
            "SELECT COUNT(*) FROM audit_records WHERE tenant_id = $1 AND request_id = $2",
            {this->a_, "req-" + std::to_string(i)});
      });
      std::lock_guard lk(mu);
      oks.push_back(st.ok());
      seen.push_back(r.ok() ? std::stoll(r->at(0).at(0).value_or("0")) : -1);
    });
  }
  ASSERT_TRUE(log.flush().ok());
  ASSERT_EQ(seen.size(), 30u);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_TRUE(oks[i]);
    EXPECT_EQ(seen[i], 1) << "callback " << i << " ran before its record was visible";
  }
  // Append order is chain order within one instance.
  auto page = log.list(this->a_, {}, std::nullopt, 500);
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->records.size(), 30u);
  for (const auto& r : page->records) EXPECT_EQ(r.event.request_id, "req-" + std::to_string(r.seq));
  EXPECT_TRUE(log.append_wait(TestFixture::event(this->a_, 31)).ok());
  EXPECT_EQ(this->count(this->a_), 31);
}

TYPED_TEST_P(AuditContractTest, ChainLinksAndHashesRecompute) {
  AuditLog log(this->db());
  this->fill(log, this->a_, 40);
  auto page = log.list(this->a_, {}, std::nullopt, 500);
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->records.size(), 40u);
  std::string prev = kZeroHash;
  for (auto it = page->records.rbegin(); it != page->records.rend(); ++it) {
    EXPECT_EQ(it->prev_hash, prev) << it->seq;
    auto h = record_hash(*it);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(*h, it->hash) << it->seq;
    EXPECT_EQ(it->hash.size(), 64u);
    prev = it->hash;
  }
  EXPECT_EQ(page->records.front().event.detail.dump(), R"({"a":{"y":2,"z":1},"b":"x","i":40})");
  const auto report = this->verify(this->a_);
  EXPECT_TRUE(report.ok()) << TestFixture::kinds(report);
  EXPECT_EQ(report.records_checked, 40u);
  EXPECT_EQ(report.last_seq, 40u);
  EXPECT_EQ(report.head_seq, 40u);
}

TYPED_TEST_P(AuditContractTest, ConcurrentAppendsFromEightThreadsToThreeTenants) {
  AuditLog log(this->db(), {.max_batch = 64});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::array<std::atomic<int>, 3> per_tenant{};
  const std::array<TenantId, 3> tenants{this->a_, this->b_, this->c_};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int which = (t + i) % 3;
        ++per_tenant[which];
        log.append(TestFixture::event(tenants[which], t * 1000 + i),
                   [&](Status st) { (st.ok() ? ok : failed)++; });
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(log.flush().ok());
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(this->count(tenants[i]), per_tenant[i].load());
    const auto report = this->verify(tenants[i]);
    EXPECT_TRUE(report.ok()) << TestFixture::kinds(report);
    EXPECT_EQ(report.last_seq, static_cast<std::uint64_t>(per_tenant[i].load()));
  }
}

TYPED_TEST_P(AuditContractTest, TwoReplicasAppendToOneTenantWithoutForking) {
  std::unique_ptr<Database> other = this->env_->open_another();
  ASSERT_TRUE(other);
  constexpr int kPerThread = 200;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  {
    AuditLog one(this->db(), {.max_batch = 50});
    AuditLog two(*other, {.max_batch = 50});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        AuditLog& log = t % 2 == 0 ? one : two;
        for (int i = 0; i < kPerThread; ++i) {
          log.append(TestFixture::event(this->a_, t * 1000 + i),
                     [&](Status st) { (st.ok() ? ok : failed)++; });
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_TRUE(one.flush().ok());
    EXPECT_TRUE(two.flush().ok());
  }
  EXPECT_EQ(ok.load(), 4 * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(this->count(this->a_), 4 * kPerThread);
  const auto report = this->verify(this->a_);
  EXPECT_TRUE(report.ok()) << TestFixture::kinds(report);
  EXPECT_EQ(report.head_seq, static_cast<std::uint64_t>(4 * kPerThread));
}

TYPED_TEST_P(AuditContractTest, ListFiltersAndCursorPaging) {
  AuditLog log(this->db());
  std::vector<AuditEvent> events;
  for (int i = 1; i <= 90; ++i) {
    events.push_back(TestFixture::event(this->a_, i, i % 2 ? "keys.sign" : "tenant.update"));
  }
  events[9].action = "keys.rotate";
  events[10].action = "keysXsign";  // not under the "keys." prefix
  for (const auto& e : events) ASSERT_TRUE(log.append_wait(e).ok());
  this->fill(log, this->b_, 5);  // another tenant's records never show up
  auto page_all = [&](const AuditFilter& f, int limit) {
    std::vector<std::uint64_t> seqs;
    std::optional<std::string> cursor;
    for (int guard = 0; guard < 1000; ++guard) {
      auto p = log.list(this->a_, f, cursor, limit);
      EXPECT_TRUE(p.ok()) << p.error();
      if (!p.ok()) break;
      for (const auto& r : p->records) {
        EXPECT_EQ(r.event.tenant, this->a_);
        seqs.push_back(r.seq);
      }
      if (!p->next_cursor) break;
      cursor = p->next_cursor;
    }
    return seqs;
  };
  auto expect = [&](const AuditFilter& f, auto pred) {
    std::vector<std::uint64_t> want;
    for (std::size_t i = events.size(); i-- > 0;) {
      if (pred(events[i])) want.push_back(i + 1);
    }
    EXPECT_EQ(page_all(f, 7), want);
  };
  expect(AuditFilter{}, [](const AuditEvent&) { return true; });
  expect(AuditFilter{.action = "keys.sign"},
         [](const AuditEvent& e) { return e.action == "keys.sign"; });
  expect(AuditFilter{.action_prefix = "keys."},
         [](const AuditEvent& e) { return e.action.rfind("keys.", 0) == 0; });
  expect(AuditFilter{.actor = "user:1"}, [](const AuditEvent& e) { return e.actor == "user:1"; });
  expect(AuditFilter{.resource = "keys/k2"},
         [](const AuditEvent& e) { return e.resource == "keys/k2"; });
  expect(AuditFilter{.result = "permission_denied"},
         [](const AuditEvent& e) { return e.result == "permission_denied"; });
  expect(AuditFilter{.action_prefix = "keys.", .actor = "user:2", .result = "ok"},
         [](const AuditEvent& e) {
           return e.action.rfind("keys.", 0) == 0 && e.actor == "user:2" && e.result == "ok";
         });
  // Time window: every record is inside [now - 1 h, now + 1 h); nothing before 0 + 1 ms.
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_EQ(page_all({.since_ms = now - 3600000, .until_ms = now + 3600000}, 500).size(), 90u);
  EXPECT_TRUE(page_all({.until_ms = 1}, 500).empty());
  EXPECT_TRUE(page_all({.since_ms = now + 3600000}, 500).empty());
  // Default and bounds of limit; strict cursors.
  auto def = log.list(this->a_, {});
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->records.size(), 50u);
  EXPECT_EQ(log.list(this->a_, {}, std::nullopt, 501).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(log.list(this->a_, {}, std::nullopt, -1).error().code(), ErrorCode::invalid_argument);
  for (const char* bad : {"", "zz", "000000000000000A", "0000000000000000", "00000000000000001",
                          "-000000000000001", "8000000000000000"}) {
    auto r = log.list(this->a_, {}, std::string(bad), 10);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument) << bad;
  }
}

TYPED_TEST_P(AuditContractTest, ListNeverReturnsAnotherTenantsRecords) {
  AuditLog log(this->db());
  this->fill(log, this->a_, 3);
  this->fill(log, this->b_, 4);
  auto pa = log.list(this->a_, {});
  auto pb = log.list(this->b_, {});
  auto pc = log.list(this->c_, {});
  ASSERT_TRUE(pa.ok() && pb.ok() && pc.ok());
  EXPECT_EQ(pa->records.size(), 3u);
  EXPECT_EQ(pb->records.size(), 4u);
  EXPECT_TRUE(pc->records.empty());
  for (const auto& r : pa->records) EXPECT_EQ(r.event.tenant, this->a_);
  // A cursor from B's listing does not leak B's records into A's.
  auto cross = log.list(this->a_, {.actor = pb->records.front().event.actor}, std::nullopt, 500);
  ASSERT_TRUE(cross.ok());
  for (const auto& r : cross->records) EXPECT_LE(r.seq, 3u);
}

TYPED_TEST_P(AuditContractTest, UntouchedChainWithCheckpointsVerifies) {
  AuditLog log(this->db(), {.checkpoint_every = 10, .signer = this->key_.get()});
  for (int round = 0; round < 5; ++round) this->fill(log, this->a_, 9);  // 45 records
  ASSERT_TRUE(log.checkpoint(this->a_).ok());
  const auto report = this->verify(this->a_);
  EXPECT_TRUE(report.ok()) << TestFixture::kinds(report);
  EXPECT_EQ(report.records_checked, 45u);
  EXPECT_GE(report.checkpoints_checked, 3u);  // groups of 9: at 18 and 36, plus 45 on demand
  auto last = this->db().with_tenant(this->a_, [this](Tx& tx) {
    return tx.query("SELECT MAX(seq) FROM audit_checkpoints WHERE tenant_id = $1", {this->a_});
  });
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->at(0).at(0).value_or(""), "45");
  // Without a signer there are no checkpoints, and checkpoint() says so.
  AuditLog plain(this->db());
  EXPECT_EQ(plain.checkpoint(this->a_).error().code(), ErrorCode::failed_precondition);
}

TYPED_TEST_P(AuditContractTest, IntervalCheckpointFollowsTheClock) {
  FakeClock clock;
  AuditLog log(this->db(), {.checkpoint_every = 1000000,
                            .checkpoint_interval = std::chrono::milliseconds(60000),
                            .signer = this->key_.get(),
                            .clock = &clock});
  this->fill(log, this->a_, 3);
  clock.advance(std::chrono::seconds(61));
  this->fill(log, this->a_, 2);  // the writer checks the interval after each batch
  const auto report = this->verify(this->a_);
  EXPECT_TRUE(report.ok()) << TestFixture::kinds(report);
  EXPECT_EQ(report.checkpoints_checked, 1u);
}

TYPED_TEST_P(AuditContractTest, FullQueueIsUnavailableNeverSilent) {
  AuditLog log(this->db(), {.max_queue = 2});
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  std::atomic<bool> writer_blocked{false};
  auto unblock = [&] {
    {
      std::lock_guard lk(m);
      release = true;
    }
    cv.notify_all();
  };
  struct Guard {
    std::function<void()> f;
    ~Guard() { f(); }
  } guard{unblock};  // never leave the writer blocked when an assertion returns early
  // The first callback holds the writer thread, so the queue cannot drain.
  log.append(TestFixture::event(this->a_, 1), [&](Status) {
    writer_blocked = true;
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return release; });
  });
  for (int i = 0; i < 500 && !writer_blocked; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(writer_blocked);
  std::atomic<int> ok{0};
  log.append(TestFixture::event(this->a_, 2), [&](Status st) { ok += st.ok(); });
  log.append(TestFixture::event(this->a_, 3), [&](Status st) { ok += st.ok(); });
  std::optional<Status> rejected;
  log.append(TestFixture::event(this->a_, 4), [&](Status st) { rejected = st; });
  ASSERT_TRUE(rejected.has_value());  // inline, before append() returned
  ASSERT_FALSE(rejected->ok());
  EXPECT_EQ(rejected->error().code(), ErrorCode::unavailable);
  unblock();
  ASSERT_TRUE(log.flush().ok());
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(this->count(this->a_), 3);
}

TYPED_TEST_P(AuditContractTest, StopAcknowledgesEverythingQueued) {
  std::atomic<int> ok{0};
  obs::Registry registry;
  {
    AuditLog log(this->db(),
                 {.flush_interval = std::chrono::milliseconds(50), .metrics = &registry});
    for (int i = 1; i <= 700; ++i) {
      log.append(TestFixture::event(i % 2 ? this->a_ : this->b_, i),
                 [&ok](Status st) { ok += st.ok(); });
    }
    log.stop();
    EXPECT_EQ(ok.load(), 700);
    std::optional<Status> late;
    log.append(TestFixture::event(this->a_, 1), [&late](Status st) { late = st; });
    ASSERT_TRUE(late && !late->ok());
    EXPECT_EQ(late->error().code(), ErrorCode::unavailable);
  }
  EXPECT_EQ(this->count(this->a_) + this->count(this->b_), 700);
  const std::string text = registry.expose();
  for (const char* name :
       {"nsl_audit_appends_total{result=\"ok\"} 700", "nsl_audit_batch_size",
        "nsl_audit_commit_seconds", "nsl_audit_queue_depth 0", "nsl_audit_checkpoints_total"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
  }
}

TYPED_TEST_P(AuditContractTest, RejectsInvalidEventsAtOnce) {
  AuditLog log(this->db());
  AuditEvent e = TestFixture::event(this->a_, 1);
  e.detail = nlohmann::json::array({1, 2});
  auto st = log.append_wait(e);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::invalid_argument);
  e = TestFixture::event(this->a_, 1);
  e.detail = {{"bad", std::string("\xff\xfe")}};
  EXPECT_EQ(log.append_wait(e).error().code(), ErrorCode::invalid_argument);
  for (std::string bad : {std::string("a\0b", 3), std::string("\xc3"), std::string("\xed\xa0\x80"),
                          std::string("\xc0\xaf")}) {
    e = TestFixture::event(this->a_, 1);
    e.resource = bad;
    EXPECT_EQ(log.append_wait(e).error().code(), ErrorCode::invalid_argument);
  }
  e = TestFixture::event(this->a_, 1);
  e.resource = "ключ/🔑";
  EXPECT_TRUE(log.append_wait(e).ok());
  e = TestFixture::event(this->a_, 1);
  e.action.clear();
  EXPECT_EQ(log.append_wait(e).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(this->count(this->a_), 1);
}

// append_in: records commit with the caller's transaction, vanish with its rollback, and chain
// with the writer thread's records; invalid events and another tenant's are refused.
TYPED_TEST_P(AuditContractTest, AppendInCommitsAndRollsBackWithTheCallersTransaction) {
  AuditLog log(this->db());
  this->fill(log, this->a_, 2);
  const std::vector<AuditEvent> three{TestFixture::event(this->a_, 3),
                                      TestFixture::event(this->a_, 4),
                                      TestFixture::event(this->a_, 5)};
  auto st = this->db().with_tenant(this->a_, [&](Tx& tx) { return log.append_in(tx, this->a_, three); });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(this->count(this->a_), 5);

  auto rolled = this->db().with_tenant(this->a_, [&](Tx& tx) -> Status {
    NSL_TRY(log.append_in(tx, this->a_, std::vector<AuditEvent>{TestFixture::event(this->a_, 90)}));
    return err::conflict("the caller's change failed after its audit record");
  });
  EXPECT_EQ(rolled.error().code(), ErrorCode::conflict);
  EXPECT_EQ(this->count(this->a_), 5) << "a rolled-back transaction kept its audit record";

  ASSERT_TRUE(log.append_wait(TestFixture::event(this->a_, 6)).ok());
  auto page = log.list(this->a_, {}, std::nullopt, 500);
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->records.size(), 6u);
  for (const auto& r : page->records) EXPECT_EQ(r.event.request_id, "req-" + std::to_string(r.seq));
  const auto report = this->verify(this->a_);
  EXPECT_TRUE(report.ok()) << TestFixture::kinds(report);
  EXPECT_EQ(report.head_seq, 6u);

  AuditEvent bad = TestFixture::event(this->a_, 7);
  bad.actor.clear();
  AuditEvent foreign = TestFixture::event(this->b_, 8);
  for (const AuditEvent& e : {bad, foreign}) {
    auto refused = this->db().with_tenant(
        this->a_, [&](Tx& tx) { return log.append_in(tx, this->a_, std::vector<AuditEvent>{e}); });
    EXPECT_EQ(refused.error().code(), ErrorCode::invalid_argument);
  }
  EXPECT_EQ(this->count(this->a_), 6);
  EXPECT_EQ(this->count(this->b_), 0);
}

// append_in's `before`: the caller's statements run first, in the same transaction; a failing one
// leaves no record, and with no events they still run.
TYPED_TEST_P(AuditContractTest, AppendInRunsTheCallersStatementsFirst) {
  AuditLog log(this->db());
  const std::string ins = "INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, $2, '1')";
  auto settings = [&] {
    return this->db()
        .with_tenant(this->a_, [](Tx& tx) { return tx.query("SELECT key FROM tenant_settings ORDER BY key"); })
        .value()
        .size();
  };
  const std::vector<store::Statement> two{{ins, {this->a_, "k1"}}, {ins, {this->a_, "k2"}}};
  auto st = this->db().with_tenant(this->a_, [&](Tx& tx) {
    return log.append_in(tx, this->a_, std::vector<AuditEvent>{TestFixture::event(this->a_, 1)}, two);
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(settings(), 2u);
  EXPECT_EQ(this->count(this->a_), 1);
  // A duplicate key: the statement fails, nothing of the transaction stays.
  const std::vector<store::Statement> dup{{ins, {this->a_, "k3"}}, {ins, {this->a_, "k1"}}};
  auto failed = this->db().with_tenant(this->a_, [&](Tx& tx) {
    return log.append_in(tx, this->a_, std::vector<AuditEvent>{TestFixture::event(this->a_, 2)}, dup);
  });
  EXPECT_EQ(failed.error().code(), ErrorCode::conflict) << failed.error();
  EXPECT_EQ(settings(), 2u);
  EXPECT_EQ(this->count(this->a_), 1);
  const std::vector<store::Statement> one{{ins, {this->a_, "k4"}}};
  ASSERT_TRUE(this->db().with_tenant(this->a_, [&](Tx& tx) { return log.append_in(tx, this->a_, {}, one); }).ok());
  EXPECT_EQ(settings(), 3u);
  EXPECT_EQ(this->count(this->a_), 1);
  const auto report = this->verify(this->a_);
  EXPECT_TRUE(report.ok()) << TestFixture::kinds(report);
}

// Transactions appending in place and the writer thread, concurrently on one tenant, form one
// chain (the head lock orders them; nothing deadlocks), and a checkpoint due by count follows.
TYPED_TEST_P(AuditContractTest, AppendInAndTheWriterShareOneChain) {
  FakeClock clock;
  AuditLog log(this->db(), {.checkpoint_every = 40,
                            .checkpoint_interval = std::chrono::milliseconds(3600000),
                            .signer = this->key_.get(),
                            .clock = &clock});
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        if (t % 2 == 0) {
          const std::vector<AuditEvent> two{TestFixture::event(this->a_, t * 1000 + 2 * i),
                                            TestFixture::event(this->a_, t * 1000 + 2 * i + 1)};
          auto st = this->db().with_tenant(
              this->a_, [&](Tx& tx) { return log.append_in(tx, this->a_, two); });
          if (st.ok()) {
            ok += 2;
          } else {
            ++failed;
            ADD_FAILURE() << st.error();
          }
        } else {
          log.append(TestFixture::event(this->a_, t * 1000 + i),
                     [&](Status st) { (st.ok() ? ok : failed)++; });
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(log.flush().ok());
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), 2 * 15 * 2 + 2 * 15);
  EXPECT_EQ(this->count(this->a_), 90);
  // Only in place now: the writer commits nothing, and its idle tick takes the checkpoint due by
  // count (once a second has passed since the bookkeeping).
  for (int i = 0; i < 45; ++i) {
    auto st = this->db().with_tenant(this->a_, [&](Tx& tx) {
      return log.append_in(tx, this->a_, std::vector<AuditEvent>{TestFixture::event(this->a_, 5000 + i)});
    });
    ASSERT_TRUE(st.ok()) << st.error();
  }
  clock.advance(std::chrono::seconds(2));
  auto newest = [this] {
    auto r = this->db().with_tenant(this->a_, [this](Tx& tx) {
      return tx.query("SELECT MAX(seq) FROM audit_checkpoints WHERE tenant_id = $1", {this->a_});
    });
    return r.ok() ? r->at(0).at(0).value_or("") : std::string("error");
  };
  const auto t0 = std::chrono::steady_clock::now();
  while (newest() != "135" && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(newest(), "135");
  const auto report = this->verify(this->a_);
  EXPECT_TRUE(report.ok()) << TestFixture::kinds(report);
  EXPECT_EQ(report.head_seq, 135u);
  EXPECT_GE(report.checkpoints_checked, 1u);
}

REGISTER_TYPED_TEST_SUITE_P(AuditContractTest, AcknowledgesOnlyAfterCommitInOrder,
                            ChainLinksAndHashesRecompute,
                            ConcurrentAppendsFromEightThreadsToThreeTenants,
                            TwoReplicasAppendToOneTenantWithoutForking, ListFiltersAndCursorPaging,
                            ListNeverReturnsAnotherTenantsRecords,
                            UntouchedChainWithCheckpointsVerifies,
                            IntervalCheckpointFollowsTheClock, FullQueueIsUnavailableNeverSilent,
                            StopAcknowledgesEverythingQueued, RejectsInvalidEventsAtOnce,
                            AppendInCommitsAndRollsBackWithTheCallersTransaction,
                            AppendInRunsTheCallersStatementsFirst, AppendInAndTheWriterShareOneChain);

}  // namespace nsl::audit::contract
