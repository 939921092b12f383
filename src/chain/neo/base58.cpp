#include "chain/neo/base58.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "chain/neo/internal/wipe.hpp"
#include "crypto/hash.hpp"

namespace nsl::neo {
namespace {

constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<std::int8_t, 256> make_index() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}
constexpr std::array<std::int8_t, 256> kIndex = make_index();

std::string describe_char(unsigned char c) {
  if (c >= 0x21 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 15];
}

}  // namespace

std::string base58_encode(ByteSpan data) {
  std::size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  // log(256)/log(58) < 1.366: enough base-58 digits for the rest.
  std::vector<std::uint8_t> digits((data.size() - zeros) * 138 / 100 + 1, 0);
  internal::WipeOnExit guard(digits);
  std::size_t used = 0;  // significant digits, stored little-endian in `digits`
  for (std::size_t i = zeros; i < data.size(); ++i) {
    unsigned carry = data[i];
    for (std::size_t j = 0; j < used; ++j) {
      carry += static_cast<unsigned>(digits[j]) << 8;
      digits[j] = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry != 0) {
      digits[used++] = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  out.reserve(zeros + used);
  for (std::size_t j = used; j-- > 0;) out.push_back(kAlphabet[digits[j]]);
  return out;
}

Result<Bytes> base58_decode(std::string_view text) {
  if (text.size() > kBase58MaxDecodeInput) {
    return err::invalid_argument("base58: input of " + std::to_string(text.size()) +
                                 " characters exceeds the limit of " +
                                 std::to_string(kBase58MaxDecodeInput));
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (kIndex[c] < 0) {
      return err::invalid_argument("base58: invalid character " + describe_char(c) +
                                   " at position " + std::to_string(i));
    }
  }
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  // log(58)/log(256) < 0.733: enough bytes for the rest.
  Bytes bytes((text.size() - ones) * 733 / 1000 + 1, 0);
  internal::WipeOnExit guard(bytes);
  std::size_t used = 0;  // significant bytes, little-endian
  for (std::size_t i = ones; i < text.size(); ++i) {
    unsigned carry = static_cast<unsigned>(kIndex[static_cast<unsigned char>(text[i])]);
    for (std::size_t j = 0; j < used; ++j) {
      carry += static_cast<unsigned>(bytes[j]) * 58;
      bytes[j] = static_cast<std::uint8_t>(carry & 0xFF);
      carry >>= 8;
    }
    while (carry != 0) {
      bytes[used++] = static_cast<std::uint8_t>(carry & 0xFF);
      carry >>= 8;
    }
  }
  Bytes out(ones + used, 0);
  for (std::size_t j = 0; j < used; ++j) out[ones + j] = bytes[used - 1 - j];
  return out;
}

std::string base58check_encode(ByteSpan payload) {
  Bytes buf(payload.begin(), payload.end());
  internal::WipeOnExit guard(buf);
  const auto sum = crypto::hash256(payload);
  buf.insert(buf.end(), sum.begin(), sum.begin() + kBase58CheckSumSize);
  return base58_encode(buf);
}

Result<Bytes> base58check_decode(std::string_view text) {
  NSL_TRY_ASSIGN(Bytes raw, base58_decode(text));
  internal::WipeOnExit guard(raw);
  if (raw.size() < kBase58CheckSumSize) {
    return err::invalid_argument("base58check: too short (" + std::to_string(raw.size()) +
                                 " bytes decoded, at least 4 needed for the checksum)");
  }
  const std::size_t n = raw.size() - kBase58CheckSumSize;
  const auto sum = crypto::hash256(ByteSpan(raw).first(n));
  if (!std::equal(sum.begin(), sum.begin() + kBase58CheckSumSize, raw.begin() + n)) {
    return err::invalid_argument("base58check: checksum mismatch");
  }
  return Bytes(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace nsl::neo
