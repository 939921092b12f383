// nsl/services/transit/internal/common.hpp — helpers shared by the transit service's key
// management (keys.cpp), data operations (service.cpp) and batches (batch.cpp). Not part of the
// module's interface. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "enclave/enclave.hpp"
#include "services/transit/repo.hpp"
#include "services/transit/service.hpp"
#include "store/db.hpp"

namespace nsl::transit {

// A key's row and the sealed versions (bytes) an operation asked for that exist.
struct TransitService::Loaded {
  repo::KeyRow key;
  std::map<std::uint32_t, enclave::Bytes> sealed;
};

namespace internal {

inline constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

// Binding{tenant, "transit:<name>", version, "data-key"} of a key version's sealed data key.
enclave::Binding binding(const store::TenantId& tenant, std::string_view name,
                         std::uint32_t version);
inline std::string resource_of(std::string_view name) { return "transit-key:" + std::string(name); }
const Actor& system_actor();

template <class T>
Status status_of(const Result<T>& r) {
  return r.ok() ? Status() : Status(r.error());
}

// The enclave's "does not open" / "malformed" answers for a caller's ciphertext: the caller's input
// is wrong (another key, tenant, version, associated data, or altered) -> invalid_argument. Other
// errors come back unchanged.
Error ciphertext_error(const Error& e);
// The same answers where only a stored key version was presented (a row altered or moved): logged,
// internal.
Error key_error(const Error& e, const store::TenantId& tenant, std::string_view name,
                std::uint32_t version);
TransitKey key_of(const repo::KeyRow& k);

}  // namespace internal
}  // namespace nsl::transit
