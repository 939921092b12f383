#include "auth/api_key.hpp"

#include <string.h>  // explicit_bzero

#include <array>

#include "auth/internal/base32.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"
#include "crypto/ct.hpp"
#include "crypto/hash.hpp"

namespace nsl::auth {
namespace {

using internal::Base32Case;

static_assert(internal::base32_encoded_size(kApiKeySecretBytes) == kApiKeySecretChars);
static_assert(kApiKeyLength == 69);

}  // namespace

NewApiKey generate_api_key() {
  // 8 random bytes encode to 13 base32 characters; the first 12 carry exactly 60 random bits.
  std::array<std::uint8_t, 8> prefix_bytes{};
  random_bytes(prefix_bytes);
  std::string prefix = internal::base32_encode(prefix_bytes, Base32Case::lower);
  prefix.resize(kApiKeyPrefixChars);

  std::array<std::uint8_t, kApiKeySecretBytes> secret{};
  random_bytes(secret);
  std::string secret_text = internal::base32_encode(secret, Base32Case::lower);
  explicit_bzero(secret.data(), secret.size());

  std::string token;
  token.reserve(kApiKeyLength);  // no reallocation: no stray copies of the secret
  token.append(kApiKeyStart).append(prefix).append(1, '_').append(secret_text);
  SecretString::wipe(secret_text);

  NewApiKey out;
  out.hash = api_key_hash(token);
  out.prefix = std::move(prefix);
  out.token = SecretString::take(token);
  return out;
}

Result<ParsedApiKey> parse_api_key(std::string_view presented) {
  const auto malformed = [] { return err::unauthenticated("malformed API key"); };
  if (presented.size() != kApiKeyLength || !presented.starts_with(kApiKeyStart)) return malformed();
  const std::string_view rest = presented.substr(kApiKeyStart.size());
  const std::string_view prefix = rest.substr(0, kApiKeyPrefixChars);
  if (rest[kApiKeyPrefixChars] != '_') return malformed();
  const std::string_view secret = rest.substr(kApiKeyPrefixChars + 1);
  if (!internal::is_base32_lower(prefix) || !internal::is_base32_lower(secret)) return malformed();
  // 52 characters hold 260 bits for 256: the last character's low 4 bits must be zero.
  const char last = secret.back();
  if (last != 'a' && last != 'q') return malformed();
  return ParsedApiKey{std::string(prefix)};
}

std::string api_key_hash(std::string_view token) {
  return to_hex(crypto::sha256(crypto::as_bytes(token)));
}

bool api_key_matches(std::string_view stored_hash_hex, std::string_view presented_token) {
  if (stored_hash_hex.size() != 64) return false;
  const auto stored = from_hex(stored_hash_hex);
  if (!stored) return false;
  const auto presented = crypto::sha256(crypto::as_bytes(presented_token));
  return crypto::ct_equal(*stored, presented);
}

bool looks_like_api_key(std::string_view bearer) noexcept {
  return bearer.starts_with(kApiKeyStart);
}

}  // namespace nsl::auth
