// nsl/services/keys/idempotency.hpp — stored responses of requests sent with an Idempotency-Key.
//
//   IdempotencyStore idem(db, Clock::real());
//   NSL_TRY_ASSIGN(auto seen, idem.get(tenant, "keys.sign", key));
//   if (seen) return seen->request_hash == hash ? replay(*seen) : conflict;
//   ... do the work ...
//   NSL_TRY(idem.put(tenant, "keys.sign", key, {.request_hash = hash, .status = 200, .body = b}));
//
// Reserve-then-finish: put() a record with status 0 before doing the work (a concurrent duplicate
// then gets conflict and reads the record), finish() it with the real status and body, or
// release() it when the work failed in a retryable way.
//
// A record lives for `ttl` (24 h by default) in the tenant's rows (tenant-isolated like every
// other table). `scope` separates operations ("keys.sign", ...); `key` is the client's header
// value (1..255 printable ASCII). put() refuses (conflict) while an unexpired record of the same
// (scope, key) exists — the first response stays the answer — and replaces an expired one.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/db.hpp"

namespace nsl::keys {

struct IdempotentResponse {
  std::string request_hash;  // e.g. hex SHA-256 of method, path and body
  int status = 0;            // the HTTP status of the first response
  std::string body;          // its body
  std::int64_t created_at = 0;  // Unix ms (set by put)
  std::int64_t expires_at = 0;  // Unix ms (set by put)
};

class IdempotencyStore {
 public:
  IdempotencyStore(store::Database& db, const Clock& clock,
                   std::chrono::milliseconds ttl = std::chrono::hours(24));

  // The unexpired record, or nullopt.
  Result<std::optional<IdempotentResponse>> get(const store::TenantId& tenant,
                                                std::string_view scope, std::string_view key);
  // conflict when an unexpired record exists; invalid_argument for a malformed scope or key.
  Status put(const store::TenantId& tenant, std::string_view scope, std::string_view key,
             const IdempotentResponse& response);
  // Completes a record put() reserved with status 0 ("in progress"): sets status and body.
  // conflict when there is no such in-progress record with the same request_hash (expired,
  // released, or already finished).
  Status finish(const store::TenantId& tenant, std::string_view scope, std::string_view key,
                const IdempotentResponse& response);
  // Drops an in-progress reservation (the request failed in a way worth retrying); a finished
  // record stays. Ok when there was nothing to drop.
  Status release(const store::TenantId& tenant, std::string_view scope, std::string_view key);
  // Deletes expired records of every tenant; returns how many.
  Result<std::int64_t> purge_expired();

 private:
  std::int64_t now_ms() const;

  store::Database& db_;
  const Clock& clock_;
  std::chrono::milliseconds ttl_;
};

// Checks shared by get/put: scope 1..128, key 1..255, printable ASCII (no spaces in scope).
Status check_idempotency_key(std::string_view scope, std::string_view key);

}  // namespace nsl::keys
