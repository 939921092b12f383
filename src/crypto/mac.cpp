#include "crypto/mac.hpp"

#include <algorithm>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/internal/openssl.hpp"

namespace nsl::crypto {
namespace {

using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, internal::Deleter<EVP_MAC_CTX, EVP_MAC_CTX_free>>;

EVP_MAC* hmac_alg() noexcept {
  static EVP_MAC* const mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (m == nullptr) internal::fatal("HMAC not available");
    return m;
  }();
  return mac;
}

EVP_KDF* kdf_alg(const char* name) noexcept {
  EVP_KDF* k = EVP_KDF_fetch(nullptr, name, nullptr);
  if (k == nullptr) internal::fatal(name);
  return k;
}

// An HMAC context with `digest` set, made once per digest; each HMAC duplicates it, so no call
// looks the algorithms up again (a fetch per call cost more than the MAC itself). Only read after
// construction, so concurrent duplication is safe.
const EVP_MAC_CTX* hmac_template(const char* digest) noexcept {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_alg());
  if (ctx == nullptr) internal::fatal("EVP_MAC_CTX_new");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_CTX_set_params(ctx, params) != 1) internal::fatal("HMAC digest not available");
  return ctx;
}

const EVP_MAC_CTX* sha1_template() noexcept {
  static const EVP_MAC_CTX* const t = hmac_template("SHA1");
  return t;
}
const EVP_MAC_CTX* sha256_template() noexcept {
  static const EVP_MAC_CTX* const t = hmac_template("SHA256");
  return t;
}
const EVP_MAC_CTX* sha512_template() noexcept {
  static const EVP_MAC_CTX* const t = hmac_template("SHA512");
  return t;
}

template <std::size_t N>
std::array<std::uint8_t, N> hmac(const EVP_MAC_CTX* tmpl, ByteSpan key, ByteSpan data) noexcept {
  MacCtxPtr ctx(EVP_MAC_CTX_dup(tmpl));
  if (!ctx) internal::fatal("EVP_MAC_CTX_dup");
  // A zero-length key is legal HMAC; OpenSSL wants a non-null pointer for it.
  static const std::uint8_t kEmpty = 0;
  const std::uint8_t* k = key.empty() ? &kEmpty : key.data();
  std::array<std::uint8_t, N> out{};
  std::size_t len = 0;
  if (EVP_MAC_init(ctx.get(), k, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != N) {
    internal::fatal("HMAC failed");
  }
  return out;
}

// A non-null pointer for possibly empty octet-string parameters.
// OSSL_PARAM octet strings are non-const void* but only read here.
void* octets(ByteSpan s) noexcept {
  static const std::uint8_t kNothing = 0;
  return const_cast<std::uint8_t*>(s.empty() ? &kNothing : s.data());
}

}  // namespace

std::array<std::uint8_t, 20> hmac_sha1(ByteSpan key, ByteSpan data) noexcept {
  return hmac<20>(sha1_template(), key, data);
}
std::array<std::uint8_t, 20> hmac_sha1(const SecretBytes& key, ByteSpan data) noexcept {
  return hmac_sha1(key.reveal(SecretAccess::grant()), data);
}
std::array<std::uint8_t, 32> hmac_sha256(ByteSpan key, ByteSpan data) noexcept {
  return hmac<32>(sha256_template(), key, data);
}
std::array<std::uint8_t, 32> hmac_sha256(const SecretBytes& key, ByteSpan data) noexcept {
  return hmac_sha256(key.reveal(SecretAccess::grant()), data);
}
std::array<std::uint8_t, 64> hmac_sha512(ByteSpan key, ByteSpan data) noexcept {
  return hmac<64>(sha512_template(), key, data);
}
std::array<std::uint8_t, 64> hmac_sha512(const SecretBytes& key, ByteSpan data) noexcept {
  return hmac_sha512(key.reveal(SecretAccess::grant()), data);
}

Result<SecretBytes> hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, std::size_t length) {
  if (length == 0 || length > kHkdfSha256MaxLength) {
    return err::invalid_argument("hkdf: output length must be 1..8160 bytes");
  }
  if (info.size() > kHkdfMaxInfo) return err::invalid_argument("hkdf: info longer than 1024 bytes");
  // RFC 5869 on the HMAC above (OpenSSL's HKDF looks SHA-256 and HMAC up on every derivation).
  // Extract: PRK = HMAC(salt, IKM); an absent salt is HashLen zero bytes, which HMAC's key
  // padding makes the same key as an empty one.
  std::array<std::uint8_t, 32> prk = hmac<32>(sha256_template(), salt, ikm);
  // Expand: T(i) = HMAC(PRK, T(i-1) || info || i), OKM = T(1) || T(2) || ... truncated.
  SecretBytes out(length);
  std::span<std::uint8_t> okm = out.reveal_mut(SecretAccess::grant());
  std::vector<std::uint8_t> block;
  block.reserve(32 + info.size() + 1);
  std::array<std::uint8_t, 32> t{};
  std::size_t done = 0;
  for (unsigned i = 1; done < length; ++i) {
    block.clear();
    if (i > 1) block.insert(block.end(), t.begin(), t.end());
    block.insert(block.end(), info.begin(), info.end());
    block.push_back(static_cast<std::uint8_t>(i));
    t = hmac<32>(sha256_template(), prk, block);
    const std::size_t n = std::min<std::size_t>(32, length - done);
    std::copy_n(t.begin(), n, okm.begin() + static_cast<std::ptrdiff_t>(done));
    done += n;
  }
  OPENSSL_cleanse(prk.data(), prk.size());
  OPENSSL_cleanse(t.data(), t.size());
  if (!block.empty()) OPENSSL_cleanse(block.data(), block.size());
  return out;
}

Result<SecretBytes> hkdf_sha256(const SecretBytes& ikm, ByteSpan salt, ByteSpan info,
                                std::size_t length) {
  return hkdf_sha256(ikm.reveal(SecretAccess::grant()), salt, info, length);
}

Result<SecretBytes> scrypt(ByteSpan password, ByteSpan salt, std::uint64_t n, std::uint32_t r,
                           std::uint32_t p, std::size_t dklen) {
  if (n < 2 || (n & (n - 1)) != 0)
    return err::invalid_argument("scrypt: N must be a power of two >= 2");
  if (r == 0 || p == 0) return err::invalid_argument("scrypt: r and p must be >= 1");
  if (std::uint64_t{r} * p >= (std::uint64_t{1} << 30))
    return err::invalid_argument("scrypt: r*p too large");
  // RFC 7914 §2: N < 2^(128*r/8).
  if (r < 4 && n >= (std::uint64_t{1} << (16 * r)))
    return err::invalid_argument("scrypt: N too large for r");
  if (dklen == 0 || dklen > (std::size_t{1} << 20))
    return err::invalid_argument("scrypt: dklen must be 1..2^20");
  // OpenSSL's accounting: V = 128*r*(N+2) bytes, B = 128*r*p bytes. Bound N first so nothing
  // overflows.
  if (n > kScryptMaxMemory) return err::invalid_argument("scrypt: parameters need more than 1 GiB");
  const std::uint64_t need = 128ULL * r * (n + 2) + 128ULL * r * p;
  if (need > kScryptMaxMemory)
    return err::invalid_argument("scrypt: parameters need more than 1 GiB");
  static EVP_KDF* const alg = kdf_alg(OSSL_KDF_NAME_SCRYPT);
  internal::KdfCtxPtr ctx(EVP_KDF_CTX_new(alg));
  if (!ctx) internal::fatal("EVP_KDF_CTX_new");
  std::uint64_t n_param = n;
  std::uint32_t r_param = r;
  std::uint32_t p_param = p;
  std::uint64_t maxmem = need + 4096;  // headroom for OpenSSL's rounding
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, octets(password), password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, octets(salt), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n_param),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r_param),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p_param),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(dklen);
  if (EVP_KDF_derive(ctx.get(), out.reveal_mut(SecretAccess::grant()).data(), dklen, params) != 1) {
    ERR_clear_error();
    return err::internal("scrypt: derivation failed");
  }
  return out;
}

Result<SecretBytes> scrypt(const SecretBytes& password, ByteSpan salt, std::uint64_t n,
                           std::uint32_t r, std::uint32_t p, std::size_t dklen) {
  return scrypt(password.reveal(SecretAccess::grant()), salt, n, r, p, dklen);
}

}  // namespace nsl::crypto
