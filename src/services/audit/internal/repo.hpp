// SQL of the audit tables, shared by AuditLog and verify (internal to the audit module).
// Every statement filters by tenant_id explicitly (SQLite has no row-level security) and runs in a
// with_tenant transaction of that tenant (PostgreSQL RLS).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "services/audit/audit_log.hpp"
#include "services/audit/record.hpp"
#include "store/db.hpp"

namespace nsl::audit::internal {

// A record exactly as stored (detail as text, so hashing uses the stored bytes).
struct StoredRecord {
  std::uint64_t seq = 0;
  std::int64_t ts_ms = 0;
  std::string actor, action, resource, request_id, result, detail, prev_hash, hash;

  RecordFields fields(std::string_view tenant) const {
    return {.tenant = tenant,
            .seq = seq,
            .ts_ms = ts_ms,
            .actor = actor,
            .action = action,
            .resource = resource,
            .request_id = request_id,
            .result = result,
            .detail = detail,
            .prev_hash = prev_hash};
  }
};

struct Head {
  std::uint64_t seq = 0;
  std::string hash = kZeroHash;
};

struct StoredCheckpoint {
  std::uint64_t seq = 0;
  std::string hash;
  std::int64_t created_at = 0;
  std::string key_id, alg, signature;  // signature: lowercase hex
};

// Creates the head row if missing and locks it (FOR UPDATE on PostgreSQL). `before`: the caller's
// statements, run first in the same round trip as the locking read (Tx::exec_all).
Result<Head> lock_head(store::Tx& tx, store::Backend backend, const store::TenantId& tenant,
                       std::vector<store::Statement> before = {});
// The head without locking; seq 0 when there is no head row.
Result<Head> read_head(store::Tx& tx, const store::TenantId& tenant);
// Inserts `records` (multi-row INSERTs in power-of-two chunks: a bounded set of statement texts
// for the statement caches of both back ends) and moves the head from `from_seq` to `to`, as one
// batch (Tx::exec_all: one round trip on PostgreSQL); conflict when the head is no longer at
// from_seq.
Status append_chain(store::Tx& tx, const store::TenantId& tenant,
                    const std::vector<StoredRecord>& records, std::uint64_t from_seq,
                    const Head& to);
// Records with seq > after_seq in ascending order.
Result<std::vector<StoredRecord>> records_after(store::Tx& tx, const store::TenantId& tenant,
                                                std::uint64_t after_seq, int limit);
// Records matching filter with seq < before_seq (when set), newest first.
Result<std::vector<StoredRecord>> list_records(store::Tx& tx, const store::TenantId& tenant,
                                               const AuditFilter& filter,
                                               std::optional<std::uint64_t> before_seq, int limit);
// Newest checkpoint seq (0 when none).
Result<std::uint64_t> latest_checkpoint_seq(store::Tx& tx, const store::TenantId& tenant);
Status insert_checkpoint(store::Tx& tx, const store::TenantId& tenant, const StoredCheckpoint& cp);
Result<std::vector<StoredCheckpoint>> checkpoints_after(store::Tx& tx,
                                                        const store::TenantId& tenant,
                                                        std::uint64_t after_seq, int limit);

// Well-formed UTF-8 without NUL: PostgreSQL text refuses anything else, and one bad event must not
// fail the other events of its transaction.
bool storable_text(std::string_view s);

// Strict integer parsing of a text column (integers come back as text on both back ends).
Result<std::uint64_t> column_u64(const std::optional<std::string>& v);
Result<std::int64_t> column_i64(const std::optional<std::string>& v);

}  // namespace nsl::audit::internal
