// nsl/auth/internal/base32.hpp — RFC 4648 §6 base32 (alphabet A-Z2-7), without padding. Internal
// to src/auth: TOTP secrets (uppercase, what authenticator apps expect) and API keys (lowercase).
//
// Decoding is strict so one value has exactly one accepted spelling: no padding, no whitespace or
// separators, one case throughout (all upper or all lower), a length that a whole number of bytes
// produces (not 1, 3 or 6 mod 8), and zero bits in the unused tail of the last character.
// Thread-safety: pure functions.
//
//   std::string s = base32_encode(bytes);              // "MZXW6YQ"
//   auto b = base32_decode("MZXW6YQ");                  // {'f','o','o','b'}
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nsl::auth::internal {

enum class Base32Case { upper, lower };

// Characters needed for `n` bytes without padding: ceil(8n / 5).
constexpr std::size_t base32_encoded_size(std::size_t n) noexcept { return (n * 8 + 4) / 5; }

std::string base32_encode(std::span<const std::uint8_t> bytes, Base32Case c = Base32Case::upper);
std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text);

// True when every character is in the lowercase alphabet a-z2-7 (shape checks of API keys).
bool is_base32_lower(std::string_view text) noexcept;

}  // namespace nsl::auth::internal
