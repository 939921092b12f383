// nsl/services/audit/record.hpp — audit record types and the canonical hash encodings (pure).
//
// An external verifier reimplements exactly this file. All integers are unsigned big-endian; lp(x)
// is u32be(byte length of x) || bytes of x (UTF-8, no terminator); hashes are SHA-256.
//
//   record hash = SHA-256(
//       "nsl-audit-record-v1"            19 ASCII bytes, no length prefix
//       lp(tenant)                       canonical lowercase UUID text
//       u64be(seq)                       1, 2, 3, ... per tenant, contiguous
//       u64be(ts_ms)                     Unix time in milliseconds when append() was called
//       lp(actor) lp(action) lp(resource) lp(request_id) lp(result)
//       lp(detail)                       the stored `detail` text: nlohmann::json::dump() (no
//       indent,
//                                        UTF-8 kept as is) of a JSON object; object keys come out
//                                        sorted bytewise because nlohmann::json stores objects in a
//                                        std::map, recursively; the verifier hashes the stored text
//                                        as is, it does not re-serialize it
//       prev_hash                        32 raw bytes: the hash of seq-1, or 32 zero bytes for seq
//       1
//   )
//   checkpoint message = "nsl-audit-checkpoint-v1" (23 ASCII bytes) || lp(tenant) || u64be(seq) ||
//                        hash of record seq (32 raw bytes) || u64be(created_at, Unix ms)
//
// In the database and in AuditRecord, hashes are 64 lowercase hex characters.
//
//   AuditRecord r = ...;                       // as read from audit_records
//   bool intact = record_hash(r) == r.hash;
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/bytes.hpp"
#include "store/db.hpp"

namespace nsl::audit {

inline constexpr std::string_view kRecordDomain = "nsl-audit-record-v1";
inline constexpr std::string_view kCheckpointDomain = "nsl-audit-checkpoint-v1";
// prev_hash of seq 1 (hex).
inline const std::string kZeroHash(64, '0');

struct AuditEvent {
  store::TenantId tenant;
  std::string actor;       // "user:<id>", "apikey:<id>", "operator"
  std::string action;      // "keys.sign", "tenant.create"
  std::string resource;    // what was acted on, e.g. "keys/<id>"; may be empty
  std::string request_id;  // may be empty (background jobs)
  std::string result;      // "ok" or an ErrorCode name
  nlohmann::json detail = nlohmann::json::object();  // must be an object; never secrets
};

struct AuditRecord {
  AuditEvent event;
  std::uint64_t seq = 0;
  std::int64_t ts_ms = 0;
  std::string prev_hash;  // 64 lowercase hex
  std::string hash;       // 64 lowercase hex
};

// The exact serialized `detail` (what is stored and hashed). invalid_argument when detail is not
// an object or holds invalid UTF-8.
Result<std::string> canonical_detail(const nlohmann::json& detail);

// The fields that are hashed, as stored (detail as its stored text).
struct RecordFields {
  std::string_view tenant;
  std::uint64_t seq = 0;
  std::int64_t ts_ms = 0;
  std::string_view actor, action, resource, request_id, result;
  std::string_view detail;     // canonical_detail() text
  std::string_view prev_hash;  // 64 hex; anything else is hashed as 32 zero bytes (never matches)
};

// The pre-image defined above, and its SHA-256 as lowercase hex.
crypto::Bytes record_encoding(const RecordFields& f);
std::string record_hash(const RecordFields& f);
// Same, for a record whose detail is canonical (as produced by AuditLog); invalid_argument when
// detail cannot be serialized.
Result<std::string> record_hash(const AuditRecord& r);

// The bytes a checkpoint signer signs. hash_hex: 64 hex (else the hash part is 32 zero bytes).
crypto::Bytes checkpoint_message(std::string_view tenant, std::uint64_t seq,
                                 std::string_view hash_hex, std::int64_t created_at_ms);

}  // namespace nsl::audit
