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

namespace nsl::keys {

// A finished request: the HTTP status and the JSON body to answer with.
struct SignOutcome {
  int status = 200;
  nlohmann::json body;
  bool replayed = false;  // answered from the idempotency record
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

 private:
  // `curve` receives the key's curve once it is known (for the metric).
  Result<SignOutcome> sign_transaction_once(const store::TenantId& tenant, std::string_view key_id,
                                            const nlohmann::json& body, const Actor& actor, std::string& curve);
  // sign_typed with the key's policy and ledger; audits the attempt.
  Result<enclave::TypedSignature> sign_with_policy(const store::TenantId& tenant, const KeyForSigning& key,
                                                   const enclave::TypedSignRequest& request,
                                                   std::string_view action, const Actor& actor,
                                                   const nlohmann::json& detail);
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
