#include "crypto/aead.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/modes.h>

#include <algorithm>
#include <memory>

#include "core/random.hpp"
#include "crypto/internal/openssl.hpp"

namespace nsl::crypto {
namespace {

constexpr std::size_t kMaxIv = std::size_t{1} << 16;
// OpenSSL 3.0's GCM provider refuses IVs longer than this (GCM_IV_MAX_SIZE); longer ones take the
// CRYPTO_gcm128 path, which hashes any IV length as SP 800-38D §7.1 prescribes.
constexpr std::size_t kEvpMaxIv = 128;
constexpr std::size_t kChunk = std::size_t{1} << 30;  // EVP lengths are int

const EVP_CIPHER* fetch_cipher(const char* name) noexcept {
  EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (c == nullptr) internal::fatal(name);
  return c;
}

const EVP_CIPHER* gcm_cipher(std::size_t key_len) noexcept {
  static const EVP_CIPHER* const c128 = fetch_cipher("AES-128-GCM");
  static const EVP_CIPHER* const c192 = fetch_cipher("AES-192-GCM");
  static const EVP_CIPHER* const c256 = fetch_cipher("AES-256-GCM");
  return key_len == 16 ? c128 : key_len == 24 ? c192 : c256;
}

const EVP_CIPHER* ecb_cipher(std::size_t key_len) noexcept {
  static const EVP_CIPHER* const c128 = fetch_cipher("AES-128-ECB");
  static const EVP_CIPHER* const c192 = fetch_cipher("AES-192-ECB");
  static const EVP_CIPHER* const c256 = fetch_cipher("AES-256-ECB");
  return key_len == 16 ? c128 : key_len == 24 ? c192 : c256;
}

bool update_chunked(EVP_CIPHER_CTX* ctx, std::uint8_t* out, ByteSpan in) noexcept {
  std::size_t done = 0;
  while (done < in.size()) {
    const std::size_t n = std::min(kChunk, in.size() - done);
    int outl = 0;
    if (EVP_CipherUpdate(ctx, out == nullptr ? nullptr : out + done, &outl, in.data() + done,
                         static_cast<int>(n)) != 1) {
      return false;
    }
    // GCM is a stream mode: data comes out as it goes in (AAD passes with out == nullptr).
    if (out != nullptr && static_cast<std::size_t>(outl) != n) return false;
    done += n;
  }
  return true;
}

// One GCM pass through EVP. enc: writes `tag`; !enc: checks `tag`. Returns false on any failure.
bool evp_gcm(bool enc, ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan in, std::uint8_t* out,
             std::uint8_t* tag, std::size_t tag_len) noexcept {
  internal::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) internal::fatal("EVP_CIPHER_CTX_new");
  const int mode = enc ? 1 : 0;
  if (EVP_CipherInit_ex(ctx.get(), gcm_cipher(key.size()), nullptr, nullptr, nullptr, mode) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data(), mode) != 1) {
    return false;
  }
  if (!aad.empty() && !update_chunked(ctx.get(), nullptr, aad)) return false;
  if (!in.empty() && !update_chunked(ctx.get(), out, in)) return false;
  if (!enc &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_len), tag) != 1) {
    return false;
  }
  std::uint8_t final_block[16];
  int outl = 0;
  if (EVP_CipherFinal_ex(ctx.get(), final_block, &outl) != 1 || outl != 0) return false;
  if (enc &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_len), tag) != 1) {
    return false;
  }
  return true;
}

// block128_f over an AES-ECB EVP context (hardware AES, no deprecated AES_* API).
void ecb_block(const unsigned char in[16], unsigned char out[16], const void* key) {
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(const_cast<void*>(key));
  int outl = 0;
  if (EVP_EncryptUpdate(ctx, out, &outl, in, 16) != 1 || outl != 16)
    internal::fatal("AES-ECB block failed");
}

using Gcm128Ptr =
    std::unique_ptr<GCM128_CONTEXT, internal::Deleter<GCM128_CONTEXT, CRYPTO_gcm128_release>>;

// Same contract as evp_gcm, for IVs longer than OpenSSL's EVP GCM accepts.
bool gcm128(bool enc, ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan in, std::uint8_t* out,
            std::uint8_t* tag, std::size_t tag_len) noexcept {
  internal::CipherCtxPtr ecb(EVP_CIPHER_CTX_new());
  if (!ecb) internal::fatal("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex(ecb.get(), ecb_cipher(key.size()), nullptr, key.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ecb.get(), 0) != 1) {
    return false;
  }
  Gcm128Ptr g(CRYPTO_gcm128_new(ecb.get(), ecb_block));
  if (!g) internal::fatal("CRYPTO_gcm128_new");
  CRYPTO_gcm128_setiv(g.get(), iv.data(), iv.size());
  if (!aad.empty() && CRYPTO_gcm128_aad(g.get(), aad.data(), aad.size()) != 0) return false;
  if (enc) {
    if (!in.empty() && CRYPTO_gcm128_encrypt(g.get(), in.data(), out, in.size()) != 0) return false;
    CRYPTO_gcm128_tag(g.get(), tag, tag_len);
    return true;
  }
  if (!in.empty() && CRYPTO_gcm128_decrypt(g.get(), in.data(), out, in.size()) != 0) return false;
  return CRYPTO_gcm128_finish(g.get(), tag, tag_len) == 0;
}

Status check_params(std::size_t key_len, std::size_t iv_len, std::size_t tag_len) {
  if (key_len != 16 && key_len != 24 && key_len != 32) {
    return err::invalid_argument("aead: key must be 16, 24 or 32 bytes");
  }
  if (iv_len == 0 || iv_len > kMaxIv)
    return err::invalid_argument("aead: iv must be 1..65536 bytes");
  if (tag_len < 12 || tag_len > 16) return err::invalid_argument("aead: tag must be 12..16 bytes");
  return ok_status();
}

bool gcm(bool enc, ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan in, std::uint8_t* out,
         std::uint8_t* tag, std::size_t tag_len) noexcept {
  const bool ok = iv.size() <= kEvpMaxIv ? evp_gcm(enc, key, iv, aad, in, out, tag, tag_len)
                                         : gcm128(enc, key, iv, aad, in, out, tag, tag_len);
  if (!ok) ERR_clear_error();
  return ok;
}

Error auth_failed() { return err::invalid_argument("aead: authentication failed"); }

Result<Bytes> seal(const SecretBytes& key, ByteSpan plaintext, ByteSpan aad) {
  if (key.size() != kAes256KeySize) return err::invalid_argument("aead: key must be 32 bytes");
  Bytes out(kGcmNonceSize + plaintext.size() + kGcmTagSize);
  random_bytes({out.data(), kGcmNonceSize});
  const ByteSpan nonce(out.data(), kGcmNonceSize);
  if (!gcm(true, key.reveal(SecretAccess::grant()), nonce, aad, plaintext,
           out.data() + kGcmNonceSize, out.data() + kGcmNonceSize + plaintext.size(),
           kGcmTagSize)) {
    return err::internal("aead: encryption failed");
  }
  return out;
}

// Decrypts `sealed` (nonce || ct || tag) into `out`, which has room for the ciphertext.
bool open_into(const SecretBytes& key, ByteSpan sealed, ByteSpan aad, std::uint8_t* out) noexcept {
  const std::size_t ct_len = sealed.size() - kGcmOverhead;
  return gcm(false, key.reveal(SecretAccess::grant()), sealed.first(kGcmNonceSize), aad,
             sealed.subspan(kGcmNonceSize, ct_len), out,
             const_cast<std::uint8_t*>(sealed.data() + kGcmNonceSize + ct_len), kGcmTagSize);
}

}  // namespace

Result<Bytes> aes256gcm_seal(const SecretBytes& key, ByteSpan plaintext, ByteSpan aad) {
  return seal(key, plaintext, aad);
}

Result<Bytes> aes256gcm_seal(const SecretBytes& key, const SecretBytes& plaintext, ByteSpan aad) {
  return seal(key, plaintext.reveal(SecretAccess::grant()), aad);
}

Result<Bytes> aes256gcm_open(const SecretBytes& key, ByteSpan sealed, ByteSpan aad) {
  if (key.size() != kAes256KeySize) return err::invalid_argument("aead: key must be 32 bytes");
  if (sealed.size() < kGcmOverhead) return auth_failed();
  Bytes out(sealed.size() - kGcmOverhead);
  if (!open_into(key, sealed, aad, out.data())) {
    OPENSSL_cleanse(out.data(), out.size());
    return auth_failed();
  }
  return out;
}

Result<SecretBytes> aes256gcm_open_secret(const SecretBytes& key, ByteSpan sealed, ByteSpan aad) {
  if (key.size() != kAes256KeySize) return err::invalid_argument("aead: key must be 32 bytes");
  if (sealed.size() < kGcmOverhead) return auth_failed();
  SecretBytes out(sealed.size() - kGcmOverhead);
  if (!open_into(key, sealed, aad, out.reveal_mut(SecretAccess::grant()).data())) {
    return auth_failed();  // `out` wipes itself
  }
  return out;
}

Result<GcmSealed> aes_gcm_encrypt(const SecretBytes& key, ByteSpan iv, ByteSpan aad,
                                  ByteSpan plaintext, std::size_t tag_size) {
  NSL_TRY(check_params(key.size(), iv.size(), tag_size));
  GcmSealed out{Bytes(plaintext.size()), Bytes(tag_size)};
  if (!gcm(true, key.reveal(SecretAccess::grant()), iv, aad, plaintext, out.ciphertext.data(),
           out.tag.data(), tag_size)) {
    return err::internal("aead: encryption failed");
  }
  return out;
}

Result<Bytes> aes_gcm_decrypt(const SecretBytes& key, ByteSpan iv, ByteSpan aad,
                              ByteSpan ciphertext, ByteSpan tag) {
  NSL_TRY(check_params(key.size(), iv.size(), tag.size()));
  Bytes out(ciphertext.size());
  if (!gcm(false, key.reveal(SecretAccess::grant()), iv, aad, ciphertext, out.data(),
           const_cast<std::uint8_t*>(tag.data()), tag.size())) {
    OPENSSL_cleanse(out.data(), out.size());
    return auth_failed();
  }
  return out;
}

}  // namespace nsl::crypto
