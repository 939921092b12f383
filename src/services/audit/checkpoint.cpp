#include "services/audit/checkpoint.hpp"

namespace nsl::audit {

Result<std::vector<std::uint8_t>> Ed25519CheckpointSigner::sign(crypto::ByteSpan message) {
  NSL_TRY_ASSIGN(const crypto::Ed25519Signature sig,
                 crypto::ed25519_sign(key_.secret_key, message));
  return std::vector<std::uint8_t>(sig.begin(), sig.end());
}

bool Ed25519CheckpointVerifier::verify(std::string_view key_id, std::string_view alg,
                                       crypto::ByteSpan message, crypto::ByteSpan signature) const {
  if (alg != kEd25519Alg) return false;
  const auto it = keys_.find(key_id);
  if (it == keys_.end()) return false;
  return crypto::ed25519_verify(it->second, message, signature);
}

}  // namespace nsl::audit
