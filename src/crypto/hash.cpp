#include "crypto/hash.hpp"

#include <openssl/evp.h>

#include "crypto/internal/openssl.hpp"

namespace nsl::crypto {
namespace {

template <std::size_t N>
std::array<std::uint8_t, N> digest(const EVP_MD* md, ByteSpan data) noexcept {
  std::array<std::uint8_t, N> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 || len != N) {
    internal::fatal("EVP_Digest failed");
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
