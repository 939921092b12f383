#include "auth/totp.hpp"

#include <string.h>  // explicit_bzero

#include <array>
#include <vector>

#include "auth/internal/base32.hpp"
#include "core/random.hpp"
#include "crypto/ct.hpp"
#include "crypto/mac.hpp"

namespace nsl::auth {
namespace {

using internal::Base32Case;

Status check(const SecretBytes& secret, const TotpParams& p) {
  if (p.digits != 6 && p.digits != 8) return err::invalid_argument("totp: digits must be 6 or 8");
  if (p.period == 0 || p.period > 300)
    return err::invalid_argument("totp: period must be 1..300 s");
  if (p.algorithm != TotpAlgorithm::sha1 && p.algorithm != TotpAlgorithm::sha256 &&
      p.algorithm != TotpAlgorithm::sha512) {
    return err::invalid_argument("totp: unknown algorithm");
  }
  if (secret.size() < kTotpMinSecretBytes) {
    return err::invalid_argument("totp: secret shorter than 16 bytes");
  }
  return ok_status();
}

// RFC 4226 §5.3 dynamic truncation of the HMAC of the big-endian step counter.
template <std::size_t N>
std::uint32_t truncate(const std::array<std::uint8_t, N>& h) {
  const std::size_t off = h[N - 1] & 0x0f;
  return (static_cast<std::uint32_t>(h[off] & 0x7f) << 24) |
         (static_cast<std::uint32_t>(h[off + 1]) << 16) |
         (static_cast<std::uint32_t>(h[off + 2]) << 8) | static_cast<std::uint32_t>(h[off + 3]);
}

// The zero-padded code for one step; params already checked.
std::array<char, 8> code_for_step(const SecretBytes& secret, std::uint64_t step,
                                  const TotpParams& p) {
  std::array<std::uint8_t, 8> counter{};
  for (int i = 7; i >= 0; --i) {
    counter[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(step);
    step >>= 8;
  }
  std::uint32_t bin = 0;
  switch (p.algorithm) {
    case TotpAlgorithm::sha1:
      bin = truncate(crypto::hmac_sha1(secret, counter));
      break;
    case TotpAlgorithm::sha256:
      bin = truncate(crypto::hmac_sha256(secret, counter));
      break;
    case TotpAlgorithm::sha512:
      bin = truncate(crypto::hmac_sha512(secret, counter));
      break;
  }
  std::array<char, 8> out{};
  for (int i = p.digits - 1; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>('0' + bin % 10);
    bin /= 10;
  }
  return out;
}

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void append_percent_encoded(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : s) {
    if (is_unreserved(c)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0f]);
    }
  }
}

std::size_t key_size(TotpAlgorithm a) {
  switch (a) {
    case TotpAlgorithm::sha256:
      return 32;
    case TotpAlgorithm::sha512:
      return 64;
    case TotpAlgorithm::sha1:
      break;
  }
  return 20;
}

}  // namespace

std::string_view totp_algorithm_name(TotpAlgorithm a) noexcept {
  switch (a) {
    case TotpAlgorithm::sha256:
      return "SHA256";
    case TotpAlgorithm::sha512:
      return "SHA512";
    case TotpAlgorithm::sha1:
      break;
  }
  return "SHA1";
}

Result<std::string> totp_code(const SecretBytes& secret, std::int64_t unix_time,
                              const TotpParams& params) {
  NSL_TRY(check(secret, params));
  if (unix_time < 0) return err::invalid_argument("totp: time before the epoch");
  const auto step = static_cast<std::uint64_t>(unix_time) / params.period;
  const auto code = code_for_step(secret, step, params);
  return std::string(code.data(), static_cast<std::size_t>(params.digits));
}

Result<std::uint64_t> totp_verify(const SecretBytes& secret, std::string_view code,
                                  std::int64_t now, const TotpParams& params, int window,
                                  std::optional<std::uint64_t> last_used_step) {
  NSL_TRY(check(secret, params));
  if (window < 0 || window > kTotpMaxWindow) return err::invalid_argument("totp: window 0..10");
  if (now < 0) return err::invalid_argument("totp: time before the epoch");
  bool shape_ok = code.size() == static_cast<std::size_t>(params.digits);
  for (const char c : code) shape_ok = shape_ok && c >= '0' && c <= '9';
  if (!shape_ok) return err::unauthenticated("invalid one-time code");

  const auto current = static_cast<std::int64_t>(static_cast<std::uint64_t>(now) / params.period);
  // Every candidate is computed and compared, whatever matched earlier, so the time taken does not
  // depend on where (or whether) the code matched.
  bool matched_fresh = false;
  bool matched_used = false;
  std::uint64_t best = 0;
  for (std::int64_t s = current - window; s <= current + window; ++s) {
    if (s < 0) continue;
    const auto step = static_cast<std::uint64_t>(s);
    const auto expected = code_for_step(secret, step, params);
    const bool eq = crypto::ct_equal(
        crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(expected.data()), code.size()),
        crypto::as_bytes(code));
    const bool used = last_used_step.has_value() && step <= *last_used_step;
    if (eq && used) matched_used = true;
    if (eq && !used) {
      matched_fresh = true;
      best = step;  // steps ascend: the latest fresh match wins
    }
  }
  if (matched_fresh) return best;
  if (matched_used) return err::unauthenticated("one-time code already used");
  return err::unauthenticated("invalid one-time code");
}

TotpSecret totp_generate_secret(TotpAlgorithm algorithm) {
  std::array<std::uint8_t, 64> buf{};
  const std::span<std::uint8_t> bytes(buf.data(), key_size(algorithm));
  random_bytes(bytes);
  std::string text = internal::base32_encode(bytes, Base32Case::upper);
  TotpSecret out{SecretBytes::copy_of(bytes), SecretString::take(text)};
  explicit_bzero(buf.data(), buf.size());
  return out;
}

Result<SecretBytes> totp_secret_from_base32(const SecretString& base32) {
  auto decoded = internal::base32_decode(base32.reveal());
  if (!decoded) return err::invalid_argument("totp: secret is not valid base32");
  SecretBytes key = SecretBytes::copy_of(*decoded);
  explicit_bzero(decoded->data(), decoded->size());
  if (key.size() < kTotpMinSecretBytes) {
    return err::invalid_argument("totp: secret shorter than 16 bytes");
  }
  return key;
}

Result<SecretString> totp_uri(std::string_view issuer, std::string_view account,
                              const SecretString& secret_base32, const TotpParams& params) {
  if (issuer.empty() || account.empty()) {
    return err::invalid_argument("totp: issuer and account must not be empty");
  }
  if (issuer.find(':') != std::string_view::npos || account.find(':') != std::string_view::npos) {
    return err::invalid_argument("totp: issuer and account must not contain ':'");
  }
  auto decoded = internal::base32_decode(secret_base32.reveal());
  if (!decoded || decoded->empty())
    return err::invalid_argument("totp: secret is not valid base32");
  explicit_bzero(decoded->data(), decoded->size());
  std::string uri;
  // One allocation up front: growing would leave unwiped copies of the secret in freed memory.
  uri.reserve(64 + 6 * issuer.size() + 3 * account.size() + secret_base32.size());
  uri = "otpauth://totp/";
  append_percent_encoded(uri, issuer);
  uri += ':';
  append_percent_encoded(uri, account);
  uri += "?secret=";
  uri += secret_base32.reveal();
  uri += "&issuer=";
  append_percent_encoded(uri, issuer);
  uri += "&algorithm=";
  uri += totp_algorithm_name(params.algorithm);
  uri += "&digits=";
  uri += std::to_string(params.digits);
  uri += "&period=";
  uri += std::to_string(params.period);
  return SecretString::take(uri);
}

}  // namespace nsl::auth
