// secp256k1 through libsecp256k1 (0.2+ API: secp256k1_context_create(SECP256K1_CONTEXT_NONE)).
#include <openssl/crypto.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "core/random.hpp"
#include "crypto/internal/ec.hpp"
#include "crypto/internal/openssl.hpp"

namespace nsl::crypto::internal {
namespace {

// One context for the process, randomised once (blinding against side channels). libsecp256k1
// allows concurrent use of a const context by any number of threads.
const secp256k1_context* ctx() noexcept {
  static const secp256k1_context* const c = [] {
    secp256k1_context* x = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (x == nullptr) fatal("secp256k1_context_create");
    unsigned char seed[32];
    random_bytes(seed);
    if (secp256k1_context_randomize(x, seed) != 1) fatal("secp256k1_context_randomize");
    OPENSSL_cleanse(seed, sizeof seed);
    return x;
  }();
  return c;
}

bool serialize_uncompressed(const secp256k1_pubkey& pk, UncompressedPublicKey& out) noexcept {
  std::size_t len = out.size();
  return secp256k1_ec_pubkey_serialize(ctx(), out.data(), &len, &pk, SECP256K1_EC_UNCOMPRESSED) ==
             1 &&
         len == out.size();
}

}  // namespace

bool k1_decode_point(ByteSpan encoded, UncompressedPublicKey& out) noexcept {
  secp256k1_pubkey pk;
  // The front end has already refused the hybrid 06/07 prefixes libsecp256k1 would accept.
  if (secp256k1_ec_pubkey_parse(ctx(), &pk, encoded.data(), encoded.size()) != 1) return false;
  return serialize_uncompressed(pk, out);
}

bool k1_public_from_private(ByteSpan d, UncompressedPublicKey& out) noexcept {
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_create(ctx(), &pk, d.data()) != 1) return false;
  return serialize_uncompressed(pk, out);
}

bool k1_sign(ByteSpan d, ByteSpan digest, EcdsaSignature& out, int* recid) noexcept {
  // noncefp = nullptr selects secp256k1_nonce_function_default == secp256k1_nonce_function_rfc6979.
  if (recid == nullptr) {
    secp256k1_ecdsa_signature sig;
    if (secp256k1_ecdsa_sign(ctx(), &sig, digest.data(), d.data(), nullptr, nullptr) != 1)
      return false;
    return secp256k1_ecdsa_signature_serialize_compact(ctx(), out.data(), &sig) == 1;
  }
  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_sign_recoverable(ctx(), &sig, digest.data(), d.data(), nullptr, nullptr) != 1)
    return false;
  return secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx(), out.data(), recid, &sig) ==
         1;
}

bool k1_verify(ByteSpan pub, ByteSpan digest, const EcdsaSignature& sig) noexcept {
  secp256k1_pubkey pk;
  secp256k1_ecdsa_signature s;
  if (secp256k1_ec_pubkey_parse(ctx(), &pk, pub.data(), pub.size()) != 1) return false;
  if (secp256k1_ecdsa_signature_parse_compact(ctx(), &s, sig.data()) != 1) return false;
  // secp256k1_ecdsa_verify accepts low-S only; ECDSA itself (and Neo, Wycheproof) accepts both.
  secp256k1_ecdsa_signature_normalize(ctx(), &s, &s);
  return secp256k1_ecdsa_verify(ctx(), &s, digest.data(), &pk) == 1;
}

bool k1_recover(ByteSpan digest, const EcdsaSignature& sig, int recid,
                UncompressedPublicKey& out) noexcept {
  secp256k1_ecdsa_recoverable_signature s;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &s, sig.data(), recid) != 1)
    return false;
  secp256k1_pubkey pk;
  if (secp256k1_ecdsa_recover(ctx(), &pk, &s, digest.data()) != 1) return false;
  return serialize_uncompressed(pk, out);
}

}  // namespace nsl::crypto::internal
