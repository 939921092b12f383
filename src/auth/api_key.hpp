// nsl/auth/api_key.hpp — API keys: generation, strict parsing, storage hash, constant-time check.
//
// Format: `nsl_<prefix>_<secret>`, 69 characters, all lowercase:
//   prefix  12 base32 characters (a-z2-7) = 60 random bits. Not secret: it is the lookup key of the
//           stored record (and safe to show in listings/logs to identify a key).
//   secret  52 base32 characters = 32 random bytes (256 bits; the last character carries 1 bit
//           of data and 4 zero bits, so only 'a' or 'q' can end a valid key).
// The fixed "nsl_" start lets secret scanners (GitHub, gitleaks) recognise leaked keys and lets the
// authenticator route a Bearer value to API-key or JWT checking without trying both.
//
// Storage: only hex(SHA-256(full token)) is stored. A fast hash is right here, unlike passwords:
// the secret is 256 uniformly random bits, so there is no dictionary to try and brute force is
// 2^256 whatever the hash costs; argon2 would only add ~100 ms of CPU to every API call.
// Comparison with the stored hash is constant time.
//
// Thread-safety: pure functions (generate_api_key reads the OS CSPRNG).
//
//   NewApiKey k = generate_api_key();            // store k.prefix + k.hash; show k.token ONCE
//   NSL_TRY_ASSIGN(auto parsed, parse_api_key(bearer));
//   auto rec = store.find_api_key(parsed.prefix);  // by prefix
//   if (!rec || !api_key_matches(rec->hash, bearer)) return err::unauthenticated("invalid API
//   key");
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret_string.hpp"

namespace nsl::auth {

inline constexpr std::string_view kApiKeyStart = "nsl_";
inline constexpr std::size_t kApiKeyPrefixChars = 12;
inline constexpr std::size_t kApiKeySecretBytes = 32;
inline constexpr std::size_t kApiKeySecretChars = 52;
inline constexpr std::size_t kApiKeyLength =
    kApiKeyStart.size() + kApiKeyPrefixChars + 1 + kApiKeySecretChars;  // 69

struct NewApiKey {
  std::string prefix;  // lookup key, not secret
  SecretString token;  // the full key; shown to the user once, never stored
  std::string hash;    // lowercase hex SHA-256 of `token`; what the store keeps
};

struct ParsedApiKey {
  std::string prefix;
};

NewApiKey generate_api_key();

// Strict: exactly kApiKeyLength characters of the shape above, lowercase alphabet, canonical last
// character. unauthenticated("malformed API key") otherwise — the message never echoes the input.
Result<ParsedApiKey> parse_api_key(std::string_view presented);

// Lowercase hex SHA-256 of the token as presented (no normalisation).
std::string api_key_hash(std::string_view token);

// Constant time in the token's content: hashes `presented_token` and compares digests with
// CRYPTO_memcmp. False when the stored hash is not 64 hex characters.
bool api_key_matches(std::string_view stored_hash_hex, std::string_view presented_token);

// True when a Bearer credential should be checked as an API key (starts with "nsl_"); JWTs start
// with "eyJ" and never match. Only routing: parse_api_key still decides validity.
bool looks_like_api_key(std::string_view bearer) noexcept;

}  // namespace nsl::auth
