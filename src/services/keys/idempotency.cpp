#include "services/keys/idempotency.hpp"

#include "services/audit/verify.hpp"
#include "services/keys/repo.hpp"

namespace nsl::keys {

Status check_idempotency_key(std::string_view scope, std::string_view key) {
  auto printable = [](std::string_view s, bool space_ok) {
    for (unsigned char c : s) {
      if (c < 0x20 || c >= 0x7f || (c == ' ' && !space_ok)) return false;
    }
    return true;
  };
  if (scope.empty() || scope.size() > 128 || !printable(scope, false))
    return err::invalid_argument("idempotency scope must be 1..128 printable ASCII characters");
  if (key.empty() || key.size() > 255 || !printable(key, true))
    return err::invalid_argument("Idempotency-Key must be 1..255 printable ASCII characters");
  return {};
}

IdempotencyStore::IdempotencyStore(store::Database& db, const Clock& clock,
                                   std::chrono::milliseconds ttl)
    : db_(db), clock_(clock), ttl_(ttl) {}

std::int64_t IdempotencyStore::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             clock_.system_now().time_since_epoch())
      .count();
}

Result<std::optional<IdempotentResponse>> IdempotencyStore::get(const store::TenantId& tenant,
                                                                std::string_view scope,
                                                                std::string_view key) {
  NSL_TRY(check_idempotency_key(scope, key));
  const std::int64_t now = now_ms();
  NSL_TRY_ASSIGN(std::optional<repo::IdempotencyRow> row,
                 db_.with_tenant(tenant, [&](store::Tx& tx) {
                   return repo::get_idempotency(tx, scope, key, now);
                 }));
  if (!row) return std::optional<IdempotentResponse>();
  return std::optional<IdempotentResponse>(IdempotentResponse{.request_hash = row->request_hash,
                                                              .status = row->status,
                                                              .body = std::move(row->body),
                                                              .created_at = row->created_at,
                                                              .expires_at = row->expires_at});
}

Status IdempotencyStore::put(const store::TenantId& tenant, std::string_view scope,
                             std::string_view key, const IdempotentResponse& response) {
  NSL_TRY(check_idempotency_key(scope, key));
  const std::int64_t now = now_ms();
  repo::IdempotencyRow row{.request_hash = response.request_hash,
                           .status = response.status,
                           .body = response.body,
                           .created_at = now,
                           .expires_at = now + ttl_.count()};
  NSL_TRY_ASSIGN(bool stored, db_.with_tenant(tenant, [&](store::Tx& tx) {
    return repo::put_idempotency(tx, scope, key, row, now);
  }));
  if (!stored) return err::conflict("this Idempotency-Key was already used");
  return {};
}

Status IdempotencyStore::finish(const store::TenantId& tenant, std::string_view scope,
                               std::string_view key, const IdempotentResponse& response) {
  NSL_TRY(check_idempotency_key(scope, key));
  const std::int64_t now = now_ms();
  NSL_TRY_ASSIGN(bool done, db_.with_tenant(tenant, [&](store::Tx& tx) {
    return repo::finish_idempotency(tx, scope, key, response.request_hash, response.status,
                                    response.body, now);
  }));
  if (!done) return err::conflict("no request in progress under this Idempotency-Key");
  return {};
}

Status IdempotencyStore::release(const store::TenantId& tenant, std::string_view scope,
                                std::string_view key) {
  NSL_TRY(check_idempotency_key(scope, key));
  return db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY(repo::release_idempotency(tx, scope, key));
    return {};
  });
}

Result<std::int64_t> IdempotencyStore::purge_expired() {
  const std::int64_t now = now_ms();
  NSL_TRY_ASSIGN(std::vector<store::TenantId> tenants, audit::list_tenants(db_));
  std::int64_t n = 0;
  for (const store::TenantId& t : tenants) {
    NSL_TRY_ASSIGN(std::int64_t d, db_.with_tenant(t, [&](store::Tx& tx) {
      return repo::delete_expired_idempotency(tx, now);
    }));
    n += d;
  }
  return n;
}

}  // namespace nsl::keys
