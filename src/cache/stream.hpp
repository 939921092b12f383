// nsl/cache/stream.hpp — append-only streams with consumer groups, for background jobs.
//
// Producers add() entries (field/value pairs) to a named stream; each consumer group sees every
// entry once, shared among its consumers (one entry goes to one consumer of the group). A consumer
// acks an entry when its job is done; until then the entry sits in the group's pending list under
// that consumer. If the consumer dies, claim_idle() lets another consumer take over the entries
// that have been pending longer than min_idle, so a crashed worker's jobs are redone.
//
// Two back ends pass one contract suite (stream_contract.hpp):
//   RedisStream  Redis 7 streams (XADD, XGROUP CREATE MKSTREAM, XREADGROUP, XACK, XAUTOCLAIM,
//                XPENDING) over RedisCache's connection pool; shared by every replica.
//   LocalStream  in-process; the same semantics (pending lists, delivery counts, idle time from an
//                injectable Clock), one process only.
//
// Delivery is AT LEAST ONCE: an entry is redelivered (by claim_idle) whenever its consumer did not
// ack it within min_idle — because the worker crashed, but also because it was merely slow, or
// because it finished the job and then failed to ack (process killed, Redis unreachable). A job
// handler must therefore be idempotent: running it twice for one entry must have the effect of
// running it once (e.g. key the work by the entry id or by a job id in the fields, and use
// INSERT ... ON CONFLICT DO NOTHING / compare-and-set). Pick min_idle well above the longest job.
// Entries are never lost while in the stream, but max_len trimming drops the oldest entries even
// if a group has not read them yet: size max_len for the worst backlog.
//
//   RedisStream jobs(redis_cache);             // or LocalStream jobs;
//   NSL_TRY(jobs.create_group("jobs", "mailer"));
//   NSL_TRY(jobs.add("jobs", {{"type", "welcome"}, {"tenant", id}}, 100000));
//   // worker loop:
//   auto got = jobs.read_group("jobs", "mailer", "worker-1", 10, std::chrono::seconds(2));
//   for (const StreamEntry& e : *got) if (handle(e).ok()) (void)jobs.ack("jobs", "mailer", {e.id});
//   auto stale = jobs.claim_idle("jobs", "mailer", "worker-1", std::chrono::minutes(5), 10);
//
// Names: stream, group and consumer names are non-empty and at most kMaxKeySize bytes; the stream
// key is namespaced by the cache prefix (prefix + stream). Entry ids are Redis ids "<ms>-<seq>",
// strictly increasing per stream.
// Errors: invalid_argument (bad names, count 0, no fields, max_len 0, malformed id), not_found
// (the group does not exist: call create_group first), failed_precondition (the key holds
// something that is not a stream), unavailable (back end unreachable), internal.
// Thread-safety: every member of every implementation may be called concurrently. A blocking
// read_group holds one pooled Redis connection for up to `block`: size the pool for the workers.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace nsl::cache {

using StreamFields = std::vector<std::pair<std::string, std::string>>;

struct StreamEntry {
  std::string id;  // "<ms>-<seq>"
  StreamFields fields;
  friend bool operator==(const StreamEntry&, const StreamEntry&) = default;
};

struct PendingInfo {
  std::int64_t count = 0;  // entries delivered to the group and not yet acked
  // Pending entries per consumer; consumers with none pending are not listed.
  std::map<std::string, std::int64_t> consumers;
};

class Stream {
 public:
  virtual ~Stream() = default;

  // Appends an entry (at least one field) and returns its id. With max_len (>= 1), the stream is
  // then trimmed to its newest max_len entries (exactly, on both back ends).
  virtual Result<std::string> add(std::string_view stream, const StreamFields& fields,
                                  std::optional<std::size_t> max_len) = 0;
  // Creates the consumer group (and the stream when missing). A new group starts at the beginning
  // of the stream, so jobs added before the workers first started are not skipped. Idempotent: an
  // existing group is left as it is (its position is not reset).
  virtual Status create_group(std::string_view stream, std::string_view group) = 0;
  // Up to `count` (>= 1) entries never delivered to this group, now pending under `consumer`.
  // When there are none, waits up to `block` for one to arrive (0: do not wait); empty when the
  // wait ends without any.
  virtual Result<std::vector<StreamEntry>> read_group(std::string_view stream,
                                                      std::string_view group,
                                                      std::string_view consumer, std::size_t count,
                                                      std::chrono::milliseconds block) = 0;
  // Removes `ids` from the group's pending list; returns how many were pending. Acking an id twice
  // (or one never delivered) is not an error: it counts 0.
  virtual Result<std::int64_t> ack(std::string_view stream, std::string_view group,
                                   const std::vector<std::string>& ids) = 0;
  // Takes over up to `count` (>= 1) pending entries of any consumer of the group that have been
  // idle (not delivered or claimed) for at least `min_idle`, oldest first: they become pending
  // under `consumer`, their idle time restarts and their delivery count goes up. Pending entries
  // trimmed from the stream in the meantime are dropped from the pending list, not returned.
  virtual Result<std::vector<StreamEntry>> claim_idle(std::string_view stream,
                                                      std::string_view group,
                                                      std::string_view consumer,
                                                      std::chrono::milliseconds min_idle,
                                                      std::size_t count) = 0;
  // The group's pending entries, total and per consumer.
  virtual Result<PendingInfo> pending(std::string_view stream, std::string_view group) = 0;

  virtual const std::string& prefix() const = 0;
};

// Shared argument checks (same rules and messages for every back end).
Status validate_stream_name(std::string_view name, std::string_view what);
Status validate_count(std::size_t count);

}  // namespace nsl::cache
