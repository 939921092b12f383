// nsl/crypto/internal/sodium.hpp — one-time libsodium initialisation. Internal to src/crypto.
#pragma once

namespace nsl::crypto::internal {

// Calls sodium_init() once (thread-safe static initialisation); aborts if libsodium cannot
// initialise.
void ensure_sodium() noexcept;

}  // namespace nsl::crypto::internal
