// nsl/attest/sim_quote.hpp — the simulated quote of the nsl sim enclave (no TEE): producer, parser
// and signature check.
//
// Format, exactly 204 bytes (integers little-endian):
//   [0,8)     magic, ASCII "NSLSIMQT"
//   [8,10)    u16 version = 1
//   [10,12)   u16 reserved = 0
//   [12,44)   measurement: SHA-256 of the enclave binary
//   [44,108)  report_data (the caller's binding, e.g. SHA-512(purpose || public key || nonce))
//   [108,140) Ed25519 public key of the simulated quoting key
//   [140,204) Ed25519 signature over bytes [0,140)
//
// A sim quote proves nothing about hardware: anyone holding a quoting key can make one. Verifiers
// reject it unless explicitly allowed (attestation.allow_simulated) and can pin the quoting key.
// Thread-safety: pure functions.
//
//   auto kp = nsl::crypto::ed25519_generate();
//   NSL_TRY_ASSIGN(auto quote, sim_quote_create(kp, measurement, report_data));
//   NSL_TRY_ASSIGN(auto sq, sim_quote_parse(quote));        // checks layout and signature
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/bytes.hpp"
#include "crypto/ed25519.hpp"

namespace nsl::attest {

inline constexpr std::size_t kSimQuoteSize = 204;
inline constexpr std::size_t kSimQuoteSignedSize = 140;
inline constexpr std::uint16_t kSimQuoteVersion = 1;

struct SimQuote {
  std::uint16_t version = 0;
  std::array<std::uint8_t, 32> measurement{};
  std::array<std::uint8_t, 64> report_data{};
  crypto::Ed25519PublicKey quoting_key{};
  crypto::Ed25519Signature signature{};
};

// True when `quote` starts with the magic "NSLSIMQT" (any length; says nothing about validity).
bool is_sim_quote(crypto::ByteSpan quote) noexcept;

// measurement: 32 bytes; report_data: 64 bytes. invalid_argument on other sizes.
Result<crypto::Bytes> sim_quote_create(const crypto::Ed25519KeyPair& quoting_key,
                                       crypto::ByteSpan measurement, crypto::ByteSpan report_data);
// The same with the quoting key given as its 32-byte Ed25519 seed (RFC 8032 private key). A
// 64-byte libsodium secret key is refused: its public half cannot be read outside crypto/.
Result<crypto::Bytes> sim_quote_create(const SecretBytes& ed25519_seed,
                                       crypto::ByteSpan measurement, crypto::ByteSpan report_data);

// Layout only (size, magic, version, reserved); the signature is NOT checked.
Result<SimQuote> sim_quote_decode(crypto::ByteSpan quote);
// Layout and signature: invalid_argument for a malformed quote, unauthenticated when the Ed25519
// signature does not verify under the embedded quoting key.
Result<SimQuote> sim_quote_parse(crypto::ByteSpan quote);
bool sim_quote_signature_valid(crypto::ByteSpan quote) noexcept;

}  // namespace nsl::attest
