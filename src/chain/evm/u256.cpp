#include "chain/evm/u256.hpp"

#include <algorithm>
#include <bit>

namespace nsl::evm {
namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// x = x * mul + add; false on overflow past 2^256 (x is then unspecified).
bool mul_add_small(std::array<std::uint8_t, 32>& x, unsigned mul, unsigned add) noexcept {
  unsigned carry = add;
  for (std::size_t i = x.size(); i-- > 0;) {
    const unsigned v = x[i] * mul + carry;
    x[i] = static_cast<std::uint8_t>(v & 0xff);
    carry = v >> 8;
  }
  return carry == 0;
}

}  // namespace

U256 U256::from_u64(std::uint64_t v) noexcept {
  U256 r;
  for (std::size_t i = 0; i < 8; ++i) r.be_[31 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  return r;
}

U256 U256::from_be32(const std::array<std::uint8_t, 32>& be) noexcept {
  U256 r;
  r.be_ = be;
  return r;
}

Result<U256> U256::from_be_bytes(ByteSpan be) {
  if (be.size() > 32) return err::invalid_argument("256-bit integer longer than 32 bytes");
  U256 r;
  std::copy(be.begin(), be.end(), r.be_.begin() + static_cast<std::ptrdiff_t>(32 - be.size()));
  return r;
}

Result<U256> U256::from_decimal(std::string_view s) {
  if (s.empty()) return err::invalid_argument("empty decimal number");
  if (s.size() > 1 && s[0] == '0') return err::invalid_argument("decimal number has leading zeros");
  U256 r;
  for (char c : s) {
    if (c < '0' || c > '9') return err::invalid_argument("invalid character in decimal number");
    if (!mul_add_small(r.be_, 10, static_cast<unsigned>(c - '0'))) {
      return err::invalid_argument("decimal number does not fit in 256 bits");
    }
  }
  return r;
}

Result<U256> U256::from_hex(std::string_view s) {
  if (s.size() < 2 || s[0] != '0' || s[1] != 'x') {
    return err::invalid_argument("hex number must start with 0x");
  }
  s.remove_prefix(2);
  if (s.empty()) return err::invalid_argument("empty hex number");
  for (char c : s) {
    if (hex_digit(c) < 0) return err::invalid_argument("invalid character in hex number");
  }
  while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
  if (s.size() > 64) return err::invalid_argument("hex number does not fit in 256 bits");
  U256 r;
  // Fill nibbles from the least significant end.
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto nib = static_cast<std::uint8_t>(hex_digit(s[s.size() - 1 - i]));
    r.be_[31 - i / 2] |= static_cast<std::uint8_t>(i % 2 == 0 ? nib : nib << 4);
  }
  return r;
}

Bytes U256::to_minimal_be() const {
  auto first = std::find_if(be_.begin(), be_.end(), [](std::uint8_t b) { return b != 0; });
  return Bytes(first, be_.end());
}

std::string U256::to_decimal() const {
  // Eight 32-bit limbs, most significant first; each pass divides by 10^9 and yields nine digits.
  std::array<std::uint32_t, 8> limb{};
  for (std::size_t i = 0; i < limb.size(); ++i) {
    limb[i] = static_cast<std::uint32_t>(be_[4 * i]) << 24 | static_cast<std::uint32_t>(be_[4 * i + 1]) << 16 |
              static_cast<std::uint32_t>(be_[4 * i + 2]) << 8 | static_cast<std::uint32_t>(be_[4 * i + 3]);
  }
  constexpr std::uint64_t kChunk = 1'000'000'000;
  std::size_t first = 0;
  while (first < limb.size() && limb[first] == 0) ++first;
  if (first == limb.size()) return "0";
  std::array<char, 96> buf{};  // 2^256 has 78 digits
  std::size_t pos = buf.size();
  while (first < limb.size()) {
    std::uint64_t rem = 0;
    for (std::size_t i = first; i < limb.size(); ++i) {
      const std::uint64_t cur = rem << 32 | limb[i];
      limb[i] = static_cast<std::uint32_t>(cur / kChunk);
      rem = cur % kChunk;
    }
    while (first < limb.size() && limb[first] == 0) ++first;
    const bool last = first == limb.size();
    for (int d = 0; d < 9; ++d) {
      buf[--pos] = static_cast<char>('0' + rem % 10);
      rem /= 10;
      if (last && rem == 0) break;  // no leading zeros in the most significant chunk
    }
  }
  return std::string(buf.data() + pos, buf.size() - pos);
}

std::string U256::to_hex_quantity() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string digits;
  for (std::uint8_t b : be_) {
    digits.push_back(kHex[b >> 4]);
    digits.push_back(kHex[b & 0xf]);
  }
  const auto nz = digits.find_first_not_of('0');
  return "0x" + (nz == std::string::npos ? std::string("0") : digits.substr(nz));
}

bool U256::is_zero() const noexcept {
  return std::all_of(be_.begin(), be_.end(), [](std::uint8_t b) { return b == 0; });
}

unsigned U256::bit_length() const noexcept {
  for (std::size_t i = 0; i < be_.size(); ++i) {
    if (be_[i] != 0) {
      return static_cast<unsigned>((31 - i) * 8) + static_cast<unsigned>(std::bit_width(be_[i]));
    }
  }
  return 0;
}

std::optional<std::uint64_t> U256::to_u64() const noexcept {
  if (bit_length() > 64) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 24; i < 32; ++i) v = (v << 8) | be_[i];
  return v;
}

U256 U256::negated() const noexcept {
  U256 r;
  unsigned carry = 1;
  for (std::size_t i = 32; i-- > 0;) {
    const unsigned v = static_cast<std::uint8_t>(~be_[i]) + carry;
    r.be_[i] = static_cast<std::uint8_t>(v & 0xff);
    carry = v >> 8;
  }
  return r;
}

}  // namespace nsl::evm
