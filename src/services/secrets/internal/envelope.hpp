// nsl/services/secrets/internal/envelope.hpp — helpers shared by the secrets service's value path
// (service.cpp) and its data-key management (envelope.cpp). Not part of the module's interface.
//
// A tenant's envelope data keys are sealed by the enclave under
// Binding{tenant, "kv-data-key", version, "data-key"} (service.hpp). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "enclave/enclave.hpp"
#include "store/db.hpp"

namespace nsl::secrets::internal {

inline constexpr std::string_view kDataKeyObject = "kv-data-key";
inline constexpr std::string_view kDataKeyPurpose = "data-key";

enclave::Binding key_binding(const store::TenantId& tenant, std::uint32_t version);

// Stored lowercase hex → bytes; internal when the column is not hex.
Result<enclave::Bytes> bytes_of(const std::string& hex, std::string_view what);

// Maps the enclave's "does not open" (permission_denied) and "malformed" (invalid_argument)
// answers about a stored value or data key to internal (a row altered or moved: a data-integrity
// fault, not the caller's), logging tenant, path, version and `what` (encrypt, decrypt, rewrap),
// never a value. Other errors (unavailable, deadline_exceeded) come back unchanged.
Error integrity_error(const Error& e, const store::TenantId& tenant, std::string_view path,
                      std::uint32_t version, std::string_view what);

}  // namespace nsl::secrets::internal
