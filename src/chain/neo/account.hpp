// nsl/chain/neo/account.hpp — N3 keys and accounts: WIF, verification ("redeem") scripts, script
// hashes and addresses.
//
// Formats (neo-project/neo: src/Neo/Wallets/KeyPair.cs Export, Wallet.cs GetPrivateKeyFromWIF,
// src/Neo/SmartContract/Contract.cs, src/Neo/Wallets/Helper.cs ToAddress/ToScriptHash):
//   WIF             Base58Check(0x80 || 32-byte key || 0x01); N3 only uses compressed keys.
//   single-sig      PUSHDATA1 33 <compressed key> SYSCALL System.Crypto.CheckSig
//                   = 0c 21 <key> 41 56e7b327 (40 bytes).
//   m-of-n multisig PUSH m, PUSHDATA1 33 <key> for each key in N3's ECPoint order, PUSH n,
//                   SYSCALL System.Crypto.CheckMultisig (41 9ed0dc3a); 1 <= m <= n <= 1024.
//   script hash     UInt160 = RIPEMD-160(SHA-256(script)), raw order.
//   address         Base58Check(0x35 || script hash raw); 0x35 is ProtocolSettings.AddressVersion
//                   of MainNet and TestNet (addresses start with 'N').
//
// Key order in multisig scripts: Contract.CreateMultiSigRedeemScript sorts with
// publicKeys.OrderBy(p => p), i.e. ECPoint.CompareTo (src/Neo/Cryptography/ECC/ECPoint.cs), which
// compares the X coordinates as integers and, when equal, the Y coordinates. That is NOT the order
// of the 33-byte encodings (02/03 prefix first): 03||X1 sorts before 02||X2 when X1 < X2.
// N3 accepts duplicate keys there; this module rejects them (such an account is never intended).
//
// Private keys stay in SecretBytes. Functions that must READ a key take a SecretAccess token from
// the caller (crypto/ or enclave/trusted/ code mints it): this module never mints one itself.
//
// Thread-safety: pure functions.
//
//   NSL_TRY_ASSIGN(auto key, nsl::neo::wif_decode(wif));
//   NSL_TRY_ASSIGN(auto pub, nsl::crypto::ec_public_key(nsl::crypto::Curve::secp256r1, key));
//   std::string addr = nsl::neo::to_address(nsl::neo::script_hash(
//       nsl::neo::signature_redeem_script(pub).value()));
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chain/neo/types.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "core/secret_string.hpp"
#include "crypto/bytes.hpp"
#include "crypto/ecdsa.hpp"

namespace nsl::neo {

using crypto::Bytes;
using crypto::ByteSpan;
using PublicKey = crypto::CompressedPublicKey;

inline constexpr std::uint8_t kAddressVersion = 0x35;
inline constexpr std::uint8_t kWifVersion = 0x80;
inline constexpr std::uint8_t kWifCompressedFlag = 0x01;
inline constexpr std::size_t kMaxMultisigKeys = 1024;  // Contract.CreateMultiSigRedeemScript
inline constexpr std::size_t kSignatureRedeemScriptSize = 40;

// --- WIF -----------------------------------------------------------------------------------------
// invalid_argument unless the key is a valid secp256r1 scalar. The result is key material.
Result<SecretString> wif_encode(const SecretBytes& private_key, SecretAccess access);
// Precise errors: Base58Check problems, payload length (an uncompressed-key WIF is 33 bytes),
// version byte, compression flag, and a key outside 1..n-1.
Result<SecretBytes> wif_decode(std::string_view wif);

// --- verification scripts ------------------------------------------------------------------------
// public_key: compressed or uncompressed SEC1; checked on the curve and compressed.
Result<Bytes> signature_redeem_script(ByteSpan public_key);
// The same script for a key the caller already knows to be a valid compressed point (one it
// derived from a private key, or checked when it stored it): no point decoding, which costs a
// modular square root. An invalid key gives a script no signature can satisfy.
Bytes signature_redeem_script_unchecked(const PublicKey& compressed);
Result<Bytes> multisig_redeem_script(std::size_t m, std::span<const PublicKey> public_keys);

// <0, 0, >0 as ECPoint.CompareTo (X, then Y, as integers). Keys must be valid points.
int compare_public_keys(const PublicKey& a, const PublicKey& b);

// Shape checks as N3's Helper.IsSignatureContract / IsMultiSigContract
// (src/Neo/SmartContract/Helper.cs). They do not validate the points.
std::optional<PublicKey> parse_signature_contract(ByteSpan script);
struct MultisigContract {
  std::size_t m = 0;
  std::vector<PublicKey> keys;  // as they appear (n = keys.size())
};
std::optional<MultisigContract> parse_multisig_contract(ByteSpan script);

// --- script hashes and addresses -----------------------------------------------------------------
UInt160 script_hash(ByteSpan script);
std::string to_address(const UInt160& script_hash, std::uint8_t version = kAddressVersion);
// Precise errors: Base58Check problems, decoded length != 21, version byte != `version`.
Result<UInt160> address_to_script_hash(std::string_view address,
                                       std::uint8_t version = kAddressVersion);
// Address of the single-sig account of a public key (compressed or uncompressed SEC1).
Result<std::string> public_key_to_address(ByteSpan public_key,
                                          std::uint8_t version = kAddressVersion);

}  // namespace nsl::neo
