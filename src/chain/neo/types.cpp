#include "chain/neo/types.hpp"

#include <algorithm>

#include "core/strings.hpp"

namespace nsl::neo {

template <std::size_t N>
std::string FixedHash<N>::to_string() const {
  std::array<std::uint8_t, N> rev = bytes;
  std::reverse(rev.begin(), rev.end());
  return "0x" + to_hex(rev);
}

template <std::size_t N>
Result<FixedHash<N>> FixedHash<N>::from_raw(crypto::ByteSpan raw) {
  if (raw.size() != N) {
    return err::invalid_argument("UInt" + std::to_string(N * 8) + ": expected " +
                                 std::to_string(N) + " bytes, got " + std::to_string(raw.size()));
  }
  FixedHash h;
  std::copy(raw.begin(), raw.end(), h.bytes.begin());
  return h;
}

template <std::size_t N>
Result<FixedHash<N>> FixedHash<N>::parse(std::string_view display) {
  const std::string name = "UInt" + std::to_string(N * 8);
  std::string_view s = display;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.size() != 2 * N) {
    return err::invalid_argument(name + ": expected " + std::to_string(2 * N) +
                                 " hex digits (optionally prefixed by 0x), got " +
                                 std::to_string(s.size()));
  }
  auto raw = from_hex(s);
  if (!raw) return err::invalid_argument(name + ": not hexadecimal");
  std::reverse(raw->begin(), raw->end());
  return from_raw(*raw);
}

template struct FixedHash<20>;
template struct FixedHash<32>;

}  // namespace nsl::neo
