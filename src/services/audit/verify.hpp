// nsl/services/audit/verify.hpp — offline check of a tenant's stored audit chain (`nsl audit
// verify`).
//
// Streams the tenant's records in seq order, 1000 per transaction (memory stays flat; records
// appended while it runs are checked too when they land before the end), recomputes each hash
// (record.hpp), follows the prev_hash links, compares the checkpoints and their signatures, and
// reports findings instead of stopping at the first one:
//   altered        the record's content does not hash to its stored hash at its own seq, nor at
//                  any nearby seq (a field was changed)
//   removed        a gap in seq; or head / checkpoint beyond the last record (truncated tail); or
//                  a run of records whose hashes verify only at seq - d for one d < 0 (records were
//                  renumbered to hide a deletion)
//   inserted       a run of records whose hashes verify only at seq - d for one d > 0 (records
//                  were renumbered to make room: d records inserted before the run); or a record
//                  that hashes correctly but does not link to its predecessor's hash (the
//                  predecessor was forged or replaced with a recomputed hash); or seq 1 not linking
//                  to the zero hash
//   reordered      a run of records that each verify at another seq within +-16 of their position,
//                  with differing offsets (swapped or moved records)
//   bad_checkpoint checkpoint hash != the record's hash at that seq (or the record is bad), bad
//                  signature or unknown key (only when a verifier is given; without one the
//                  signatures are not checked)
// A record's seq is part of its hash, which is what lets moved records be told from altered ones.
//
//   NSL_TRY_ASSIGN(auto tenants, audit::list_tenants(db));
//   for (const auto& t : tenants) {
//     NSL_TRY_ASSIGN(auto report, audit::verify_tenant(db, t, &verifier));
//     if (!report.ok()) ...  // report.findings
//   }
//
// Thread-safety: free functions; the Database is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "services/audit/checkpoint.hpp"
#include "store/db.hpp"

namespace nsl::audit {

enum class FindingKind : std::uint8_t { altered, removed, inserted, reordered, bad_checkpoint };
std::string_view finding_kind_name(FindingKind k) noexcept;

struct Finding {
  FindingKind kind;
  std::uint64_t seq = 0;
  std::string message;
};

struct VerifyReport {
  store::TenantId tenant;
  std::uint64_t records_checked = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t head_seq = 0;
  std::uint64_t checkpoints_checked = 0;
  std::vector<Finding> findings;
  bool ok() const noexcept { return findings.empty(); }
};

// verifier: nullable (checkpoint hashes are still compared, signatures are not).
Result<VerifyReport> verify_tenant(store::Database& db, const store::TenantId& tenant,
                                   const CheckpointVerifier* verifier);

// Every tenant (tenants table, read with with_system), in id order.
Result<std::vector<store::TenantId>> list_tenants(store::Database& db);

}  // namespace nsl::audit
