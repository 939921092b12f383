// secp256r1 (P-256) through OpenSSL 3 without deprecated APIs: EC_GROUP/EC_POINT for point work,
// EVP_PKEY (built with OSSL_PARAM_BLD) for signing and verification.
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "crypto/internal/ec.hpp"
#include "crypto/internal/openssl.hpp"

namespace nsl::crypto::internal {
namespace {

using PointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;

// Immutable after creation; EC_GROUP is safe to share read-only across threads.
const EC_GROUP* group() noexcept {
  static const EC_GROUP* const g = [] {
    EC_GROUP* x = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    if (x == nullptr) fatal("P-256 group");
    return x;
  }();
  return g;
}

bool point_to_uncompressed(const EC_POINT* p, BN_CTX* bn, UncompressedPublicKey& out) noexcept {
  return EC_POINT_point2oct(group(), p, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(),
                            bn) == out.size();
}

// A parameters-only P-256 key, created once. Building a key from OSSL_PARAMs re-creates the
// EC_GROUP by name on every call (tens of microseconds); copying the parameters from this template
// does not.
const EVP_PKEY* params_template() noexcept {
  static const EVP_PKEY* const tmpl = []() -> const EVP_PKEY* {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                         const_cast<char*>("prime256v1"), 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY* k = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &k, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
      fatal("P-256 parameters");
    }
    return k;
  }();
  return tmpl;
}

// Public key from SEC1 bytes (33 or 65). OpenSSL decodes and validates the point
// (EC_POINT_oct2point: x, y < p, on the curve; a compressed x without a square root fails).
PkeyPtr public_pkey(ByteSpan encoded) noexcept {
  PkeyPtr k(EVP_PKEY_new());
  if (!k || EVP_PKEY_copy_parameters(k.get(), params_template()) != 1 ||
      EVP_PKEY_set1_encoded_public_key(k.get(), encoded.data(), encoded.size()) != 1) {
    return nullptr;
  }
  return k;
}

// Private key from the scalar alone (ECDSA signing needs only d; skipping the public key saves a
// scalar multiplication). OpenSSL's EC key management cannot set a private key on an existing key,
// hence fromdata.
PkeyPtr private_pkey(ByteSpan d) noexcept {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  // A "secure" BIGNUM: OSSL_PARAM_BLD then places it in the block OSSL_PARAM_free clears before
  // freeing.
  SecretBnPtr priv(BN_secure_new());
  if (!bld || !priv || BN_bin2bn(d.data(), static_cast<int>(d.size()), priv.get()) == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1) {
    return nullptr;
  }
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return nullptr;
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return nullptr;
  }
  return PkeyPtr(pkey);
}

// Keeps OpenSSL's per-thread error queue from collecting entries for unrelated callers.
bool fail() noexcept {
  ERR_clear_error();
  return false;
}

// One signature with a sign-initialised context. OpenSSL's ECDSA signs the 32-byte digest as given
// (no digest set on the context) and returns DER, converted here to r || s.
bool sign_with(EVP_PKEY_CTX* ctx, ByteSpan digest, EcdsaSignature& out) noexcept {
  std::uint8_t der[80];
  std::size_t der_len = sizeof der;
  if (EVP_PKEY_sign(ctx, der, &der_len, digest.data(), digest.size()) != 1) return fail();
  auto rs = ecdsa_der_to_p1363(ByteSpan(der, der_len));
  if (!rs.ok()) return false;
  out = *rs;
  return true;
}

PkeyCtxPtr sign_context(EVP_PKEY* key) noexcept {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) return nullptr;
  return ctx;
}

}  // namespace

// The key imported once. An EVP_PKEY may be shared by threads that only read it (OpenSSL's
// documented rule); an EVP_PKEY_CTX may not, so each signature takes a context of its own from a
// small free list (a context initialized for signing signs any number of times; making one costs
// OpenSSL's provider look-ups, a noticeable share of a P-256 signature).
struct P256SigningKey {
  static constexpr std::size_t kMaxIdle = 16;
  PkeyPtr key;
  std::mutex mu;
  std::vector<EVP_PKEY_CTX*> idle;  // guarded by mu; owned

  ~P256SigningKey() {
    for (EVP_PKEY_CTX* c : idle) EVP_PKEY_CTX_free(c);
  }
  PkeyCtxPtr take() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        PkeyCtxPtr c(idle.back());
        idle.pop_back();
        return c;
      }
    }
    return sign_context(key.get());
  }
  void give_back(PkeyCtxPtr c) {
    std::lock_guard lock(mu);
    // Capacity was reserved up front: push_back cannot throw here.
    if (idle.size() < kMaxIdle) idle.push_back(c.release());
    // else: freed here by c's destructor
  }
};

bool p256_decode_point(ByteSpan encoded, UncompressedPublicKey& out) noexcept {
  BnCtxPtr bn(BN_CTX_new());
  PointPtr p(EC_POINT_new(group()));
  if (!bn || !p) fatal("P-256 allocation");
  // oct2point rejects coordinates >= p, x without a square root, and (through
  // EC_POINT_set_affine_coordinates) points off the curve.
  if (EC_POINT_oct2point(group(), p.get(), encoded.data(), encoded.size(), bn.get()) != 1)
    return fail();
  if (EC_POINT_is_at_infinity(group(), p.get()) == 1) return fail();
  if (EC_POINT_is_on_curve(group(), p.get(), bn.get()) != 1) return fail();  // belt and braces
  return point_to_uncompressed(p.get(), bn.get(), out) || fail();
}

bool p256_public_from_private(ByteSpan d, UncompressedPublicKey& out) noexcept {
  BnCtxPtr bn(BN_CTX_secure_new());
  PointPtr p(EC_POINT_new(group()));
  SecretBnPtr k(BN_secure_new());
  if (!bn || !p || !k) fatal("P-256 allocation");
  BN_set_flags(k.get(), BN_FLG_CONSTTIME);
  if (BN_bin2bn(d.data(), static_cast<int>(d.size()), k.get()) == nullptr ||
      EC_POINT_mul(group(), p.get(), k.get(), nullptr, nullptr, bn.get()) != 1) {
    return fail();
  }
  return point_to_uncompressed(p.get(), bn.get(), out) || fail();
}

bool p256_sign(ByteSpan d, ByteSpan digest, EcdsaSignature& out) noexcept {
  PkeyPtr key = private_pkey(d);
  if (!key) return fail();
  PkeyCtxPtr ctx = sign_context(key.get());
  if (!ctx) return fail();
  return sign_with(ctx.get(), digest, out);
}

P256SigningKey* p256_prepare(ByteSpan d) noexcept {
  auto prepared = std::unique_ptr<P256SigningKey>(new (std::nothrow) P256SigningKey);
  if (!prepared) return nullptr;
  try {
    prepared->idle.reserve(P256SigningKey::kMaxIdle);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
  prepared->key = private_pkey(d);
  // One sign_init up front, so that a key OpenSSL refuses fails here and not at the first signature.
  if (!prepared->key || !sign_context(prepared->key.get())) {
    ERR_clear_error();
    return nullptr;
  }
  return prepared.release();
}

void p256_free(P256SigningKey* key) noexcept { delete key; }

bool p256_sign_prepared(const P256SigningKey& key, ByteSpan digest, EcdsaSignature& out) noexcept {
  // The free list is bookkeeping, not the key: signing does not change what the key is.
  auto& k = const_cast<P256SigningKey&>(key);
  PkeyCtxPtr ctx = k.take();
  if (!ctx) return fail();
  if (!sign_with(ctx.get(), digest, out)) return false;  // a context that failed is not reused
  k.give_back(std::move(ctx));
  return true;
}

bool p256_verify(ByteSpan pub, ByteSpan digest, const EcdsaSignature& sig) noexcept {
  PkeyPtr key = public_pkey(pub);
  if (!key) return fail();
  auto der = ecdsa_p1363_to_der(sig);
  if (!der.ok()) return false;
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return fail();
  return EVP_PKEY_verify(ctx.get(), der->data(), der->size(), digest.data(), digest.size()) == 1 ||
         fail();
}

}  // namespace nsl::crypto::internal
