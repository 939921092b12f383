#include "chain/evm/keystore.hpp"

#include <openssl/evp.h>
#include <string.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/json_strict.hpp"
#include "core/strings.hpp"
#include "crypto/ct.hpp"
#include "crypto/hash.hpp"
#include "crypto/mac.hpp"

namespace nsl::evm {
namespace {

using nlohmann::json;
using crypto::Bytes;
using ByteView = crypto::ByteSpan;

constexpr std::size_t kKeySize = 32;
constexpr std::uint64_t kMaxScryptBytes = 512ULL * 1024 * 1024;
constexpr std::uint64_t kMaxPbkdf2Iterations = 10'000'000;
constexpr std::size_t kMaxPassphrase = 1024;
constexpr std::size_t kMaxDocument = 64 * 1024;

Error fail(const std::string& msg) { return err::invalid_argument("keystore: " + msg); }

Status only(const json& obj, std::string_view where, std::initializer_list<std::string_view> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (auto a : allowed) ok = ok || it.key() == a;
    if (!ok) return fail("unknown member " + std::string(where) + it.key());
  }
  return {};
}

Result<Bytes> hex_field(const json& obj, const char* name, std::string_view where,
                        std::size_t min_size, std::size_t max_size) {
  if (!obj.contains(name) || !obj[name].is_string())
    return fail(std::string(where) + name + " (hex string) is required");
  std::string_view s = obj[name].get_ref<const std::string&>();
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  auto b = from_hex(s);
  if (!b || b->size() < min_size || b->size() > max_size)
    return fail(std::string(where) + name + " must be " +
                (min_size == max_size ? std::to_string(min_size)
                                      : std::to_string(min_size) + ".." + std::to_string(max_size)) +
                " bytes of hex");
  return std::move(*b);
}

Result<std::uint64_t> uint_field(const json& obj, const char* name, std::string_view where,
                                 std::uint64_t min, std::uint64_t max) {
  if (!obj.contains(name) || !obj[name].is_number_unsigned())
    return fail(std::string(where) + name + " (unsigned integer) is required");
  const std::uint64_t v = obj[name].get<std::uint64_t>();
  if (v < min || v > max)
    return fail(std::string(where) + name + " must be from " + std::to_string(min) + " to " +
                std::to_string(max));
  return v;
}

Result<SecretBytes> derive(const json& crypto_obj, ByteView passphrase, SecretAccess access) {
  if (!crypto_obj.contains("kdf") || !crypto_obj["kdf"].is_string())
    return fail("crypto.kdf (string) is required");
  const std::string kdf = crypto_obj["kdf"];
  if (!crypto_obj.contains("kdfparams") || !crypto_obj["kdfparams"].is_object())
    return fail("crypto.kdfparams (object) is required");
  const json& p = crypto_obj["kdfparams"];
  if (kdf == "scrypt") {
    NSL_TRY(only(p, "crypto.kdfparams.", {"n", "r", "p", "dklen", "salt"}));
    NSL_TRY_ASSIGN(std::uint64_t n, uint_field(p, "n", "crypto.kdfparams.", 2, 1ULL << 30));
    NSL_TRY_ASSIGN(std::uint64_t r, uint_field(p, "r", "crypto.kdfparams.", 1, 1024));
    NSL_TRY_ASSIGN(std::uint64_t pp, uint_field(p, "p", "crypto.kdfparams.", 1, 1024));
    NSL_TRY(uint_field(p, "dklen", "crypto.kdfparams.", kKeySize, kKeySize));
    NSL_TRY_ASSIGN(Bytes salt, hex_field(p, "salt", "crypto.kdfparams.", 0, 1024));
    if ((n & (n - 1)) != 0) return fail("crypto.kdfparams.n must be a power of two");
    if (128 * n * r > kMaxScryptBytes)
      return fail("scrypt parameters need more than 512 MiB (128*n*r)");
    return crypto::scrypt(passphrase, salt, n, static_cast<std::uint32_t>(r),
                          static_cast<std::uint32_t>(pp), kKeySize);
  }
  if (kdf == "pbkdf2") {
    NSL_TRY(only(p, "crypto.kdfparams.", {"c", "prf", "dklen", "salt"}));
    NSL_TRY_ASSIGN(std::uint64_t c, uint_field(p, "c", "crypto.kdfparams.", 1, kMaxPbkdf2Iterations));
    NSL_TRY(uint_field(p, "dklen", "crypto.kdfparams.", kKeySize, kKeySize));
    if (!p.contains("prf") || p["prf"] != "hmac-sha256")
      return fail("crypto.kdfparams.prf must be \"hmac-sha256\"");
    NSL_TRY_ASSIGN(Bytes salt, hex_field(p, "salt", "crypto.kdfparams.", 0, 1024));
    SecretBytes out(kKeySize);
    const int ok = PKCS5_PBKDF2_HMAC(
        reinterpret_cast<const char*>(passphrase.data()), static_cast<int>(passphrase.size()),
        salt.data(), static_cast<int>(salt.size()), static_cast<int>(c), EVP_sha256(),
        static_cast<int>(kKeySize), out.reveal_mut(access).data());
    if (ok != 1) return err::internal("keystore: PBKDF2 failed");
    return out;
  }
  return fail("crypto.kdf must be \"scrypt\" or \"pbkdf2\"");
}

}  // namespace

Result<KeystoreKey> keystore_decrypt(std::string_view json_text, std::string_view passphrase,
                                     SecretAccess access) {
  if (json_text.size() > kMaxDocument) return fail("document larger than 64 KiB");
  if (passphrase.size() > kMaxPassphrase) return fail("passphrase longer than 1024 bytes");
  auto parsed = parse_json_strict(json_text, 8);
  if (!parsed.ok()) return fail("not a JSON document: " + parsed.error().message());
  const json& doc = *parsed;
  if (!doc.is_object()) return fail("not a JSON object");
  if (!doc.contains("version") || !doc["version"].is_number_unsigned() || doc["version"] != 3)
    return fail("version must be 3");
  const char* crypto_name = doc.contains("crypto") ? "crypto" : "Crypto";
  if (doc.contains("crypto") && doc.contains("Crypto")) return fail("both crypto and Crypto");
  if (!doc.contains(crypto_name) || !doc[crypto_name].is_object())
    return fail("crypto (object) is required");
  const json& c = doc[crypto_name];
  NSL_TRY(only(c, "crypto.", {"cipher", "cipherparams", "ciphertext", "kdf", "kdfparams", "mac"}));
  if (!c.contains("cipher") || c["cipher"] != "aes-128-ctr")
    return fail("crypto.cipher must be \"aes-128-ctr\"");
  if (!c.contains("cipherparams") || !c["cipherparams"].is_object())
    return fail("crypto.cipherparams (object) is required");
  NSL_TRY(only(c["cipherparams"], "crypto.cipherparams.", {"iv"}));
  NSL_TRY_ASSIGN(Bytes iv, hex_field(c["cipherparams"], "iv", "crypto.cipherparams.", 16, 16));
  NSL_TRY_ASSIGN(Bytes ciphertext, hex_field(c, "ciphertext", "crypto.", kKeySize, kKeySize));
  NSL_TRY_ASSIGN(Bytes mac, hex_field(c, "mac", "crypto.", 32, 32));
  std::optional<Bytes> want_address;
  if (doc.contains("address")) {
    NSL_TRY_ASSIGN(Bytes a, hex_field(doc, "address", "", 20, 20));
    want_address = std::move(a);
  }

  const auto* pp = reinterpret_cast<const std::uint8_t*>(passphrase.data());
  NSL_TRY_ASSIGN(SecretBytes derived, derive(c, ByteView(pp, passphrase.size()), access));
  const auto dk = derived.reveal(access);

  Bytes mac_input(dk.begin() + 16, dk.end());
  mac_input.insert(mac_input.end(), ciphertext.begin(), ciphertext.end());
  const auto computed = crypto::keccak256(mac_input);
  explicit_bzero(mac_input.data(), 16);
  if (!crypto::ct_equal(computed, mac)) return err::invalid_argument(std::string(kKeystoreWrongPassphrase));

  SecretBytes key(kKeySize);
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  int len = 0, fin = 0;
  auto out = key.reveal_mut(access);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, dk.data(), iv.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext.data(),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1 ||
      static_cast<std::size_t>(len + fin) != kKeySize) {
    return err::internal("keystore: AES-128-CTR failed");
  }
  auto address = address_from_private_key(key);
  if (!address.ok()) return fail("the decrypted key is not a valid secp256k1 private key");
  if (want_address && !std::equal(want_address->begin(), want_address->end(), address->bytes.begin()))
    return fail("the decrypted key does not have the file's address");
  return KeystoreKey{.private_key = std::move(key), .address = *address};
}

bool keystore_is_wrong_passphrase(const Error& e) noexcept {
  return e.code() == ErrorCode::invalid_argument && e.message() == kKeystoreWrongPassphrase;
}

}  // namespace nsl::evm
