// RSA through OpenSSL 3 EVP (no deprecated RSA_* calls). Keys are built with OSSL_PARAM_BLD;
// secret BIGNUMs are allocated "secure" so OSSL_PARAM_free clears them.
#include "crypto/rsa.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "crypto/internal/openssl.hpp"

namespace nsl::crypto {

using internal::BnPtr;
using internal::MdCtxPtr;
using internal::PkeyCtxPtr;
using internal::PkeyPtr;
using internal::SecretBnPtr;

struct RsaPublicKey::Impl {
  PkeyPtr pkey;
  Bytes n;  // minimal big-endian
  Bytes e;
  std::size_t bits = 0;
};

struct RsaPrivateKey::Impl {
  PkeyPtr pkey;
  RsaPublicKey pub;
};

namespace {

using ParamBldPtr =
    std::unique_ptr<OSSL_PARAM_BLD, internal::Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, internal::Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using P8Ptr = std::unique_ptr<PKCS8_PRIV_KEY_INFO,
                              internal::Deleter<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>>;

ByteSpan strip_leading_zeros(ByteSpan b) noexcept {
  std::size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  return b.subspan(i);
}

std::size_t bit_length(ByteSpan minimal) noexcept {
  if (minimal.empty()) return 0;
  std::size_t bits = (minimal.size() - 1) * 8;
  for (unsigned v = minimal[0]; v != 0; v >>= 1) ++bits;
  return bits;
}

// Failures below come from input; the OpenSSL error queue entries they leave must not leak into
// unrelated later calls on this thread.
template <class T>
Result<T> fail(std::string msg) {
  ERR_clear_error();
  return err::invalid_argument(std::move(msg));
}

bool push_bn(OSSL_PARAM_BLD* bld, const char* name, ByteSpan v, std::vector<SecretBnPtr>& keep) {
  SecretBnPtr bn(BN_secure_new());
  if (!bn || BN_bin2bn(v.data(), static_cast<int>(v.size()), bn.get()) == nullptr) return false;
  if (OSSL_PARAM_BLD_push_BN(bld, name, bn.get()) != 1) return false;
  keep.push_back(std::move(bn));  // the builder references the BIGNUM until to_param
  return true;
}

PkeyPtr pkey_fromdata(OSSL_PARAM_BLD* bld, int selection) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* k = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &k, selection, params.get()) != 1) {
    return nullptr;
  }
  return PkeyPtr(k);
}

Bytes get_bn_bytes(const EVP_PKEY* k, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &raw) != 1) internal::fatal("RSA public parameter");
  BnPtr bn(raw);
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), out.data());
  return out;
}

// Wraps a checked private EVP_PKEY: range check, pairwise check, public half.
Result<RsaPrivateKey> wrap_private(PkeyPtr pkey, bool check_pairwise) {
  if (!pkey || EVP_PKEY_is_a(pkey.get(), "RSA") != 1) return fail<RsaPrivateKey>("not an RSA key");
  if (check_pairwise) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
    if (!ctx || EVP_PKEY_pairwise_check(ctx.get()) != 1) {
      return fail<RsaPrivateKey>("inconsistent RSA private key");
    }
  }
  const Bytes n = get_bn_bytes(pkey.get(), OSSL_PKEY_PARAM_RSA_N);
  const Bytes e = get_bn_bytes(pkey.get(), OSSL_PKEY_PARAM_RSA_E);
  auto pub = RsaPublicKey::from_components(n, e);
  if (!pub) return std::move(pub).error();
  auto impl = std::make_unique<RsaPrivateKey::Impl>(
      RsaPrivateKey::Impl{std::move(pkey), std::move(pub).value()});
  return RsaPrivateKey(std::move(impl));
}

bool init_pkcs1_sha256(EVP_MD_CTX* md, EVP_PKEY* key, bool sign) {
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  const int r = sign ? EVP_DigestSignInit_ex(md, &pctx, "SHA256", nullptr, nullptr, key, nullptr)
                     : EVP_DigestVerifyInit_ex(md, &pctx, "SHA256", nullptr, nullptr, key, nullptr);
  return r == 1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
}

}  // namespace

// --- public key
// ------------------------------------------------------------------------------------

Result<RsaPublicKey> RsaPublicKey::from_components(ByteSpan n_in, ByteSpan e_in) {
  const ByteSpan n = strip_leading_zeros(n_in);
  const ByteSpan e = strip_leading_zeros(e_in);
  const std::size_t bits = bit_length(n);
  if (bits < kRsaMinBits || bits > kRsaMaxBits) {
    return err::invalid_argument("RSA modulus must be 2048 to 8192 bits");
  }
  if ((n.back() & 1) == 0) return err::invalid_argument("RSA modulus must be odd");
  // OpenSSL refuses exponents above 64 bits for large moduli; one rule for every size.
  if (e.empty() || e.size() > 8 || (e.back() & 1) == 0 || (e.size() == 1 && e[0] == 1)) {
    return err::invalid_argument("RSA public exponent must be odd, > 1 and < 2^64");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  std::vector<SecretBnPtr> keep;
  if (!bld || !push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_N, n, keep) ||
      !push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_E, e, keep)) {
    internal::fatal("RSA parameter builder");
  }
  PkeyPtr k = pkey_fromdata(bld.get(), EVP_PKEY_PUBLIC_KEY);
  if (!k) return fail<RsaPublicKey>("invalid RSA public key");
  auto impl = std::make_shared<Impl>();
  impl->pkey = std::move(k);
  impl->n.assign(n.begin(), n.end());
  impl->e.assign(e.begin(), e.end());
  impl->bits = bits;
  return RsaPublicKey(std::move(impl));
}

const Bytes& RsaPublicKey::n() const noexcept { return impl_->n; }
const Bytes& RsaPublicKey::e() const noexcept { return impl_->e; }
std::size_t RsaPublicKey::modulus_bits() const noexcept { return impl_->bits; }
std::size_t RsaPublicKey::modulus_bytes() const noexcept { return impl_->n.size(); }

bool operator==(const RsaPublicKey& a, const RsaPublicKey& b) noexcept {
  return a.impl_ == b.impl_ || (a.impl_->n == b.impl_->n && a.impl_->e == b.impl_->e);
}

// --- private key
// -----------------------------------------------------------------------------------

RsaPrivateKey::RsaPrivateKey(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
RsaPrivateKey::RsaPrivateKey(RsaPrivateKey&&) noexcept = default;
RsaPrivateKey& RsaPrivateKey::operator=(RsaPrivateKey&&) noexcept = default;
RsaPrivateKey::~RsaPrivateKey() = default;

const RsaPublicKey& RsaPrivateKey::public_key() const noexcept { return impl_->pub; }

SecretBytes RsaPrivateKey::to_pkcs8_der() const {
  P8Ptr p8(EVP_PKEY2PKCS8(impl_->pkey.get()));
  if (!p8) internal::fatal("RSA PKCS#8 encode");
  const int len = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), nullptr);
  if (len <= 0) internal::fatal("RSA PKCS#8 length");
  SecretBytes out(static_cast<std::size_t>(len));
  // Encode straight into the locked buffer: no unprotected copy of the DER.
  unsigned char* p = out.reveal_mut(SecretAccess::grant()).data();
  if (i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &p) != len) internal::fatal("RSA PKCS#8 encode");
  return out;
}

Result<RsaPrivateKey> rsa_generate(std::size_t bits) {
  if (bits < kRsaMinBits || bits > kRsaMaxGenerateBits) {
    return err::invalid_argument("RSA key size must be 2048 to 4096 bits");
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* k = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)) != 1 ||
      EVP_PKEY_generate(ctx.get(), &k) != 1) {
    internal::fatal("RSA key generation");
  }
  return wrap_private(PkeyPtr(k), /*check_pairwise=*/false);
}

Result<RsaPrivateKey> rsa_private_from_pkcs8_der(const SecretBytes& der) {
  const auto bytes = der.reveal(SecretAccess::grant());
  const unsigned char* p = bytes.data();
  P8Ptr p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(bytes.size())));
  if (!p8 || p != bytes.data() + bytes.size()) {
    return fail<RsaPrivateKey>("invalid PKCS#8 private key");
  }
  PkeyPtr k(EVP_PKCS82PKEY(p8.get()));
  if (!k) return fail<RsaPrivateKey>("invalid PKCS#8 private key");
  return wrap_private(std::move(k), /*check_pairwise=*/true);
}

Result<RsaPrivateKey> rsa_private_from_components(const RsaPrivateComponents& c) {
  const auto a = SecretAccess::grant();
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  std::vector<SecretBnPtr> keep;
  if (!bld) internal::fatal("RSA parameter builder");
  const std::pair<const char*, ByteSpan> parts[] = {
      {OSSL_PKEY_PARAM_RSA_N, c.n},
      {OSSL_PKEY_PARAM_RSA_E, c.e},
      {OSSL_PKEY_PARAM_RSA_D, c.d.reveal(a)},
      {OSSL_PKEY_PARAM_RSA_FACTOR1, c.p.reveal(a)},
      {OSSL_PKEY_PARAM_RSA_FACTOR2, c.q.reveal(a)},
      {OSSL_PKEY_PARAM_RSA_EXPONENT1, c.dp.reveal(a)},
      {OSSL_PKEY_PARAM_RSA_EXPONENT2, c.dq.reveal(a)},
      {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, c.qi.reveal(a)},
  };
  for (const auto& [name, value] : parts) {
    if (value.empty()) return err::invalid_argument("RSA private key component missing");
    if (!push_bn(bld.get(), name, value, keep)) internal::fatal("RSA parameter builder");
  }
  PkeyPtr k = pkey_fromdata(bld.get(), EVP_PKEY_KEYPAIR);
  if (!k) return fail<RsaPrivateKey>("invalid RSA private key");
  return wrap_private(std::move(k), /*check_pairwise=*/true);
}

// --- RS256
// -----------------------------------------------------------------------------------------

Result<Bytes> rs256_sign(const RsaPrivateKey& key, ByteSpan message) {
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY* pkey = key.impl().pkey.get();
  if (!md || !init_pkcs1_sha256(md.get(), pkey, /*sign=*/true)) internal::fatal("RS256 init");
  std::size_t len = static_cast<std::size_t>(EVP_PKEY_get_size(pkey));
  Bytes sig(len);
  if (EVP_DigestSign(md.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    ERR_clear_error();
    return err::internal("RS256 signing failed");
  }
  // I2OSP output is always modulus-length; a shorter one would be an OpenSSL contract break.
  if (len != key.public_key().modulus_bytes()) return err::internal("RS256 signature length");
  sig.resize(len);
  return sig;
}

bool rs256_verify(const RsaPublicKey& key, ByteSpan message, ByteSpan signature) noexcept {
  if (signature.size() != key.modulus_bytes()) return false;
  MdCtxPtr md(EVP_MD_CTX_new());
  if (!md || !init_pkcs1_sha256(md.get(), key.impl().pkey.get(), /*sign=*/false)) {
    ERR_clear_error();
    return false;
  }
  const bool ok = EVP_DigestVerify(md.get(), signature.data(), signature.size(), message.data(),
                                   message.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace nsl::crypto
