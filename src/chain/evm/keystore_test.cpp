#include "chain/evm/keystore.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "crypto/hash.hpp"
#include "crypto/mac.hpp"

#include "core/strings.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::evm {
namespace {

using nlohmann::json;

json vector_at(int i) { return crypto::testing::load_vectors("web3_keystore.json").at(i); }

TEST(Keystore, PublishedVectorsDecrypt) {
  for (int i = 0; i < 2; ++i) {
    const json v = vector_at(i);
    SCOPED_TRACE(v["id"].get<std::string>());
    auto k = keystore_decrypt(v["keystore"].dump(), v["password"].get<std::string>(),
                              SecretAccess::grant());
    if (v.contains("expected_error")) {
      ASSERT_FALSE(k.ok());
      EXPECT_NE(k.error().message().find(v["expected_error"].get<std::string>()),
                std::string::npos) << k.error();
      continue;
    }
    ASSERT_TRUE(k.ok()) << k.error();
    EXPECT_EQ(to_hex(k->private_key.reveal(SecretAccess::grant())), v["private_key"]);
    auto a = address_from_private_key(k->private_key);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(k->address, *a);
    if (v.contains("address")) {
      EXPECT_EQ(k->address.to_lower_hex(), v["address"]);
    }
  }
}

// A keystore built here with scrypt (n = 1024, r = 8, p = 1) from the published vector's key.
json scrypt_keystore(const std::string& password, const std::string& key_hex) {
  const crypto::Bytes salt(32, 0x5a), iv(16, 0x33);
  auto pw = crypto::as_bytes(password);
  auto dk = crypto::scrypt(pw, salt, 1024, 8, 1, 32).value();
  const auto d = dk.reveal(SecretAccess::grant());
  const crypto::Bytes key = *from_hex(key_hex);
  crypto::Bytes ct(32);
  int len = 0;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr, d.data(), iv.data());
  EVP_EncryptUpdate(ctx, ct.data(), &len, key.data(), 32);
  EVP_CIPHER_CTX_free(ctx);
  crypto::Bytes mac_in(d.begin() + 16, d.end());
  mac_in.insert(mac_in.end(), ct.begin(), ct.end());
  return json{{"version", 3},
              {"id", "00000000-0000-4000-8000-000000000000"},
              {"crypto",
               {{"cipher", "aes-128-ctr"},
                {"cipherparams", {{"iv", to_hex(iv)}}},
                {"ciphertext", to_hex(ct)},
                {"kdf", "scrypt"},
                {"kdfparams", {{"n", 1024}, {"r", 8}, {"p", 1}, {"dklen", 32}, {"salt", to_hex(salt)}}},
                {"mac", to_hex(crypto::keccak256(mac_in))}}}};
}

TEST(Keystore, ScryptKeystoreDecrypts) {
  const std::string key = vector_at(0)["private_key"];
  auto k = keystore_decrypt(scrypt_keystore("pässwörd", key).dump(), "pässwörd", SecretAccess::grant());
  ASSERT_TRUE(k.ok()) << k.error();
  EXPECT_EQ(to_hex(k->private_key.reveal(SecretAccess::grant())), key);
  auto wrong = keystore_decrypt(scrypt_keystore("pässwörd", key).dump(), "password", SecretAccess::grant());
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(keystore_is_wrong_passphrase(wrong.error()));
}

TEST(Keystore, WrongPassphraseIsAMacMismatch) {
  const json v = vector_at(0);
  auto k = keystore_decrypt(v["keystore"].dump(), "wrongpassword", SecretAccess::grant());
  ASSERT_FALSE(k.ok());
  EXPECT_TRUE(keystore_is_wrong_passphrase(k.error())) << k.error();
}

TEST(Keystore, AddressFieldMustMatch) {
  json v = vector_at(0);
  auto good = keystore_decrypt(v["keystore"].dump(), "testpassword", SecretAccess::grant());
  ASSERT_TRUE(good.ok());
  v["keystore"]["address"] = good->address.to_lower_hex().substr(2);
  EXPECT_TRUE(keystore_decrypt(v["keystore"].dump(), "testpassword", SecretAccess::grant()).ok());
  v["keystore"]["address"] = "0x" + std::string(40, '1');
  auto bad = keystore_decrypt(v["keystore"].dump(), "testpassword", SecretAccess::grant());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("address"), std::string::npos) << bad.error();
}

TEST(Keystore, StrictFormat) {
  const json base = vector_at(0)["keystore"];
  auto refused = [](const json& doc, std::string_view needle) {
    auto k = keystore_decrypt(doc.dump(), "testpassword", SecretAccess::grant());
    ASSERT_FALSE(k.ok()) << doc.dump();
    EXPECT_EQ(k.error().code(), ErrorCode::invalid_argument);
    EXPECT_FALSE(keystore_is_wrong_passphrase(k.error()));
    EXPECT_NE(k.error().message().find(needle), std::string::npos) << k.error();
  };
  json d = base;
  d["version"] = 1;
  refused(d, "version");
  d = base;
  d["crypto"]["cipher"] = "aes-128-cbc";
  refused(d, "cipher");
  d = base;
  d["crypto"]["kdf"] = "argon2";
  refused(d, "kdf");
  d = base;
  d["crypto"]["kdfparams"]["prf"] = "hmac-sha512";
  refused(d, "prf");
  d = base;
  d["crypto"]["kdfparams"]["dklen"] = 16;
  refused(d, "dklen");
  d = base;
  d["crypto"]["extra"] = 1;
  refused(d, "unknown member crypto.extra");
  d = base;
  d["crypto"]["cipherparams"]["iv"] = "00";
  refused(d, "iv");
  d = base;
  d["crypto"]["ciphertext"] = "zz";
  refused(d, "ciphertext");
  d = base;
  d["crypto"]["kdf"] = "scrypt";
  d["crypto"]["kdfparams"] = json{{"n", 3}, {"r", 8}, {"p", 1}, {"dklen", 32}, {"salt", "00"}};
  refused(d, "power of two");
  d["crypto"]["kdfparams"]["n"] = 1 << 22;
  refused(d, "512 MiB");
  refused(json::array(), "object");
  EXPECT_FALSE(keystore_decrypt("{not json", "x", SecretAccess::grant()).ok());
  // geth's capitalised "Crypto" is accepted.
  d = base;
  d["Crypto"] = d["crypto"];
  d.erase("crypto");
  EXPECT_TRUE(keystore_decrypt(d.dump(), "testpassword", SecretAccess::grant()).ok());
}

}  // namespace
}  // namespace nsl::evm
