// Fuzz target `base58check`: the input as text -> nsl::neo::base58_decode, base58check_decode (chain/neo/base58.hpp),
// address_to_script_hash and wif_decode (chain/neo/account.hpp): the decoders of addresses, WIF and NEP-2 strings.
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - base58_decode ok => base58_encode(bytes) == text (Base58 is a bijection: leading '1's are zero bytes);
//   - base58check_decode ok => base58_decode ok, payload = decoded minus 4 bytes, base58check_encode(payload) == text;
//     base58check_decode ok <=> base58_decode ok, >= 4 bytes and the checksum matches;
//   - address_to_script_hash ok => a 21-byte 0x35-prefixed Base58Check payload and to_address(hash) == text;
//   - wif_decode ok => a 34-byte 0x80 ... 0x01 payload and wif_encode(key) == text;
//   - every error is invalid_argument; no exception escapes.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "chain/neo/account.hpp"
#include "chain/neo/base58.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/hash.hpp"
#include "fuzz_check.hpp"

namespace {

using nsl::fuzz::check;
using nsl::fuzz::hex;
using nsl::fuzz::same_bytes;
namespace neo = nsl::neo;
constexpr const char* kName = "base58check";

void check_error(const nsl::Error& e) {
  check(e.code() == nsl::ErrorCode::invalid_argument, kName, "error is not invalid_argument", e.message());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto plain = neo::base58_decode(text);
    if (plain.ok()) {
      check(neo::base58_encode(*plain) == text, kName, "base58_encode(base58_decode(s)) != s", hex(*plain));
    } else {
      check_error(plain.error());
    }

    auto payload = neo::base58check_decode(text);
    bool expect_check = false;
    if (plain.ok() && plain->size() >= neo::kBase58CheckSumSize) {
      const std::size_t n = plain->size() - neo::kBase58CheckSumSize;
      const auto sum = nsl::crypto::hash256(nsl::crypto::ByteSpan(*plain).first(n));
      expect_check = same_bytes(nsl::crypto::ByteSpan(sum).first(4), nsl::crypto::ByteSpan(*plain).subspan(n));
    }
    check(payload.ok() == expect_check, kName, "base58check_decode disagrees with base58_decode + checksum");
    if (payload.ok()) {
      check(same_bytes(*payload, nsl::crypto::ByteSpan(*plain).first(plain->size() - 4)), kName,
            "base58check payload is not the decoded bytes minus the checksum");
      check(neo::base58check_encode(*payload) == text, kName, "base58check_encode(base58check_decode(s)) != s");
    } else {
      check_error(payload.error());
    }

    auto hash = neo::address_to_script_hash(text);
    if (hash.ok()) {
      check(payload.ok() && payload->size() == 21 && (*payload)[0] == neo::kAddressVersion, kName,
            "address accepted without a 21-byte 0x35 payload");
      check(neo::to_address(*hash) == text, kName, "to_address(address_to_script_hash(a)) != a");
    } else {
      check_error(hash.error());
    }

    auto key = neo::wif_decode(text);
    if (key.ok()) {
      check(payload.ok() && payload->size() == 34 && (*payload)[0] == neo::kWifVersion &&
                (*payload)[33] == neo::kWifCompressedFlag,
            kName, "WIF accepted without a 34-byte 0x80 ... 0x01 payload");
      // fuzz/ is test code: it mints the token the way chain/neo/testing/neo_testing.hpp does.
      auto wif = neo::wif_encode(*key, nsl::SecretAccess::grant());
      check(wif.ok() && wif->reveal() == text, kName, "wif_encode(wif_decode(w)) != w");
    } else {
      check_error(key.error());
    }
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "exception escaped", e.what());
  }
  return 0;
}
