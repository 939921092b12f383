// nsl/crypto/internal/openssl.hpp — RAII owners and shared lookups for the OpenSSL parts of
// crypto/. Internal: not for use outside src/crypto.
// Thread-safety: the cached algorithm handles are created once (thread-safe static
// initialisation) and are immutable afterwards; OpenSSL allows sharing them across threads.
#pragma once

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>

namespace nsl::crypto::internal {

// For "cannot happen" failures of a correctly installed OpenSSL (allocation, missing built-in
// algorithm): prints one line to stderr and aborts. Never reached from input; inputs are validated
// before the call.
[[noreturn]] void fatal(const char* what) noexcept;

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { F(p); }
};

using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using KdfPtr = std::unique_ptr<EVP_KDF, Deleter<EVP_KDF, EVP_KDF_free>>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX, EVP_KDF_CTX_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX, BN_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
// For secret scalars: zeroes the limbs before freeing.
using SecretBnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_clear_free>>;

// Fetched once from the default library context.
const EVP_MD* md_sha256() noexcept;
const EVP_MD* md_sha512() noexcept;
// RIPEMD-160 from the default provider (OpenSSL >= 3.0.7 has it there), else from the legacy
// provider loaded into a private OSSL_LIB_CTX (the process-wide default context is never changed).
const EVP_MD* md_ripemd160() noexcept;
// RIPEMD-160 from the legacy provider in the private context, or nullptr when the legacy module is
// not installed. Exposed so the test can check the fallback path on systems where the default path
// wins.
const EVP_MD* md_ripemd160_legacy() noexcept;

}  // namespace nsl::crypto::internal
