#include "chain/evm/address.hpp"

#include <algorithm>

#include "core/strings.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/hash.hpp"

namespace nsl::evm {
namespace {

// The checksummed digits for 40 lowercase hex digits.
std::string checksum_digits(const std::string& lower) {
  const auto h = crypto::keccak256(crypto::as_bytes(lower));
  std::string out = lower;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint8_t nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0x0f);
    if (out[i] >= 'a' && out[i] <= 'f' && nibble >= 8) out[i] = static_cast<char>(out[i] - 32);
  }
  return out;
}

}  // namespace

std::string Address::to_lower_hex() const { return "0x" + to_hex(bytes); }

std::string Address::to_checksum() const { return "0x" + checksum_digits(to_hex(bytes)); }

Result<Address> address_from_public_key(crypto::ByteSpan sec1) {
  if (sec1.size() != 33 && sec1.size() != 65) {
    return err::invalid_argument("public key must be 33 (compressed) or 65 (uncompressed) bytes");
  }
  NSL_TRY_ASSIGN(const auto full, crypto::ec_decompress(crypto::Curve::secp256k1, sec1));
  const auto h = crypto::keccak256(crypto::ByteSpan(full).subspan(1));
  Address a;
  std::copy(h.begin() + 12, h.end(), a.bytes.begin());
  return a;
}

Result<Address> address_from_private_key(const SecretBytes& private_key) {
  NSL_TRY_ASSIGN(const auto pub,
                 crypto::ec_public_key_uncompressed(crypto::Curve::secp256k1, private_key));
  return address_from_public_key(pub);
}

Result<Address> address_from_bytes(crypto::ByteSpan b) {
  if (b.size() != 20) {
    return err::invalid_argument("address must be 20 bytes, got " + std::to_string(b.size()));
  }
  Address a;
  std::copy(b.begin(), b.end(), a.bytes.begin());
  return a;
}

Result<Address> parse_address(std::string_view text) {
  if (text.size() < 2 || text[0] != '0' || text[1] != 'x') {
    return err::invalid_argument("address must start with 0x");
  }
  const std::string_view digits = text.substr(2);
  if (digits.size() != 40) {
    return err::invalid_argument("address must have 40 hex digits, got " +
                                 std::to_string(digits.size()));
  }
  auto raw = from_hex(digits);
  if (!raw) return err::invalid_argument("address has a non-hex character");
  const bool has_lower =
      std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'a' && c <= 'f'; });
  const bool has_upper =
      std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  if (has_lower && has_upper && checksum_digits(ascii_lower(digits)) != digits) {
    return err::invalid_argument("address has an invalid EIP-55 checksum");
  }
  return address_from_bytes(*raw);
}

}  // namespace nsl::evm
