// nsl/chain/neo/nep2.hpp — NEP-2 passphrase-protected private keys (the "6P..." strings of NEP-6
// wallets), as neo-project/neo src/Neo/Wallets/KeyPair.cs Export(passphrase, ...) and
// Wallet.GetPrivateKeyFromNEP2 implement them (non-EC-multiply mode, compressed keys):
//
//   address_hash = SHA-256(SHA-256(ASCII address of the key's single-sig account))[0..4]
//   derived      = scrypt(NFC(passphrase) as UTF-8, salt = address_hash, N, r, p, dkLen = 64)
//   encrypted    = AES-256-ECB(key = derived[32..64], derived[0..32] XOR private key), no padding
//   nep2         = Base58Check(01 42 e0 || address_hash || encrypted)     (39 bytes, 58 chars)
//
// Defaults N = 16384, r = 8, p = 8 (the NEP-2 standard and N3's defaults; NEP-6 wallets may carry
// other parameters, hence ScryptParams). The passphrase is normalized to Unicode NFC first, as the
// NEP-2 text and neo-go require; neo-project/neo uses the UTF-8 bytes as given, which is the same
// for any passphrase already in NFC (every ASCII one). Passphrases must be valid UTF-8 and at
// most kNep2MaxPassphrase bytes.
//
// Decryption errors (all invalid_argument) come in two categories:
//   wrong passphrase  the decrypted key does not reproduce the address hash (or is not a valid
//                     scalar): message kNep2WrongPassphrase; nep2_is_wrong_passphrase() is true.
//   malformed         Base58Check failures ("nep2: base58check: checksum mismatch", ...), wrong
//                     length, prefix or flag byte, bad scrypt parameters, bad passphrase encoding.
//
// Both directions read key material, so they take a SecretAccess token from the caller (crypto/ or
// enclave/trusted/ code mints it); this module never mints one.
//
// Cost: one scrypt per call (16 MiB and ~50 ms with the defaults). Thread-safety: pure functions.
//
//   NSL_TRY_ASSIGN(std::string enc, nsl::neo::nep2_encrypt(key, "passphrase", access));
//   auto back = nsl::neo::nep2_decrypt(enc, "passphrase", access);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chain/neo/account.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace nsl::neo {

struct ScryptParams {
  std::uint64_t n = 16384;
  std::uint32_t r = 8;
  std::uint32_t p = 8;
};

inline constexpr std::size_t kNep2MaxPassphrase = 1024;  // bytes of UTF-8, before normalization
inline constexpr std::string_view kNep2WrongPassphrase =
    "nep2: wrong passphrase (address hash mismatch)";

Result<std::string> nep2_encrypt(const SecretBytes& private_key, std::string_view passphrase,
                                 SecretAccess access, const ScryptParams& params = {},
                                 std::uint8_t address_version = kAddressVersion);

Result<SecretBytes> nep2_decrypt(std::string_view nep2, std::string_view passphrase,
                                 SecretAccess access, const ScryptParams& params = {},
                                 std::uint8_t address_version = kAddressVersion);

// True for the "wrong passphrase" category of nep2_decrypt errors.
bool nep2_is_wrong_passphrase(const Error& e) noexcept;

}  // namespace nsl::neo
