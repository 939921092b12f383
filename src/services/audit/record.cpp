#include "services/audit/record.hpp"

#include <array>

#include "core/json_dump.hpp"
#include "core/strings.hpp"
#include "crypto/hash.hpp"

namespace nsl::audit {
namespace {

void put_u32(crypto::Bytes& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_u64(crypto::Bytes& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_raw(crypto::Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }
void put_lp(crypto::Bytes& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  put_raw(out, s);
}
// 32 raw bytes from 64 hex; zeros when malformed, so a malformed stored hash never verifies.
void put_hash(crypto::Bytes& out, std::string_view hex) {
  std::optional<std::vector<std::uint8_t>> raw;
  if (hex.size() == 64) raw = from_hex(hex);
  if (raw && raw->size() == 32) {
    out.insert(out.end(), raw->begin(), raw->end());
  } else {
    out.insert(out.end(), 32, 0);
  }
}

}  // namespace

Result<std::string> canonical_detail(const nlohmann::json& detail) {
  if (!detail.is_object()) return err::invalid_argument("audit detail must be a JSON object");
  try {
    return dump_json(detail);  // dump()'s text; strict UTF-8: throws type_error 316 on invalid sequences
  } catch (const nlohmann::json::exception&) {
    return err::invalid_argument("audit detail is not valid UTF-8");
  }
}

crypto::Bytes record_encoding(const RecordFields& f) {
  crypto::Bytes out;
  out.reserve(kRecordDomain.size() + 4 * 7 + 16 + 32 + f.tenant.size() + f.actor.size() +
              f.action.size() + f.resource.size() + f.request_id.size() + f.result.size() +
              f.detail.size());
  put_raw(out, kRecordDomain);
  put_lp(out, f.tenant);
  put_u64(out, f.seq);
  put_u64(out, static_cast<std::uint64_t>(f.ts_ms));
  put_lp(out, f.actor);
  put_lp(out, f.action);
  put_lp(out, f.resource);
  put_lp(out, f.request_id);
  put_lp(out, f.result);
  put_lp(out, f.detail);
  put_hash(out, f.prev_hash);
  return out;
}

std::string record_hash(const RecordFields& f) {
  const auto digest = crypto::sha256(record_encoding(f));
  return to_hex(digest);
}

Result<std::string> record_hash(const AuditRecord& r) {
  NSL_TRY_ASSIGN(std::string detail, canonical_detail(r.event.detail));
  return record_hash(RecordFields{.tenant = r.event.tenant.str(),
                                  .seq = r.seq,
                                  .ts_ms = r.ts_ms,
                                  .actor = r.event.actor,
                                  .action = r.event.action,
                                  .resource = r.event.resource,
                                  .request_id = r.event.request_id,
                                  .result = r.event.result,
                                  .detail = detail,
                                  .prev_hash = r.prev_hash});
}

crypto::Bytes checkpoint_message(std::string_view tenant, std::uint64_t seq,
                                 std::string_view hash_hex, std::int64_t created_at_ms) {
  crypto::Bytes out;
  out.reserve(kCheckpointDomain.size() + 4 + tenant.size() + 8 + 32 + 8);
  put_raw(out, kCheckpointDomain);
  put_lp(out, tenant);
  put_u64(out, seq);
  put_hash(out, hash_hex);
  put_u64(out, static_cast<std::uint64_t>(created_at_ms));
  return out;
}

}  // namespace nsl::audit
