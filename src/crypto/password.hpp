// nsl/crypto/password.hpp — password hashing with argon2id (RFC 9106) through libsodium.
//
// Hashes are PHC strings, `$argon2id$v=19$m=<KiB>,t=<ops>,p=1$<salt>$<hash>`, that carry their own
// salt and parameters, so stored hashes stay verifiable after the defaults change; call
// password_needs_rehash() after a successful login and store a fresh hash when it says so.
//
// Default cost (kPasswordDefaultParams): t=3, m=64 MiB, p=1 — OWASP's argon2id guidance allows
// m=46 MiB,t=1 or m=19 MiB,t=2 as minimums; this is stronger while a login still answers quickly.
// libsodium's MODERATE (t=3, m=256 MiB) is too slow and memory hungry for a login endpoint on a
// 2-core host. Measured on the 2-core dev host (libsodium 1.0.18, Debian 12, other builds running,
// load ~3): 160-200 ms per hash or verify (Password.DefaultParamsCost prints it). Memory is per
// concurrent hash: rate-limit logins so that N parallel logins * 64 MiB fits.
//
// Passwords are 1..1024 bytes (invalid_argument otherwise): the upper bound stops a client from
// making the server hash megabytes. Bytes are hashed as given (no Unicode normalisation here).
//
// Unknown users: call password_dummy_verify() instead of skipping the check, so the response time
// does not tell which user names exist.
//
// Thread-safety: all functions may run concurrently (libsodium is initialised once, thread-safely).
//
//   NSL_TRY_ASSIGN(std::string phc, nsl::crypto::password_hash(password));
//   if (user == nullptr) { nsl::crypto::password_dummy_verify(); return deny(); }
//   if (!nsl::crypto::password_verify(user->phc, password)) return deny();
//   if (nsl::crypto::password_needs_rehash(user->phc)) store(nsl::crypto::password_hash(password));
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret_string.hpp"

namespace nsl::crypto {

inline constexpr std::size_t kPasswordMaxBytes = 1024;

struct PasswordHashParams {
  std::uint64_t ops_limit;  // argon2 t (passes over memory), >= 1
  std::size_t mem_limit;    // bytes; argon2 m = mem_limit / 1024 KiB; 8 KiB .. 4 GiB
  friend bool operator==(const PasswordHashParams&, const PasswordHashParams&) = default;
};

// Production default, see the file comment.
inline constexpr PasswordHashParams kPasswordDefaultParams{3, std::size_t{64} << 20};
// Tests only: the cheapest argon2id libsodium accepts (t=1, m=8 KiB). Never for stored passwords.
inline constexpr PasswordHashParams kPasswordTestParams{1, std::size_t{8} << 10};

// A new PHC string with a random 16-byte salt. invalid_argument for an empty or over-long password
// or parameters out of range; internal if libsodium fails (out of memory).
Result<std::string> password_hash(const SecretString& password,
                                  const PasswordHashParams& params = kPasswordDefaultParams);

// True only when `phc` is a well-formed argon2id hash of `password`. Anything else — malformed,
// another algorithm, over-long, parameters beyond the cap below — is false, never a crash.
// Hashes asking for more than 1 GiB or t > 64 are refused unverified (a tampered row must not be
// able to make a login burn minutes of CPU).
bool password_verify(std::string_view phc, const SecretString& password) noexcept;

// True when `phc` was not made with exactly `params` (or is not a valid argon2id hash at all).
bool password_needs_rehash(std::string_view phc,
                           const PasswordHashParams& params = kPasswordDefaultParams) noexcept;

// Runs one argon2id verification with `params` against a fixed hash and discards the answer: the
// same cost as a real password_verify of a hash made with those parameters (the password's length
// barely matters to argon2). The fixed hash is made on first use per parameter set and cached (so
// the very first call costs about twice as much).
void password_dummy_verify(const PasswordHashParams& params = kPasswordDefaultParams) noexcept;

}  // namespace nsl::crypto
