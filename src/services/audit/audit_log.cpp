#include "services/audit/audit_log.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "core/strings.hpp"
#include "core/thread_name.hpp"
#include "obs/log.hpp"
#include "services/audit/internal/repo.hpp"

namespace nsl::audit {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;
using internal::Head;
using internal::StoredRecord;

struct Pending {
  AuditEvent event;
  std::string detail;  // canonical text, serialized on the caller's thread
  std::int64_t ts_ms = 0;
  std::uint64_t ticket = 0;
  SteadyTime enqueued_at;
  std::function<void(Status)> done;
};

// Per-tenant checkpoint bookkeeping of this instance.
struct TenantCheckpoint {
  bool loaded = false;
  std::uint64_t covered_seq = 0;                    // newest checkpoint seq known
  std::uint64_t head_seq = 0;                       // newest head this instance committed
  std::chrono::steady_clock::time_point last_time;  // Clock::steady_now() of the last checkpoint
  bool dirty = false;                               // records since the last checkpoint
};

bool retryable_unavailable(ErrorCode c) {
  return c == ErrorCode::unavailable || c == ErrorCode::deadline_exceeded;
}

void sleep_jittered(std::chrono::microseconds base) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<long> d(base.count() / 2, base.count());
  std::this_thread::sleep_for(std::chrono::microseconds(d(rng)));
}

std::string cursor_for(std::uint64_t seq) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, seq >>= 4) s[static_cast<std::size_t>(i)] = kHex[seq & 0xF];
  return s;
}

Result<std::uint64_t> parse_cursor(std::string_view c) {
  if (c.size() != 16) return err::invalid_argument("invalid cursor");
  std::uint64_t v = 0;
  for (char ch : c) {
    int d = -1;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    if (d < 0) return err::invalid_argument("invalid cursor");
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  if (v == 0 || v > static_cast<std::uint64_t>(INT64_MAX)) {
    return err::invalid_argument("invalid cursor");
  }
  return v;
}

// The checks append() and append_in() make; the canonical detail text on success.
Result<std::string> checked_detail(const AuditEvent& event) {
  if (event.action.empty() || event.actor.empty() || event.result.empty()) {
    return err::invalid_argument("audit event needs actor, action and result");
  }
  for (const std::string* f :
       {&event.actor, &event.action, &event.resource, &event.request_id, &event.result}) {
    if (!internal::storable_text(*f)) return err::invalid_argument("audit event text is not UTF-8");
  }
  return canonical_detail(event.detail);
}

// One record to chain: the event, its canonical detail and its time.
struct ToChain {
  const AuditEvent* event;
  const std::string* detail;
  std::int64_t ts_ms;
};

}  // namespace

struct AuditLog::Impl {
  Impl(store::Database& d, AuditLogOptions o)
      : db(d), opt(std::move(o)), clock(opt.clock ? *opt.clock : Clock::real()) {
    opt.max_batch = std::max<std::size_t>(opt.max_batch, 1);
    opt.max_queue = std::max<std::size_t>(opt.max_queue, 1);
    opt.checkpoint_every = std::max<std::uint64_t>(opt.checkpoint_every, 1);
    if (opt.metrics) {
      auto& appends = opt.metrics->counter_family("nsl_audit_appends_total",
                                                  "Audit appends by outcome.", {"result"});
      appends_ok = &appends.with({"ok"});
      appends_error = &appends.with({"error"});
      appends_in_tx = &appends.with({"in_transaction"});
      batch_size = &opt.metrics->histogram("nsl_audit_batch_size",
                                           "Records per audit tenant-group transaction.",
                                           {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000});
      commit_seconds = &opt.metrics->histogram(
          "nsl_audit_commit_seconds", "Audit tenant-group transaction time, retries included.",
          obs::default_latency_buckets());
      queue_gauge = &opt.metrics->gauge("nsl_audit_queue_depth", "Audit events waiting.");
      auto& cps = opt.metrics->counter_family("nsl_audit_checkpoints_total",
                                              "Audit checkpoints by outcome.", {"result"});
      checkpoints_ok = &cps.with({"ok"});
      checkpoints_error = &cps.with({"error"});
    }
    writer = std::thread([this] {
      set_thread_name("nsl-audit");
      run();
    });
  }

  void run();
  void process(std::vector<Pending>& batch);
  Status commit_group(const store::TenantId& tenant, std::vector<Pending*>& items);
  Status commit_once(const store::TenantId& tenant, std::vector<Pending*>& items, Head& new_head,
                     std::optional<std::uint64_t>& covered);
  // In `tx`: locks the tenant's head, chains `records` from it, inserts them and advances the
  // head (the caller's transaction commits it). `covered` gets the newest checkpoint's seq when
  // this instance does not know it yet.
  Status chain_in(store::Tx& tx, const store::TenantId& tenant, const std::vector<ToChain>& records,
                  Head& new_head, std::optional<std::uint64_t>& covered,
                  std::vector<store::Statement> before = {});
  Status do_checkpoint(const store::TenantId& tenant, bool force);
  // Checkpoint bookkeeping for a head this instance chained (under cp_mu); true when a checkpoint
  // is due by count.
  bool note_head(const store::TenantId& tenant, const Head& head,
                 std::optional<std::uint64_t> covered);
  void after_commit(const store::TenantId& tenant, const Head& head,
                    std::optional<std::uint64_t> covered);
  void interval_checkpoints();
  void set_depth(std::size_t n) {
    if (queue_gauge) queue_gauge->set(static_cast<double>(n));
  }

  store::Database& db;
  AuditLogOptions opt;
  const Clock& clock;

  std::mutex mu;
  std::condition_variable wake_writer;
  std::condition_variable wake_flushers;
  std::deque<Pending> queue;
  std::uint64_t enqueued = 0;
  std::uint64_t completed = 0;
  std::uint64_t flush_target = 0;
  bool stopping = false;
  std::uint64_t last_failed_ticket = 0;
  std::optional<Error> last_error;

  std::mutex cp_mu;  // checkpoint state; writer thread and checkpoint() callers
  std::unordered_map<std::string, TenantCheckpoint> cps;

  obs::Counter* appends_ok = nullptr;
  obs::Counter* appends_error = nullptr;
  obs::Counter* appends_in_tx = nullptr;
  obs::Histogram* batch_size = nullptr;
  obs::Histogram* commit_seconds = nullptr;
  obs::Gauge* queue_gauge = nullptr;
  obs::Counter* checkpoints_ok = nullptr;
  obs::Counter* checkpoints_error = nullptr;

  std::mutex stop_mu;
  std::thread writer;
};

void AuditLog::Impl::run() {
  // Wake at least this often when idle, for interval checkpoints.
  const auto idle_tick = std::clamp<std::chrono::milliseconds>(
      opt.checkpoint_interval, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  std::unique_lock lk(mu);
  for (;;) {
    if (queue.empty()) {
      if (stopping) return;
      wake_writer.wait_for(lk, idle_tick, [this] { return !queue.empty() || stopping; });
      if (queue.empty()) {
        lk.unlock();
        interval_checkpoints();
        lk.lock();
      }
      continue;
    }
    // Group commit: wait for more events until the oldest one has waited flush_interval, unless a
    // full batch is ready or someone waits for a flush.
    const auto deadline = queue.front().enqueued_at + opt.flush_interval;
    wake_writer.wait_until(lk, deadline, [this] {
      return queue.size() >= opt.max_batch || stopping || flush_target > completed;
    });
    const std::size_t n = std::min(queue.size(), opt.max_batch);
    std::vector<Pending> batch;
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    set_depth(queue.size());
    lk.unlock();
    process(batch);
    interval_checkpoints();
    lk.lock();
    completed += n;
    wake_flushers.notify_all();
  }
}

void AuditLog::Impl::process(std::vector<Pending>& batch) {
  // Per tenant, in arrival order.
  std::vector<std::pair<const store::TenantId*, std::vector<Pending*>>> groups;
  std::unordered_map<std::string, std::size_t> index;
  for (Pending& p : batch) {
    auto [it, fresh] = index.try_emplace(p.event.tenant.str(), groups.size());
    if (fresh) groups.emplace_back(&p.event.tenant, std::vector<Pending*>{});
    groups[it->second].second.push_back(&p);
  }
  for (auto& [tenant, items] : groups) {
    const auto t0 = std::chrono::steady_clock::now();
    Status st = commit_group(*tenant, items);
    if (commit_seconds) {
      commit_seconds->observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    if (batch_size) batch_size->observe(static_cast<double>(items.size()));
    if (st.ok()) {
      if (appends_ok) appends_ok->inc(static_cast<double>(items.size()));
    } else {
      if (appends_error) appends_error->inc(static_cast<double>(items.size()));
      obs::log_error("audit append failed",
                     {{"tenant", tenant->str()},
                      {"records", static_cast<std::int64_t>(items.size())},
                      {"code", std::string(error_code_name(st.error().code()))}});
      std::lock_guard lk(mu);
      last_failed_ticket = std::max(last_failed_ticket, items.back()->ticket);
      last_error = st.error();
    }
    for (Pending* p : items) {
      try {
        if (p->done) p->done(st);
      } catch (...) {
        obs::log_error("audit append callback threw");
      }
    }
  }
}

Status AuditLog::Impl::commit_group(const store::TenantId& tenant, std::vector<Pending*>& items) {
  const auto first = std::chrono::steady_clock::now();
  int conflicts = 0;
  auto unavailable_backoff = std::chrono::microseconds(5000);
  for (;;) {
    Head head;
    std::optional<std::uint64_t> covered;
    Status st = commit_once(tenant, items, head, covered);
    if (st.ok()) {
      after_commit(tenant, head, covered);
      return st;
    }
    const ErrorCode code = st.error().code();
    if (code == ErrorCode::conflict && conflicts < opt.conflict_retries) {
      sleep_jittered(std::chrono::microseconds(1000 << conflicts));
      ++conflicts;
      continue;
    }
    if (retryable_unavailable(code) &&
        std::chrono::steady_clock::now() + unavailable_backoff < first + opt.retry_deadline) {
      sleep_jittered(unavailable_backoff);
      unavailable_backoff = std::min(unavailable_backoff * 2, std::chrono::microseconds(200000));
      continue;
    }
    return st;
  }
}

Status AuditLog::Impl::commit_once(const store::TenantId& tenant, std::vector<Pending*>& items,
                                   Head& new_head, std::optional<std::uint64_t>& covered) {
  std::vector<ToChain> records;
  records.reserve(items.size());
  for (const Pending* p : items) records.push_back({&p->event, &p->detail, p->ts_ms});
  return db.with_tenant(
      tenant, [&](store::Tx& tx) { return chain_in(tx, tenant, records, new_head, covered); });
}

Status AuditLog::Impl::chain_in(store::Tx& tx, const store::TenantId& tenant,
                                const std::vector<ToChain>& records, Head& new_head,
                                std::optional<std::uint64_t>& covered,
                                std::vector<store::Statement> before) {
  bool need_covered = false;
  if (opt.signer) {
    std::lock_guard lk(cp_mu);
    need_covered = !cps[tenant.str()].loaded;
  }
  NSL_TRY_ASSIGN(const Head head, internal::lock_head(tx, db.backend(), tenant, std::move(before)));
  std::vector<StoredRecord> stored;
  stored.reserve(records.size());
  std::string prev = head.hash;
  std::uint64_t seq = head.seq;
  for (const ToChain& c : records) {
    const AuditEvent& e = *c.event;
    StoredRecord r{.seq = ++seq,
                   .ts_ms = c.ts_ms,
                   .actor = e.actor,
                   .action = e.action,
                   .resource = e.resource,
                   .request_id = e.request_id,
                   .result = e.result,
                   .detail = *c.detail,
                   .prev_hash = std::move(prev),
                   .hash = {}};
    r.hash = record_hash(r.fields(tenant.str()));
    prev = r.hash;
    stored.push_back(std::move(r));
  }
  new_head = Head{.seq = seq, .hash = prev};
  NSL_TRY(internal::append_chain(tx, tenant, stored, head.seq, new_head));
  if (need_covered) {
    NSL_TRY_ASSIGN(const std::uint64_t c, internal::latest_checkpoint_seq(tx, tenant));
    covered = c;
  }
  return {};
}

bool AuditLog::Impl::note_head(const store::TenantId& tenant, const Head& head,
                               std::optional<std::uint64_t> covered) {
  std::lock_guard lk(cp_mu);
  TenantCheckpoint& c = cps[tenant.str()];
  if (covered && !c.loaded) {
    c.loaded = true;
    c.covered_seq = std::max(c.covered_seq, *covered);
    c.last_time = clock.steady_now();
  }
  c.head_seq = std::max(c.head_seq, head.seq);
  c.dirty = true;
  return c.head_seq >= c.covered_seq + opt.checkpoint_every;
}

void AuditLog::Impl::after_commit(const store::TenantId& tenant, const Head& head,
                                  std::optional<std::uint64_t> covered) {
  if (!opt.signer) return;
  if (note_head(tenant, head, covered)) (void)do_checkpoint(tenant, false);
}

void AuditLog::Impl::interval_checkpoints() {
  if (!opt.signer) return;
  std::vector<std::pair<std::string, bool>> due;  // tenant, forced (interval) or by count
  {
    const auto now = clock.steady_now();
    std::lock_guard lk(cp_mu);
    for (const auto& [tenant, c] : cps) {
      if (!c.loaded || !c.dirty) continue;
      if (now - c.last_time >= opt.checkpoint_interval) {
        due.emplace_back(tenant, true);
      } else if (c.head_seq >= c.covered_seq + opt.checkpoint_every &&
                 now - c.last_time >= std::chrono::seconds(1)) {
        // Records appended inside callers' transactions (append_in) reach their count here; at
        // most once a second, since their head may not have committed yet (or rolled back).
        due.emplace_back(tenant, false);
      }
    }
  }
  for (const auto& [t, forced] : due) {
    auto tenant = store::TenantId::parse(t);
    if (tenant.ok()) (void)do_checkpoint(*tenant, forced);
  }
}

Status AuditLog::Impl::do_checkpoint(const store::TenantId& tenant, bool force) {
  if (!opt.signer) return err::failed_precondition("audit checkpoints need a signer");
  std::uint64_t covered = 0;
  bool wrote = false;
  Status st = db.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY_ASSIGN(const Head head, internal::read_head(tx, tenant));
    NSL_TRY_ASSIGN(covered, internal::latest_checkpoint_seq(tx, tenant));
    if (head.seq == 0 || head.seq <= covered) return {};
    if (!force && head.seq < covered + opt.checkpoint_every) return {};
    const auto created_at =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.system_now().time_since_epoch())
            .count();
    const auto msg = checkpoint_message(tenant.str(), head.seq, head.hash, created_at);
    NSL_TRY_ASSIGN(const auto sig, opt.signer->sign(msg));
    NSL_TRY(internal::insert_checkpoint(tx, tenant,
                                        {.seq = head.seq,
                                         .hash = head.hash,
                                         .created_at = created_at,
                                         .key_id = opt.signer->key_id(),
                                         .alg = opt.signer->alg(),
                                         .signature = to_hex(sig)}));
    covered = head.seq;
    wrote = true;
    return {};
  });
  {
    std::lock_guard lk(cp_mu);
    TenantCheckpoint& c = cps[tenant.str()];
    if (st.ok()) {
      c.loaded = true;
      c.covered_seq = std::max(c.covered_seq, covered);
      c.last_time = clock.steady_now();
      c.dirty = c.head_seq > c.covered_seq;
    }
  }
  if (!st.ok()) {
    if (checkpoints_error) checkpoints_error->inc();
    obs::log_error(
        "audit checkpoint failed",
        {{"tenant", tenant.str()}, {"code", std::string(error_code_name(st.error().code()))}});
  } else if (wrote && checkpoints_ok) {
    checkpoints_ok->inc();
  }
  return st;
}

AuditLog::AuditLog(store::Database& db, AuditLogOptions options)
    : impl_(std::make_unique<Impl>(db, std::move(options))) {}

AuditLog::~AuditLog() { stop(); }

void AuditLog::append(AuditEvent event, std::function<void(Status)> done) {
  auto reject = [&done](Error e) {
    if (done) done(Status(std::move(e)));
  };
  auto detail = checked_detail(event);
  if (!detail.ok()) return reject(std::move(detail).error());
  Pending p{.event = std::move(event),
            .detail = std::move(detail).value(),
            .ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         impl_->clock.system_now().time_since_epoch())
                         .count(),
            .ticket = 0,
            .enqueued_at = std::chrono::steady_clock::now(),
            .done = std::move(done)};
  std::unique_lock lk(impl_->mu);
  if (impl_->stopping || impl_->queue.size() >= impl_->opt.max_queue) {
    // Back pressure: the caller learns at once; nothing is dropped silently.
    Error e = impl_->stopping ? err::unavailable("audit log is shutting down")
                              : err::unavailable("audit queue full");
    lk.unlock();
    if (p.done) p.done(Status(std::move(e)));
    return;
  }
  p.ticket = ++impl_->enqueued;
  impl_->queue.push_back(std::move(p));
  const std::size_t depth = impl_->queue.size();
  impl_->set_depth(depth);
  if (depth == 1 || depth >= impl_->opt.max_batch) impl_->wake_writer.notify_one();
}

Status AuditLog::append_in(store::Tx& tx, const store::TenantId& tenant,
                           std::span<const AuditEvent> events,
                           std::vector<store::Statement> before) {
  if (events.empty()) {
    if (!before.empty()) NSL_TRY(tx.exec_all(before));
    return {};
  }
  std::vector<std::string> details;
  details.reserve(events.size());
  for (const AuditEvent& e : events) {
    if (e.tenant != tenant) return err::invalid_argument("audit event of another tenant");
    NSL_TRY_ASSIGN(std::string d, checked_detail(e));
    details.push_back(std::move(d));
  }
  const std::int64_t ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 impl_->clock.system_now().time_since_epoch())
                                 .count();
  std::vector<ToChain> records;
  records.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) records.push_back({&events[i], &details[i], ts_ms});
  Head head;
  std::optional<std::uint64_t> covered;
  NSL_TRY(impl_->chain_in(tx, tenant, records, head, covered, std::move(before)));
  if (impl_->appends_in_tx) impl_->appends_in_tx->inc(static_cast<double>(events.size()));
  if (!impl_->opt.signer) return {};
  // Checkpoint bookkeeping as after a group commit, except that a checkpoint due by count is left
  // to the writer thread (interval_checkpoints): this transaction has not committed yet.
  (void)impl_->note_head(tenant, head, covered);
  return {};
}

Status AuditLog::append_wait(AuditEvent event) {
  std::mutex m;
  std::condition_variable cv;
  std::optional<Status> out;
  append(std::move(event), [&](Status st) {
    std::lock_guard lk(m);
    out = std::move(st);
    cv.notify_one();
  });
  std::unique_lock lk(m);
  cv.wait(lk, [&] { return out.has_value(); });
  return std::move(*out);
}

Status AuditLog::flush() {
  std::unique_lock lk(impl_->mu);
  const std::uint64_t target = impl_->enqueued;
  const std::uint64_t start = impl_->completed;
  impl_->flush_target = std::max(impl_->flush_target, target);
  impl_->wake_writer.notify_one();
  impl_->wake_flushers.wait(lk, [&] { return impl_->completed >= target; });
  if (impl_->last_failed_ticket > start && impl_->last_failed_ticket <= target &&
      impl_->last_error) {
    return *impl_->last_error;
  }
  return {};
}

void AuditLog::stop() {
  std::lock_guard stop_lk(impl_->stop_mu);
  if (!impl_->writer.joinable()) return;
  {
    std::lock_guard lk(impl_->mu);
    impl_->stopping = true;  // the writer drains the queue before it exits
  }
  impl_->wake_writer.notify_one();
  impl_->writer.join();
}

Status AuditLog::checkpoint(const store::TenantId& tenant) {
  if (!impl_->opt.signer) return err::failed_precondition("audit checkpoints need a signer");
  (void)flush();
  return impl_->do_checkpoint(tenant, true);
}

std::size_t AuditLog::queue_depth() const {
  std::lock_guard lk(impl_->mu);
  return impl_->queue.size();
}

Result<AuditPage> AuditLog::list(const store::TenantId& tenant, const AuditFilter& filter,
                                 std::optional<std::string> cursor, int limit) {
  if (limit == 0) limit = kDefaultListLimit;
  if (limit < 1 || limit > kMaxListLimit) return err::invalid_argument("limit must be 1..500");
  std::optional<std::uint64_t> before;
  if (cursor) {
    NSL_TRY_ASSIGN(before, parse_cursor(*cursor));
  }
  NSL_TRY_ASSIGN(auto rows, impl_->db.with_tenant(tenant, [&](store::Tx& tx) {
    return internal::list_records(tx, tenant, filter, before, limit + 1);
  }));
  AuditPage page;
  const bool more = rows.size() > static_cast<std::size_t>(limit);
  if (more) rows.resize(static_cast<std::size_t>(limit));
  page.records.reserve(rows.size());
  for (auto& r : rows) {
    AuditRecord rec{.event = {.tenant = tenant,
                              .actor = std::move(r.actor),
                              .action = std::move(r.action),
                              .resource = std::move(r.resource),
                              .request_id = std::move(r.request_id),
                              .result = std::move(r.result),
                              .detail = nlohmann::json::parse(r.detail, nullptr, false)},
                    .seq = r.seq,
                    .ts_ms = r.ts_ms,
                    .prev_hash = std::move(r.prev_hash),
                    .hash = std::move(r.hash)};
    if (rec.event.detail.is_discarded()) return err::data_loss("stored audit detail is corrupt");
    page.records.push_back(std::move(rec));
  }
  if (more && !page.records.empty()) page.next_cursor = cursor_for(page.records.back().seq);
  return page;
}

}  // namespace nsl::audit
