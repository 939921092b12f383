// nsl/services/audit/audit_log.hpp — the tamper-evident, per-tenant hash-chained audit log.
//
// Every state change and every sign/decrypt appends an AuditEvent. Records of one tenant form a
// hash chain (seq 1, 2, 3, ...; encoding in record.hpp); a signer, when given, periodically signs
// the chain head into audit_checkpoints. verify.hpp checks a stored chain.
//
//   audit::AuditLog log(db, {.signer = &signer, .metrics = &registry});
//   log.append({.tenant = t, .actor = "user:42", .action = "keys.sign", .resource = "keys/k1",
//               .request_id = rid, .result = "ok"},
//              [](Status st) { /* committed (or failed): respond to the client now */ });
//   NSL_TRY(log.append_wait(event));   // blocking, for tools and tests
//   log.flush();                       // on shutdown, after draining requests
//
// Group commit: one writer thread takes the queued events (at most `max_batch`), groups them per
// tenant and commits each tenant's group in ONE `with_tenant` transaction. By default it takes them
// as soon as it is free (flush_interval 0): the events that arrive while one transaction commits
// form the next group, so the groups grow with the load and an event on an idle log waits for
// nothing. A `flush_interval` above 0 makes the writer wait until the oldest event has waited that
// long, for bigger groups at the cost of latency (and, on a 2-core host, of throughput: requests
// sit idle; bench/README.md, "Signing load"). A callback runs on the writer thread after its transaction committed
// (Status ok) or finally failed; never before commit, so an acknowledged record is durable. When
// append() rejects an event at once (invalid event, queue full -> unavailable, stopped ->
// unavailable), the callback runs inline on the caller's thread before append() returns.
// Callbacks must be quick and must not call flush(), stop() or checkpoint() (they would wait for
// themselves); a callback that throws is logged and ignored.
//
// Several processes (replicas) may append to the same tenant: each transaction locks the tenant's
// audit_heads row (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the store's BEGIN IMMEDIATE already
// serializes writers across connections and processes), chains from the stored head, inserts and
// advances the head. The head is never cached across transactions. A conditional head update and
// the (tenant_id, seq) primary key turn any lost race into `conflict`, which is retried.
//
// Retries: conflict -> up to `conflict_retries` more attempts with jittered exponential backoff
// from 1 ms; unavailable / deadline_exceeded -> retried with backoff (5 ms .. 200 ms) until
// `retry_deadline` after the first attempt; then every waiter of that group gets the error.
// Any other error fails the group at once. Other tenants' groups are unaffected.
//
// Checkpoints (only when `signer` is non-null; without one no checkpoints are written): after a
// group commit, when the tenant's head is `checkpoint_every` or more records past its newest
// checkpoint; and, for tenants that got records from this instance, when `checkpoint_interval`
// passed since the newest checkpoint this instance wrote. A failed checkpoint is logged, counted
// and retried at the next opportunity; it never fails appends.
//
// Metrics (when `metrics` is non-null): nsl_audit_appends_total{result="ok|error|in_transaction"}
// (in_transaction: records of append_in, counted when appended; they commit with their caller),
// nsl_audit_batch_size, nsl_audit_commit_seconds (one tenant-group transaction, retries included),
// nsl_audit_queue_depth, nsl_audit_checkpoints_total{result="ok|error"}. Several AuditLogs on one
// Registry share them.
//
// Thread-safety: all members may be called concurrently from any thread. The Database, signer and
// registry must outlive the AuditLog.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "obs/metrics.hpp"
#include "services/audit/checkpoint.hpp"
#include "services/audit/record.hpp"
#include "store/db.hpp"

namespace nsl::audit {

struct AuditLogOptions {
  std::chrono::milliseconds flush_interval{0};  // see "Group commit" above
  std::size_t max_batch = 1000;
  std::size_t max_queue = 100000;
  int conflict_retries = 5;
  std::chrono::milliseconds retry_deadline{5000};
  std::uint64_t checkpoint_every = 1000;
  std::chrono::milliseconds checkpoint_interval{60000};
  CheckpointSigner* signer = nullptr;  // null: no checkpoints
  obs::Registry* metrics = nullptr;
  const Clock* clock = nullptr;  // null: Clock::real()
};

// All set fields must match (AND). Times are Unix ms: since_ms <= ts < until_ms.
struct AuditFilter {
  std::optional<std::string> action;         // exact
  std::optional<std::string> action_prefix;  // e.g. "keys."
  std::optional<std::string> actor;
  std::optional<std::string> resource;
  std::optional<std::string> result;
  std::optional<std::int64_t> since_ms;
  std::optional<std::int64_t> until_ms;
};

struct AuditPage {
  std::vector<AuditRecord> records;        // newest first (seq descending)
  std::optional<std::string> next_cursor;  // set when more records may follow
};

inline constexpr int kDefaultListLimit = 50;
inline constexpr int kMaxListLimit = 500;

class AuditLog {
 public:
  AuditLog(store::Database& db, AuditLogOptions options = {});
  ~AuditLog();  // stop()
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  void append(AuditEvent event, std::function<void(Status)> done);
  Status append_wait(AuditEvent event);
  // Appends `events` (all of `tenant`) inside the caller's transaction `tx`, opened by
  // Database::with_tenant for `tenant`: the records commit or roll back with the caller's change,
  // so an acknowledged change always has its records and a rolled-back one has none, and the
  // caller waits for no group commit. The tenant's chain head stays locked until `tx` ends: call
  // this LAST in the transaction, after every other row lock, so that locks are always taken in
  // the same order (the writer thread's transactions lock only the head). An error (invalid
  // event; a store error, which the caller's own retry handles) leaves `tx` to be rolled back.
  // Checkpoints due by count follow from the writer thread within a second. `before`: the
  // caller's last statements of its own, run first in the same round trip as the head's locking
  // read (PostgreSQL pipelines them; one round trip fewer for the caller's transaction).
  Status append_in(store::Tx& tx, const store::TenantId& tenant,
                   std::span<const AuditEvent> events,
                   std::vector<store::Statement> before = {});
  // Returns once every append() that returned before this call has completed (its callback ran).
  // The error of a failed group among them, if any, else ok.
  Status flush();
  // Flushes, then joins the writer. Later appends fail with unavailable. Idempotent.
  void stop();
  // Signs the tenant's current committed head now (after flush()). failed_precondition without a
  // signer; ok without writing when the newest checkpoint already covers the head (or no records).
  Status checkpoint(const store::TenantId& tenant);

  // Records of one tenant, newest first. cursor: next_cursor of the previous page (opaque;
  // invalid_argument when malformed). limit: 1..500 (0: 50).
  Result<AuditPage> list(const store::TenantId& tenant, const AuditFilter& filter,
                         std::optional<std::string> cursor = std::nullopt, int limit = 0);

  std::size_t queue_depth() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace nsl::audit
