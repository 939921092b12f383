#include "chain/evm/hex.hpp"

#include "core/strings.hpp"

namespace nsl::evm {

std::string to_0x_hex(crypto::ByteSpan bytes) { return "0x" + to_hex(bytes); }

Result<crypto::Bytes> parse_0x_hex(std::string_view s, std::string_view what) {
  const std::string prefix(what);
  if (s.size() < 2 || s[0] != '0' || s[1] != 'x') {
    return err::invalid_argument(prefix + ": hex string must start with 0x");
  }
  s.remove_prefix(2);
  if (s.size() % 2 != 0) return err::invalid_argument(prefix + ": odd number of hex digits");
  auto bytes = from_hex(s);
  if (!bytes) return err::invalid_argument(prefix + ": invalid hex digit");
  return std::move(*bytes);
}

}  // namespace nsl::evm
