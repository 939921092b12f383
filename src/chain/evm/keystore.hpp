// nsl/chain/evm/keystore.hpp — Web3 Secret Storage (keystore v3) decryption: the JSON key files of
// geth, MetaMask exports, ethers, web3.js, as the Web3 Secret Storage Definition specifies
// (ethereum.org/developers/docs/data-structures-and-encoding/web3-secret-storage):
//
//   derived    = KDF(passphrase as UTF-8 bytes, kdfparams)        dklen = 32
//                  "scrypt": n (power of two), r, p, salt         128*n*r <= 512 MiB
//                  "pbkdf2": prf "hmac-sha256", c, salt           c <= 10,000,000
//   mac        = keccak256(derived[16..32] || ciphertext)         must equal crypto.mac
//   privateKey = AES-128-CTR(key = derived[0..16], iv = cipherparams.iv, ciphertext)
//
// Strict: "version" must be 3, the cipher "aes-128-ctr", the ciphertext 32 bytes (a secp256k1
// scalar in [1, n)), every hex field well-formed; the "crypto" object (geth also writes "Crypto")
// and its kdfparams/cipherparams allow no unknown members. Top-level members other than version,
// crypto, id and address (e.g. ethers' "x-ethers") are ignored. When the file carries "address"
// (40 hex digits, optional 0x), the decrypted key must have that address.
//
// Errors (invalid_argument, "keystore: ..."): a MAC mismatch is kKeystoreWrongPassphrase
// (keystore_is_wrong_passphrase() is true); everything else names the malformed field.
//
// Reading key material needs a SecretAccess token from the caller (as chain/neo/nep2.hpp).
// Cost: one KDF run (geth's default scrypt n=262144, r=8: 256 MiB, ~1 s). Thread-safety: pure.
//
//   NSL_TRY_ASSIGN(auto k, nsl::evm::keystore_decrypt(json_text, passphrase, access));
//   k.address.to_checksum();
#pragma once

#include <string_view>

#include "chain/evm/address.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace nsl::evm {

inline constexpr std::string_view kKeystoreWrongPassphrase =
    "keystore: wrong passphrase (MAC mismatch)";

struct KeystoreKey {
  SecretBytes private_key;  // 32-byte big-endian secp256k1 scalar
  Address address;          // derived from the key (equal to the file's "address" when present)
};

Result<KeystoreKey> keystore_decrypt(std::string_view json_text, std::string_view passphrase,
                                     SecretAccess access);

bool keystore_is_wrong_passphrase(const Error& e) noexcept;

}  // namespace nsl::evm
