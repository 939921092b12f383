// Keccak-f[1600] and the Keccak-256 sponge, by hand (see hash.hpp for why). Reference: "The Keccak
// reference", version 3.0, and FIPS 202 §3 (same permutation; only the padding domain byte
// differs). Lanes are little-endian.
#include <openssl/crypto.h>

#include <cstring>

#include "crypto/hash.hpp"

namespace nsl::crypto {
namespace {

constexpr std::array<std::uint64_t, 24> kRoundConstants = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
// rho rotation offsets and pi lane order, walked along the pi cycle starting at lane 1.
constexpr std::array<int, 24> kRho = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                      27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr std::array<int, 24> kPi = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                     15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

constexpr std::uint64_t rotl(std::uint64_t x, int n) noexcept { return (x << n) | (x >> (64 - n)); }

// Loops over lanes are unrolled so every index is a constant and the 25 lanes can live in
// registers; written as loops (not 100 hand-expanded lines) so it can be read against the
// specification.
void keccak_f1600(std::array<std::uint64_t, 25>& state) noexcept {
  std::uint64_t a[25];
  for (int i = 0; i < 25; ++i) a[i] = state[i];
  std::uint64_t c[5];
  for (std::uint64_t rc : kRoundConstants) {
    // theta
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) {
      const std::uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
#pragma GCC unroll 5
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    // rho and pi
    std::uint64_t carry = a[1];
#pragma GCC unroll 24
    for (int i = 0; i < 24; ++i) {
      const int j = kPi[i];
      const std::uint64_t next = a[j];
      a[j] = rotl(carry, kRho[i]);
      carry = next;
    }
    // chi
#pragma GCC unroll 5
    for (int y = 0; y < 25; y += 5) {
#pragma GCC unroll 5
      for (int x = 0; x < 5; ++x) c[x] = a[y + x];
#pragma GCC unroll 5
      for (int x = 0; x < 5; ++x) a[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
    }
    // iota
    a[0] ^= rc;
  }
  for (int i = 0; i < 25; ++i) state[i] = a[i];
}

std::uint64_t load_le64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void xor_byte(std::array<std::uint64_t, 25>& s, std::size_t i, std::uint8_t b) noexcept {
  s[i / 8] ^= static_cast<std::uint64_t>(b) << (8 * (i % 8));
}

}  // namespace

void Keccak256::update(ByteSpan data) noexcept {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  while (n > 0) {
    if (pos_ == 0 && n >= kRate) {  // whole block: lane-wise
      for (std::size_t i = 0; i < kRate / 8; ++i) state_[i] ^= load_le64(p + 8 * i);
      keccak_f1600(state_);
      p += kRate;
      n -= kRate;
      continue;
    }
    xor_byte(state_, pos_++, *p++);
    --n;
    if (pos_ == kRate) {
      keccak_f1600(state_);
      pos_ = 0;
    }
  }
}

std::array<std::uint8_t, Keccak256::kDigestSize> Keccak256::finish() noexcept {
  // pad10*1 with the domain bits: first padding byte pad_, last byte of the block gets 0x80 (they
  // may coincide).
  xor_byte(state_, pos_, pad_);
  xor_byte(state_, kRate - 1, 0x80);
  keccak_f1600(state_);
  std::array<std::uint8_t, kDigestSize> out{};
  for (std::size_t i = 0; i < kDigestSize; ++i)
    out[i] = static_cast<std::uint8_t>(state_[i / 8] >> (8 * (i % 8)));
  OPENSSL_cleanse(state_.data(),
                  sizeof state_);  // the state may be keyed (e.g. a MAC built on top)
  pos_ = 0;
  return out;
}

std::array<std::uint8_t, 32> keccak256(ByteSpan data) noexcept {
  Keccak256 k;
  k.update(data);
  return k.finish();
}

}  // namespace nsl::crypto
