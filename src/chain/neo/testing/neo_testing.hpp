// nsl/chain/neo/testing/neo_testing.hpp — helpers for the neo module's tests (test-only,
// header-only).
//
// The tests need to READ keys produced by wif_decode/nep2_decrypt and pass a SecretAccess token to
// wif_encode/nep2_encrypt, which in production come from crypto/ or enclave/trusted/ callers. The
// token is minted here, in this one test-only line, so the library itself never mints one.
// NOTE for the SecretAccess grep rule (core/secret_bytes.hpp): this header is the only match in
// src/chain/neo; it is test code, like the crypto tests the rule already allows.
#pragma once

#include <string>

#include "core/secret_bytes.hpp"
#include "core/strings.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::neo::testing {

using crypto::testing::hex;
using crypto::testing::hex_of;
using crypto::testing::load_vectors;

inline SecretAccess access() { return SecretAccess::grant(); }

inline std::string secret_hex(const SecretBytes& s) { return to_hex(s.reveal(access())); }

}  // namespace nsl::neo::testing
