// nsl/services/keys/signing.hpp — signing and verification with a tenant's key: the request is
// turned into chain bytes here (signing_request.hpp), the enclave decodes those bytes again,
// checks the key's policy on its own decoding and signs (enclave.hpp sign_typed), and the signed
// form is put back together here.
//
//   KeySigner signer(keys, enclave, &audit, shared_cache, idempotency, Clock::real(), &registry);
//   NSL_TRY_ASSIGN(SignOutcome s, signer.sign_transaction(tenant, "key_…", body, caller, actor, idem_key));
//
// Rules:
// - Only the key's current version signs; every version that is not destroyed verifies.
// - raw_digest needs the permission keys:sign_raw on the key (a digest says nothing of what it is).
// - Rolling 24 h limits: when the key's policy has max_value_per_24h, signings of that key are
//   serialised across replicas by the shared lock "keys:spend:<tenant>:<key>" so the ledger read
//   before signing is still true when the new moves are recorded after it.
// - Idempotency-Key (sign_transaction): the first request reserves the key; a repeat with the same
//   body gets the stored response (same status and body), a repeat with another body gets
//   conflict, and a repeat while the first is still running gets conflict "in progress". Failures
//   the client caused (4xx) are stored like successes; server-side failures release the key so
//   that a retry runs again.
// - Every signing is audited (keys.sign / keys.sign_transaction, resource "key:<id>", result ok or
//   denied with the policy rule) — a refused signing too. Verification is not (it reads nothing
//   secret and changes nothing).
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auth/principal.hpp"
#include "cache/cache.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "enclave/enclave.hpp"
#include "services/keys/idempotency.hpp"
#include "services/keys/service.hpp"

namespace nsl::audit {
struct AuditEvent;
}

namespace nsl::keys {

// A finished request: the HTTP status and the JSON body to answer with.
struct SignOutcome {
  int status = 200;
  nlohmann::json body;
  bool replayed = false;  // answered from the idempotency record
};

// One signing between its phases: begin_* (blocking: the key's row, the request turned into chain bytes,
// the ledger lock and read of a key with rolling limits) → the enclave (sign_async) → settle (blocking
// only when needs_settle: the spends recorded, the ledger lock released) → audit_async → end (the
// answer; counts the operation). sign() and sign_transaction() run the same phases on the calling
// thread; the HTTP route runs them without holding a thread while the enclave and the audit log work.
struct PendingSigning {
  std::string_view op;  // the metric's op: "sign" | "sign_transaction"
  std::chrono::steady_clock::time_point start;
  std::string curve;
  store::TenantId tenant;
  std::string action;  // the audit action
  Actor actor;
  SigningKey key;  // never null past begin_*
  enclave::TypedSignRequest request;
  nlohmann::json detail;  // the audit record's detail
  // The key's policy has rolling 24 h limits: KeySigner::hold takes the spend lock (and reads the ledger)
  // before the enclave signs, and it is held until settle.
  bool rolling_limits = false;
  std::optional<cache::Lock> spend_lock;
  // Puts the signed answer together from the enclave's signature (chain-specific, CPU only).
  std::function<Result<SignOutcome>(const enclave::TypedSignature&)> answer;

  bool needs_hold() const noexcept { return rolling_limits && !spend_lock.has_value(); }
  bool needs_settle() const noexcept { return spend_lock.has_value(); }
};

class KeySigner {
 public:
  // Operations are counted through keys.count_operation (nsl_keys_operations_total).
  KeySigner(KeyService& keys, enclave::Enclave& enclave, audit::AuditLog* audit, cache::Cache& shared,
            IdempotencyStore& idempotency, const Clock& clock);
  KeySigner(const KeySigner&) = delete;
  KeySigner& operator=(const KeySigner&) = delete;

  // POST /v1/keys/{id}/sign: {"format": "neo_message"|"eip191"|"eip712"|"raw_digest", "message":
  // "<utf-8 text>" | "message_hex": "0x…" | "typed_data": {…} | "digest": "0x<32 bytes>"}.
  Result<SignOutcome> sign(const store::TenantId& tenant, std::string_view key_id, const nlohmann::json& body,
                           const auth::Principal& caller, const Actor& actor);
  // POST /v1/keys/{id}/sign-transaction (signing_request.hpp for the bodies).
  Result<SignOutcome> sign_transaction(const store::TenantId& tenant, std::string_view key_id,
                                       const nlohmann::json& body, const Actor& actor,
                                       std::optional<std::string_view> idempotency_key);
  // POST /v1/keys/{id}/verify: {"format", message fields as for sign, "signature": "0x…"} or
  // {"chain": "neo", "network_magic": N, "signed_tx": "<hex>"} or {"chain": "evm", "raw_tx": "0x…"}.
  Result<SignOutcome> verify(const store::TenantId& tenant, std::string_view key_id, const nlohmann::json& body);

  // The phases (PendingSigning): begin_*, hold when needs_hold(), sign_async, settle when needs_settle(),
  // audit_async, end. A begin_* or hold that fails has counted the operation; call end() for every
  // PendingSigning that got past them. begin_transaction takes no Idempotency-Key: such requests go through
  // sign_transaction().
  //
  // begin_* read the key (KeyService::signing_key) unless given `key` — what key_in_memory returned — and then
  // only prepare the request in memory: with `key` they never wait for the database or the shared cache and
  // may run on an I/O thread. hold waits for both (the spend lock, the ledger).
  SigningKey key_in_memory(const store::TenantId& tenant, std::string_view key_id);
  Result<PendingSigning> begin_sign(const store::TenantId& tenant, std::string_view key_id,
                                    const nlohmann::json& body, const auth::Principal& caller, const Actor& actor,
                                    SigningKey key = nullptr);
  Result<PendingSigning> begin_transaction(const store::TenantId& tenant, std::string_view key_id,
                                           const nlohmann::json& body, const Actor& actor,
                                           SigningKey key = nullptr);
  // For a key with rolling limits: takes its spend lock and reads what it moved in the last 24 h into the
  // request; on failure nothing is held (and the operation is counted).
  Status hold(PendingSigning& p);
  void sign_async(const PendingSigning& p, std::function<void(Result<enclave::TypedSignature>)> done);
  // Records the spends of a signing under rolling limits and releases the ledger lock; ok at once otherwise.
  Status settle(PendingSigning& p, const Result<enclave::TypedSignature>& sig);
  // Appends the signing's audit record (ok at once without an audit log); `done` as AuditLog::append.
  void audit_async(const PendingSigning& p, const Result<enclave::TypedSignature>& sig,
                   std::function<void(Status)> done);
  Result<SignOutcome> end(PendingSigning& p, Result<enclave::TypedSignature> sig, const Status& settled,
                          const Status& audited);

 private:
  Result<PendingSigning> begin(PendingSigning p);
  Status hold_spend_limits(PendingSigning& p);
  Status prepare_transaction(PendingSigning& p, std::string_view key_id, const nlohmann::json& body,
                             SigningKey key);
  // The phases on the calling thread.
  Result<SignOutcome> run(Result<PendingSigning> p);
  audit::AuditEvent audit_event(const PendingSigning& p, const Result<enclave::TypedSignature>& sig) const;
  void count(std::string_view op, std::string_view curve, const Status& st,
             std::chrono::steady_clock::time_point start);

  KeyService& keys_;
  enclave::Enclave& enclave_;
  audit::AuditLog* audit_;
  cache::Cache& shared_;
  IdempotencyStore& idempotency_;
  const Clock& clock_;
};

}  // namespace nsl::keys
