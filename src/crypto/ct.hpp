// nsl/crypto/ct.hpp — constant-time comparison of byte strings (MACs, tags, tokens, digests of
// secrets).
//
// The running time depends on the lengths only, never on the contents; spans of different lengths
// compare unequal immediately (lengths are treated as public). Backed by OpenSSL's CRYPTO_memcmp.
// For SecretBytes use SecretBytes::equals (same guarantee).
// Thread-safety: pure function.
//
//   if (!nsl::crypto::ct_equal(expected, presented)) return err::unauthenticated("bad mac");
#pragma once

#include "crypto/bytes.hpp"

namespace nsl::crypto {

bool ct_equal(ByteSpan a, ByteSpan b) noexcept;

}  // namespace nsl::crypto
