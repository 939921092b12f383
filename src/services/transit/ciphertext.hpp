// nsl/services/transit/ciphertext.hpp — the text form of a transit ciphertext and the associated
// data a transit key encrypts under. Pure functions (fuzzed: fuzz/transit_ciphertext_fuzz.cpp).
//
// Format (format version 1):
//
//   nsl:v1:<key version>:<base64>
//
//   "nsl:"       fixed prefix
//   "v1"         the FORMAT version of this text (not a key version); other values are refused
//   key version  decimal, 1..4294967295, no sign, no leading zeros
//   base64       RFC 4648 §4 standard alphabet with '=' padding, canonical, of the enclave's data
//                ciphertext (enclave.hpp: 0x01 || salt(16) || nonce(12) || AES-256-GCM || tag(16)),
//                so at least kDataCiphertextOverhead (45) bytes
//
//   auto p = parse_ciphertext("nsl:v1:3:AUx0...");   // invalid_argument on anything else
//   std::string s = format_ciphertext(p->key_version, p->ciphertext);   // == the input
//
// A text that parses maps to exactly one (version, bytes) pair and back (format(parse(s)) == s).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace nsl::transit {

inline constexpr std::string_view kCiphertextPrefix = "nsl:v1:";
// Longest ciphertext text accepted: 32 KiB plaintext + overhead, base64, prefix; with slack.
inline constexpr std::size_t kMaxCiphertextText = 64 * 1024;

struct ParsedCiphertext {
  std::uint32_t key_version = 0;
  std::vector<std::uint8_t> ciphertext;  // the enclave's data ciphertext
};

// invalid_argument with a message naming what is wrong (never echoing the input).
Result<ParsedCiphertext> parse_ciphertext(std::string_view text);
std::string format_ciphertext(std::uint32_t key_version, std::span<const std::uint8_t> ciphertext);

// The associated data passed to the enclave for a key of `tenant_id` named `name`:
//   "nsl-transit-v1" || 0x00 || tenant_id || 0x00 || name || 0x00 || associated_data
// The key version is not in it: each version is a different enclave data key sealed under a binding
// that carries the version, so a ciphertext relabelled with another version is opened with another
// key and fails; and Enclave::data_rewrap takes one aad for both sides (see service.hpp).
std::vector<std::uint8_t> transit_aad(std::string_view tenant_id, std::string_view name,
                                      std::span<const std::uint8_t> associated_data);

}  // namespace nsl::transit
