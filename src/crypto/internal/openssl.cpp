#include "crypto/internal/openssl.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include <cstdio>
#include <cstdlib>

namespace nsl::crypto::internal {
namespace {

const EVP_MD* fetch_or_die(const char* name) noexcept {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) fatal(name);
  return md;  // kept for the life of the process
}

// One private library context with the legacy and default providers, created on first use. It is
// never freed: fetched algorithms point into it for the life of the process.
OSSL_LIB_CTX* legacy_libctx() noexcept {
  static OSSL_LIB_CTX* const ctx = []() -> OSSL_LIB_CTX* {
    OSSL_LIB_CTX* c = OSSL_LIB_CTX_new();
    if (c == nullptr) return nullptr;
    if (OSSL_PROVIDER_load(c, "legacy") == nullptr || OSSL_PROVIDER_load(c, "default") == nullptr) {
      OSSL_LIB_CTX_free(c);
      return nullptr;
    }
    return c;
  }();
  return ctx;
}

}  // namespace

void fatal(const char* what) noexcept {
  std::fprintf(stderr, "nsl: fatal: crypto: %s\n", what);
  std::abort();
}

const EVP_MD* md_sha256() noexcept {
  static const EVP_MD* const md = fetch_or_die("SHA256");
  return md;
}

const EVP_MD* md_sha512() noexcept {
  static const EVP_MD* const md = fetch_or_die("SHA512");
  return md;
}

const EVP_MD* md_ripemd160_legacy() noexcept {
  static const EVP_MD* const md = []() -> const EVP_MD* {
    OSSL_LIB_CTX* ctx = legacy_libctx();
    return ctx == nullptr ? nullptr : EVP_MD_fetch(ctx, "RIPEMD160", nullptr);
  }();
  return md;
}

const EVP_MD* md_ripemd160() noexcept {
  static const EVP_MD* const md = []() -> const EVP_MD* {
    if (EVP_MD* m = EVP_MD_fetch(nullptr, "RIPEMD160", nullptr)) return m;
    ERR_clear_error();  // the failed fetch left an entry; do not leak it to unrelated callers
    if (const EVP_MD* m = md_ripemd160_legacy()) return m;
    fatal("RIPEMD160 is in neither the default nor the legacy provider");
  }();
  return md;
}

}  // namespace nsl::crypto::internal
