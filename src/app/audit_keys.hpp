// nsl/app/audit_keys.hpp — the audit checkpoint key: Ed25519, generated and held inside the
// enclave, its public half and sealed blob in `system_keys` (purpose "audit", id
// "audit-ed25519-1").
//
// Every replica uses the same key: the first to start creates it (insert-if-absent on a fixed id),
// the others adopt the stored one. `nsl audit verify` checks checkpoint signatures against the
// public keys stored there — no enclave needed to verify.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "enclave/enclave.hpp"
#include "services/audit/checkpoint.hpp"
#include "store/db.hpp"

namespace nsl::app {

// The signer (enclave calls); creates the key when the store has none.
Result<std::unique_ptr<audit::CheckpointSigner>> open_audit_signer(store::Database& db,
                                                                   enclave::Enclave& enclave);

// The signer `nsl serve` hands to the audit log, opened outside any transaction: by open() at
// start and from the maintenance loop until it succeeds, so that a replica starting while the
// enclave is briefly away still starts (checkpoints wait; records do not). sign() never opens it:
// the audit log signs inside a tenant transaction, and opening reads the store (on SQLite that
// would wait for the connection the transaction holds). Until open() succeeded, sign() is
// unavailable and the checkpoint is retried later.
class LazyAuditSigner final : public audit::CheckpointSigner {
 public:
  LazyAuditSigner(store::Database& db, enclave::Enclave& e) : db_(db), enclave_(e) {}
  std::string key_id() const override { return "audit-ed25519-1"; }
  std::string alg() const override;
  Status open();
  Result<std::vector<std::uint8_t>> sign(crypto::ByteSpan message) override;

 private:
  store::Database& db_;
  enclave::Enclave& enclave_;
  std::mutex mu_;
  std::unique_ptr<audit::CheckpointSigner> inner_;
};

// Every stored audit key, for verification.
Result<std::unique_ptr<audit::CheckpointVerifier>> stored_audit_verifier(store::Database& db);

}  // namespace nsl::app
