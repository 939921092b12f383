#include "chain/evm/eip191.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "crypto/hash.hpp"

namespace nsl::evm {

Bytes personal_message_prefixed(ByteSpan message) {
  constexpr std::string_view kPrefix =
      "\x19"
      "Ethereum Signed Message:\n";
  const std::string len = std::to_string(message.size());
  // Sized up front and filled with copies: GCC 12 misreports successive vector::insert calls
  // (-Wstringop-overflow, GCC PR 105651).
  Bytes out(kPrefix.size() + len.size() + message.size());
  auto it = std::copy(kPrefix.begin(), kPrefix.end(), out.begin());
  it = std::copy(len.begin(), len.end(), it);
  std::copy(message.begin(), message.end(), it);
  return out;
}

Hash32 personal_message_hash(ByteSpan message) {
  return crypto::keccak256(personal_message_prefixed(message));
}

Result<Signature65> personal_sign(const SecretBytes& private_key, ByteSpan message) {
  return sign_hash_65(private_key, personal_message_hash(message));
}

Result<Address> personal_recover(ByteSpan message, ByteSpan signature65) {
  return recover_address_65(personal_message_hash(message), signature65);
}

}  // namespace nsl::evm
