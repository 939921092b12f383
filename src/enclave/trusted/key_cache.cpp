#include "enclave/trusted/key_cache.hpp"

#include "crypto/hash.hpp"
#include "enclave/protocol/import_wrap.hpp"

namespace nsl::enclave::trusted {

CacheDigest sealed_cache_key(ByteView sealed, const Binding& binding) {
  const Bytes b = binding_aad(binding);
  Bytes in;
  in.reserve(4 + sealed.size() + b.size());
  const auto n = static_cast<std::uint32_t>(sealed.size());
  for (int shift = 24; shift >= 0; shift -= 8) in.push_back(static_cast<std::uint8_t>(n >> shift));
  in.insert(in.end(), sealed.begin(), sealed.end());
  in.insert(in.end(), b.begin(), b.end());
  return crypto::sha256(in);
}

}  // namespace nsl::enclave::trusted
