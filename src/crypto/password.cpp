#include "crypto/password.hpp"

#include <sodium.h>

#include <array>
#include <charconv>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "crypto/internal/sodium.hpp"

namespace nsl::crypto {
namespace {

constexpr std::string_view kPrefix = "$argon2id$v=19$";
// Caps on what a stored hash may ask of password_verify (see the header).
constexpr std::uint64_t kVerifyMaxMemKiB = std::uint64_t{1} << 20;  // 1 GiB
constexpr std::uint64_t kVerifyMaxOps = 64;

// libsodium wants a NUL-terminated string of at most crypto_pwhash_STRBYTES - 1 characters; a
// fixed buffer keeps the noexcept functions free of allocation.
using PhcBuffer = std::array<char, crypto_pwhash_STRBYTES>;

std::optional<PhcBuffer> terminated(std::string_view phc) noexcept {
  if (phc.size() >= crypto_pwhash_STRBYTES || phc.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  PhcBuffer buf{};
  std::memcpy(buf.data(), phc.data(), phc.size());
  return buf;
}

// Reads "<key>=<decimal>" at the front of `s` and advances past it.
std::optional<std::uint64_t> take_param(std::string_view& s, std::string_view key) noexcept {
  if (!s.starts_with(key) || s.size() <= key.size() || s[key.size()] != '=') return std::nullopt;
  s.remove_prefix(key.size() + 1);
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end == s.data()) return std::nullopt;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return v;
}

// True when `phc` is an argon2id v=19 hash whose cost is within the verification caps. libsodium
// does the full syntax check; this only looks at m and t before any memory is committed.
bool within_caps(std::string_view phc) noexcept {
  if (!phc.starts_with(kPrefix)) return false;
  phc.remove_prefix(kPrefix.size());
  const auto m = take_param(phc, "m");
  if (!m || !phc.starts_with(',')) return false;
  phc.remove_prefix(1);
  const auto t = take_param(phc, "t");
  return t && *m <= kVerifyMaxMemKiB && *t >= 1 && *t <= kVerifyMaxOps;
}

bool valid_password(const SecretString& password) noexcept {
  return !password.empty() && password.size() <= kPasswordMaxBytes;
}

Status check_params(const PasswordHashParams& p) {
  if (p.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      p.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
    return err::invalid_argument("password: ops_limit out of range");
  }
  if (p.mem_limit < crypto_pwhash_argon2id_MEMLIMIT_MIN || p.mem_limit > (std::size_t{4} << 30) ||
      p.mem_limit > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    return err::invalid_argument("password: mem_limit out of range");
  }
  return ok_status();
}

}  // namespace

Result<std::string> password_hash(const SecretString& password, const PasswordHashParams& params) {
  if (password.empty()) return err::invalid_argument("password must not be empty");
  if (password.size() > kPasswordMaxBytes) {
    return err::invalid_argument("password longer than 1024 bytes");
  }
  NSL_TRY(check_params(params));
  internal::ensure_sodium();
  PhcBuffer out{};
  const std::string_view pw = password.reveal();
  if (crypto_pwhash_str_alg(out.data(), pw.data(), pw.size(), params.ops_limit, params.mem_limit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return err::internal("password: hashing failed");  // libsodium: out of memory
  }
  return std::string(out.data());
}

bool password_verify(std::string_view phc, const SecretString& password) noexcept {
  if (!valid_password(password) || !within_caps(phc)) return false;
  const auto buf = terminated(phc);
  if (!buf) return false;
  internal::ensure_sodium();
  const std::string_view pw = password.reveal();
  return crypto_pwhash_argon2id_str_verify(buf->data(), pw.data(), pw.size()) == 0;
}

bool password_needs_rehash(std::string_view phc, const PasswordHashParams& params) noexcept {
  if (!phc.starts_with(kPrefix)) return true;
  const auto buf = terminated(phc);
  if (!buf) return true;
  internal::ensure_sodium();
  // 1 = different parameters, -1 = malformed: both mean "replace it".
  return crypto_pwhash_argon2id_str_needs_rehash(buf->data(), params.ops_limit, params.mem_limit) !=
         0;
}

void password_dummy_verify(const PasswordHashParams& params) noexcept {
  // A few parameter sets at most per process (normally one), so a small vector is enough.
  struct Entry {
    PasswordHashParams params;
    PhcBuffer phc;
  };
  static std::mutex mu;
  static std::vector<Entry> cache;
  std::optional<PhcBuffer> phc;
  try {
    std::lock_guard lock(mu);
    for (const auto& e : cache) {
      if (e.params == params) phc = e.phc;
    }
    if (!phc) {
      auto made = password_hash(SecretString("nsl-dummy-password"), params);
      if (!made.ok()) return;  // invalid params: a real verify with them cannot exist either
      auto buf = terminated(*made);
      if (!buf) return;
      cache.push_back({params, *buf});
      phc = *buf;
    }
  } catch (...) {
    return;  // bad_alloc: nothing sensible to do; the caller denies anyway
  }
  internal::ensure_sodium();
  // A password of typical length; the outcome is irrelevant (it never matches).
  static constexpr std::string_view kProbe = "not-the-dummy-password";
  [[maybe_unused]] const int ignored =
      crypto_pwhash_argon2id_str_verify(phc->data(), kProbe.data(), kProbe.size());
}

}  // namespace nsl::crypto
