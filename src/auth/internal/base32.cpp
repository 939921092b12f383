#include "auth/internal/base32.hpp"

namespace nsl::auth::internal {
namespace {

constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz234567";

// Value of one character, or -1; `upper` reports which case it was (digits fit both).
int value_of(char ch, std::optional<bool>& upper) noexcept {
  if (ch >= 'A' && ch <= 'Z') {
    if (upper == false) return -1;
    upper = true;
    return ch - 'A';
  }
  if (ch >= 'a' && ch <= 'z') {
    if (upper == true) return -1;
    upper = false;
    return ch - 'a';
  }
  if (ch >= '2' && ch <= '7') return ch - '2' + 26;
  return -1;
}

}  // namespace

std::string base32_encode(std::span<const std::uint8_t> bytes, Base32Case c) {
  const std::string_view alphabet = c == Base32Case::upper ? kUpper : kLower;
  std::string out;
  out.reserve(base32_encoded_size(bytes.size()));
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const std::uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(alphabet[(buffer >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text) {
  const std::size_t tail = text.size() % 8;
  if (tail == 1 || tail == 3 || tail == 6) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 5 / 8);
  std::optional<bool> upper;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char ch : text) {
    const int v = value_of(ch, upper);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(buffer >> bits));
    }
  }
  // Leftover bits (< 5) must be zero: otherwise two spellings would decode to the same bytes.
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

bool is_base32_lower(std::string_view text) noexcept {
  for (const char ch : text) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7'))) return false;
  }
  return true;
}

}  // namespace nsl::auth::internal
