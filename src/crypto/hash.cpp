#include "crypto/hash.hpp"

#include <openssl/evp.h>

#include <memory>

#include "crypto/internal/openssl.hpp"

namespace nsl::crypto {
namespace {

// One context per thread and digest, kept between calls: EVP_Digest would allocate and free a context
// and the provider's state on every call, which costs more than hashing the short inputs hashed here
// (addresses, script hashes, record hashes). After each digest the context is set up anew, so no state
// derived from the input stays in it.
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

template <std::size_t N>
std::array<std::uint8_t, N> digest(const EVP_MD* md, ByteSpan data) noexcept {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx;
  thread_local const EVP_MD* ctx_md = nullptr;
  if (!ctx || ctx_md != md) {
    ctx.reset(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) internal::fatal("EVP_DigestInit_ex2 failed");
    ctx_md = md;
  }
  std::array<std::uint8_t, N> out{};
  unsigned int len = 0;
  if (EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != N ||
      EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) {
    internal::fatal("EVP digest failed");
  }
  return out;
}

}  // namespace

std::array<std::uint8_t, 32> sha256(ByteSpan data) noexcept {
  return digest<32>(internal::md_sha256(), data);
}
std::array<std::uint8_t, 64> sha512(ByteSpan data) noexcept {
  return digest<64>(internal::md_sha512(), data);
}
std::array<std::uint8_t, 20> ripemd160(ByteSpan data) noexcept {
  return digest<20>(internal::md_ripemd160(), data);
}

std::array<std::uint8_t, 20> hash160(ByteSpan data) noexcept { return ripemd160(sha256(data)); }
std::array<std::uint8_t, 32> hash256(ByteSpan data) noexcept { return sha256(sha256(data)); }

}  // namespace nsl::crypto
