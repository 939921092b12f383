#include "crypto/ct.hpp"

#include <openssl/crypto.h>

namespace nsl::crypto {

bool ct_equal(ByteSpan a, ByteSpan b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace nsl::crypto
