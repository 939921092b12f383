// nsl/auth/totp.hpp — time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) for second-factor
// login, compatible with authenticator apps (Google Authenticator, Aegis, 1Password, ...).
//
// The shared secret is key material: it lives in SecretBytes (HMAC runs in crypto/ on it) and its
// base32 text is produced exactly once, at enrolment, to show the user (QR code of totp_uri()).
// Store the secret sealed like any other key, never the base32 text.
//
// Replay: totp_verify returns the time step that matched. The caller stores it per user and passes
// it back as `last_used_step`; a code for that step or any earlier one is then refused, so an
// observed code cannot be reused even inside its validity window.
//
// Defaults match what every authenticator app assumes: HMAC-SHA-1, 6 digits, 30 s, window of one
// step either side (clock skew). SHA-256/512 and 8 digits are supported but not universally by
// apps. Code comparison is constant time; all window candidates are always computed and compared.
//
// Thread-safety: pure functions (totp_generate_secret reads the OS CSPRNG).
//
//   auto s = nsl::auth::totp_generate_secret();            // at enrolment
//   NSL_TRY_ASSIGN(auto uri, nsl::auth::totp_uri("Neo Service Layer", "alice@example.com",
//                                               s.base32));  // show as QR once; store s.key sealed
//   NSL_TRY_ASSIGN(auto step, nsl::auth::totp_verify(key, code, now, {}, 1, user.last_totp_step));
//   user.last_totp_step = step;                             // persist before answering
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "core/secret_string.hpp"

namespace nsl::auth {

enum class TotpAlgorithm : std::uint8_t { sha1, sha256, sha512 };

struct TotpParams {
  TotpAlgorithm algorithm = TotpAlgorithm::sha1;
  int digits = 6;             // 6 or 8
  std::uint32_t period = 30;  // seconds per step, 1..300
};

// RFC 4226 §4 requires at least 128 bits of shared secret.
inline constexpr std::size_t kTotpMinSecretBytes = 16;
inline constexpr int kTotpMaxWindow = 10;

// "SHA1" / "SHA256" / "SHA512", as in the otpauth URI.
std::string_view totp_algorithm_name(TotpAlgorithm a) noexcept;

// The code for `unix_time` (seconds since the epoch, >= 0), zero-padded to params.digits.
// invalid_argument for bad params, a negative time or a secret under 16 bytes.
Result<std::string> totp_code(const SecretBytes& secret, std::int64_t unix_time,
                              const TotpParams& params = {});

// Checks `code` against the steps now-window .. now+window and returns the matching step
// (unix_time / period). unauthenticated when the code is malformed, matches no step, or matches
// only steps <= last_used_step (a replay). invalid_argument for bad params, secret or window
// (0..kTotpMaxWindow).
Result<std::uint64_t> totp_verify(const SecretBytes& secret, std::string_view code,
                                  std::int64_t now, const TotpParams& params = {}, int window = 1,
                                  std::optional<std::uint64_t> last_used_step = std::nullopt);

// A new random secret: the key (20 bytes for SHA-1, 32 for SHA-256, 64 for SHA-512 — RFC 6238's
// key sizes) and its base32 text (RFC 4648, uppercase, no padding) for the enrolment screen only.
struct TotpSecret {
  SecretBytes key;
  SecretString base32;
};
TotpSecret totp_generate_secret(TotpAlgorithm algorithm = TotpAlgorithm::sha1);

// The key from base32 text (either case, no padding, no spaces) — for importing an existing
// enrolment. invalid_argument if malformed or shorter than 16 bytes.
Result<SecretBytes> totp_secret_from_base32(const SecretString& base32);

// otpauth://totp/<Issuer>:<account>?secret=<base32>&issuer=<Issuer>&algorithm=SHA1&digits=6
// &period=30 (Google's Key Uri Format), issuer and account percent-encoded (RFC 3986 unreserved
// characters kept). The URI contains the secret, hence SecretString. invalid_argument when issuer
// or account is empty or contains ':' (the label separator), or the secret is not base32.
Result<SecretString> totp_uri(std::string_view issuer, std::string_view account,
                              const SecretString& secret_base32, const TotpParams& params = {});

}  // namespace nsl::auth
