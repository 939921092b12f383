#include "chain/evm/signature.hpp"

#include <algorithm>
#include <string>

#include "crypto/ecdsa.hpp"

namespace nsl::evm {

Result<Signature65> sign_hash_65(const SecretBytes& private_key, const Hash32& digest) {
  NSL_TRY_ASSIGN(const auto rec, crypto::secp256k1_sign_recoverable(private_key, digest));
  // Recovery ids 2/3 (R.x >= n) occur with probability ~2^-127 and have no Ethereum encoding.
  if (rec.recovery_id > 1) return err::internal("signature has an unencodable recovery id");
  Signature65 out{};
  std::copy(rec.rs.begin(), rec.rs.end(), out.begin());
  out[64] = static_cast<std::uint8_t>(27 + rec.recovery_id);
  return out;
}

Result<Address> recover_address(const Hash32& digest, crypto::ByteSpan rs, int y_parity) {
  if (rs.size() != 64) return err::invalid_argument("signature r || s must be 64 bytes");
  if (y_parity != 0 && y_parity != 1) return err::invalid_argument("y-parity must be 0 or 1");
  NSL_TRY(crypto::ecdsa_check_signature(crypto::Curve::secp256k1, rs));
  if (!crypto::ecdsa_is_low_s(crypto::Curve::secp256k1, rs)) {
    return err::invalid_argument("signature s is in the upper half of the curve order (high-S)");
  }
  auto pub = crypto::secp256k1_recover(digest, rs, y_parity);
  if (!pub.ok()) return err::invalid_argument("no public key can be recovered from the signature");
  return address_from_public_key(*pub);
}

Result<Address> recover_address_65(const Hash32& digest, crypto::ByteSpan signature65) {
  if (signature65.size() != 65) {
    return err::invalid_argument("signature must be 65 bytes (r || s || v), got " +
                                 std::to_string(signature65.size()));
  }
  const std::uint8_t v = signature65[64];
  int parity = -1;
  if (v == 27 || v == 28) parity = v - 27;
  if (v == 0 || v == 1) parity = v;
  if (parity < 0) {
    return err::invalid_argument("signature v must be 27 or 28 (or 0 or 1), got " +
                                 std::to_string(v));
  }
  return recover_address(digest, signature65.first(64), parity);
}

}  // namespace nsl::evm
