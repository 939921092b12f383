// nsl/app/audit_keys.hpp — the audit checkpoint key: Ed25519, generated and held inside the
// enclave, its public half and sealed blob in `system_keys` (purpose "audit", id
// "audit-ed25519-1").
//
// Every replica uses the same key: the first to start creates it (insert-if-absent on a fixed id),
// the others adopt the stored one. `nsl audit verify` checks checkpoint signatures against the
// public keys stored there — no enclave needed to verify.
#pragma once

#include <memory>

#include "core/result.hpp"
#include "enclave/enclave.hpp"
#include "services/audit/checkpoint.hpp"
#include "store/db.hpp"

namespace nsl::app {

// The signer (enclave calls); creates the key when the store has none.
Result<std::unique_ptr<audit::CheckpointSigner>> open_audit_signer(store::Database& db,
                                                                   enclave::Enclave& enclave);

// Every stored audit key, for verification.
Result<std::unique_ptr<audit::CheckpointVerifier>> stored_audit_verifier(store::Database& db);

}  // namespace nsl::app
