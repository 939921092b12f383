// nsl/core/base64.hpp — Base64 (RFC 4648 §4) and base64url (RFC 4648 §5), strict decoders.
//
//   std::string s = base64url_encode(bytes);           // no padding (JOSE, RFC 7515 §2)
//   auto raw = base64url_decode(s);                    // nullopt on anything non-canonical
//   if (!raw) return err::invalid_argument("bad base64url");
//
// Decoders accept exactly one spelling per byte string, so a signed text cannot be re-spelled
// (malleated) into another accepted text: no whitespace, no characters of the other alphabet,
// non-zero unused bits in the last character are rejected, and the padding rule is fixed per
// variant (standard: padding required, length % 4 == 0; url: no padding, length % 4 != 1).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nsl {

// Standard alphabet (+ /) with '=' padding.
std::string base64_encode(std::span<const std::uint8_t> bytes);
// URL-safe alphabet (- _), no padding.
std::string base64url_encode(std::span<const std::uint8_t> bytes);
inline std::string base64url_encode(std::string_view text) {
  return base64url_encode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

// Standard alphabet; padding required (length a multiple of 4); canonical trailing bits.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);
// URL-safe alphabet; no padding; length % 4 != 1; canonical trailing bits.
std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

}  // namespace nsl
