#include "chain/neo/nep2.hpp"

#include <openssl/evp.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <vector>

#include "chain/neo/base58.hpp"
#include "chain/neo/internal/wipe.hpp"
#include "crypto/hash.hpp"
#include "crypto/mac.hpp"

namespace nsl::neo {
namespace {

constexpr auto kCurve = crypto::Curve::secp256r1;
constexpr std::array<std::uint8_t, 3> kPrefix = {0x01, 0x42, 0xE0};
constexpr std::size_t kPayloadSize = 39;  // prefix 3 + address hash 4 + encrypted key 32

template <class T>
void wipe_vec(std::vector<T>& v) noexcept {
  if (!v.empty()) explicit_bzero(v.data(), v.size() * sizeof(T));
}

Error fail(const std::string& msg) { return err::invalid_argument("nep2: " + msg); }

// NFC(passphrase) as UTF-8, in SecretBytes; every intermediate buffer is wiped.
Result<SecretBytes> nfc_passphrase(std::string_view utf8) {
  if (utf8.size() > kNep2MaxPassphrase) {
    return fail("passphrase longer than " + std::to_string(kNep2MaxPassphrase) + " bytes");
  }
  if (utf8.empty()) return SecretBytes();
  UErrorCode st = U_ZERO_ERROR;
  int32_t len16 = 0;
  u_strFromUTF8(nullptr, 0, &len16, utf8.data(), static_cast<int32_t>(utf8.size()), &st);
  if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) return fail("passphrase is not valid UTF-8");
  std::vector<UChar> u16(static_cast<std::size_t>(len16) + 1);
  st = U_ZERO_ERROR;
  u_strFromUTF8(u16.data(), static_cast<int32_t>(u16.size()), &len16, utf8.data(),
                static_cast<int32_t>(utf8.size()), &st);
  if (U_FAILURE(st)) {
    wipe_vec(u16);
    return fail("passphrase is not valid UTF-8");
  }
  const UNormalizer2* nfc = unorm2_getNFCInstance(&st);
  if (U_FAILURE(st)) {
    wipe_vec(u16);
    return err::internal("nep2: ICU NFC normalizer unavailable");
  }
  // NFC may change the length: preflight for the exact size.
  int32_t norm_len = unorm2_normalize(nfc, u16.data(), len16, nullptr, 0, &st);
  std::vector<UChar> norm(static_cast<std::size_t>(norm_len) + 1);
  st = U_ZERO_ERROR;
  norm_len =
      unorm2_normalize(nfc, u16.data(), len16, norm.data(), static_cast<int32_t>(norm.size()), &st);
  wipe_vec(u16);
  if (U_FAILURE(st)) {
    wipe_vec(norm);
    return err::internal("nep2: NFC normalization failed");
  }
  int32_t len8 = 0;
  st = U_ZERO_ERROR;
  u_strToUTF8(nullptr, 0, &len8, norm.data(), norm_len, &st);
  std::vector<char> out(static_cast<std::size_t>(len8) + 1);
  st = U_ZERO_ERROR;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &len8, norm.data(), norm_len, &st);
  wipe_vec(norm);
  if (U_FAILURE(st)) {
    wipe_vec(out);
    return err::internal("nep2: UTF-8 conversion failed");
  }
  SecretBytes result = SecretBytes::copy_of(
      {reinterpret_cast<const std::uint8_t*>(out.data()), static_cast<std::size_t>(len8)});
  wipe_vec(out);
  return result;
}

// One AES-256 block operation pair in ECB mode without padding; `in` and `out` are 32 bytes.
bool aes256_ecb(bool encrypt, ByteSpan key, ByteSpan in, std::uint8_t* out) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  if (!ctx || key.size() != 32 || in.size() != 32) return false;
  int len = 0;
  int fin = 0;
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_ecb(), nullptr, key.data(), nullptr,
                        encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out, &len, in.data(), 32) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out + len, &fin) != 1) {
    return false;
  }
  return len + fin == 32;
}

std::array<std::uint8_t, 4> address_hash(std::string_view address) {
  const auto d = crypto::hash256(crypto::as_bytes(address));
  return {d[0], d[1], d[2], d[3]};
}

// scrypt(NFC(passphrase), address_hash, params, 64).
Result<SecretBytes> derive(std::string_view passphrase, ByteSpan salt, const ScryptParams& p) {
  NSL_TRY_ASSIGN(SecretBytes pass, nfc_passphrase(passphrase));
  auto derived = crypto::scrypt(pass, salt, p.n, p.r, p.p, 64);
  if (!derived) return fail("scrypt: " + derived.error().message());
  return std::move(derived).value();
}

Result<std::string> key_address(const SecretBytes& key, std::uint8_t version) {
  auto pub = crypto::ec_public_key(kCurve, key);
  if (!pub) return pub.error();
  return public_key_to_address(*pub, version);
}

}  // namespace

Result<std::string> nep2_encrypt(const SecretBytes& private_key, std::string_view passphrase,
                                 SecretAccess access, const ScryptParams& params,
                                 std::uint8_t address_version) {
  if (!crypto::ec_check_private_key(kCurve, private_key).ok()) {
    return fail("not a valid secp256r1 private key");
  }
  NSL_TRY_ASSIGN(std::string address, key_address(private_key, address_version));
  const auto ahash = address_hash(address);
  NSL_TRY_ASSIGN(SecretBytes derived, derive(passphrase, ahash, params));
  const ByteSpan d = derived.reveal(access);
  const ByteSpan k = private_key.reveal(access);
  SecretBytes xored(32);
  auto x = xored.reveal_mut(access);
  for (std::size_t i = 0; i < 32; ++i) x[i] = static_cast<std::uint8_t>(k[i] ^ d[i]);

  // prefix (3) || address hash (4) || the two AES blocks written below. (Filled in place: GCC 12 with
  // -fsanitize=thread warns, wrongly, on growing a vector built from the 3-byte prefix.)
  Bytes payload(kPayloadSize);
  std::copy(kPrefix.begin(), kPrefix.end(), payload.begin());
  std::copy(ahash.begin(), ahash.end(), payload.begin() + static_cast<std::ptrdiff_t>(kPrefix.size()));
  if (!aes256_ecb(true, d.subspan(32), x, payload.data() + 7)) {
    return err::internal("nep2: AES-256-ECB failed");
  }
  return base58check_encode(payload);
}

Result<SecretBytes> nep2_decrypt(std::string_view nep2, std::string_view passphrase,
                                 SecretAccess access, const ScryptParams& params,
                                 std::uint8_t address_version) {
  auto decoded = base58check_decode(nep2);
  if (!decoded) return fail(decoded.error().message());
  const Bytes& data = *decoded;
  if (data.size() != kPayloadSize) {
    return fail("decoded payload is " + std::to_string(data.size()) + " bytes, expected 39");
  }
  if (data[0] != kPrefix[0] || data[1] != kPrefix[1]) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "prefix 0x%02x 0x%02x is not 0x01 0x42", data[0], data[1]);
    return fail(buf);
  }
  if (data[2] != kPrefix[2]) {
    char buf[80];
    std::snprintf(buf, sizeof buf,
                  "flag byte 0x%02x is not 0xe0 (only non-EC-multiply, compressed keys)", data[2]);
    return fail(buf);
  }
  const ByteSpan ahash = ByteSpan(data).subspan(3, 4);
  NSL_TRY_ASSIGN(SecretBytes derived, derive(passphrase, ahash, params));
  const ByteSpan d = derived.reveal(access);

  SecretBytes key(32);
  auto k = key.reveal_mut(access);
  if (!aes256_ecb(false, d.subspan(32), ByteSpan(data).subspan(7, 32), k.data())) {
    return err::internal("nep2: AES-256-ECB failed");
  }
  for (std::size_t i = 0; i < 32; ++i) k[i] = static_cast<std::uint8_t>(k[i] ^ d[i]);

  // A wrong passphrase yields a random 32-byte string; it is a valid scalar with overwhelming
  // probability and then fails the address-hash check.
  auto address = key_address(key, address_version);
  if (!address) return err::invalid_argument(std::string(kNep2WrongPassphrase));
  const auto got = address_hash(*address);
  if (!std::equal(got.begin(), got.end(), ahash.begin())) {
    return err::invalid_argument(std::string(kNep2WrongPassphrase));
  }
  return key;
}

bool nep2_is_wrong_passphrase(const Error& e) noexcept {
  return e.code() == ErrorCode::invalid_argument && e.message() == kNep2WrongPassphrase;
}

}  // namespace nsl::neo
