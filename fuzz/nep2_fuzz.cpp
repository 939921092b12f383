// Fuzz target `nep2`: the NEP-2 string parsing and validation path of nsl::neo::nep2_decrypt (chain/neo/nep2.hpp):
// Base58Check, payload length (39), prefix 0x01 0x42, flag byte 0xe0, then the passphrase (NFC via ICU), scrypt,
// AES-256-ECB and the address-hash check.
//
// Input: the NEP-2 text, optionally followed by a NUL byte and the passphrase (UTF-8, fed to NFC normalization);
// without a NUL the passphrase is "pw". scrypt runs with the smallest parameters crypto::scrypt accepts
// (N = 2, r = 1, p = 1: N must be a power of two >= 2, r and p >= 1), so an execution costs microseconds instead
// of the ~50 ms of NEP-2's N = 16384, r = 8, p = 8; the parsing path does not depend on them. The seeds that
// decrypt were encrypted with those parameters (see fuzz/README.md).
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - success only for a well-formed string: Base58Check decodes to 39 bytes starting 01 42 e0; the key is 32
//     bytes and nep2_encrypt(key, passphrase) with the same parameters gives the input text back (NEP-2
//     encryption is deterministic);
//   - a malformed string (bad Base58Check, length, prefix or flag) is rejected as malformed, never as
//     "wrong passphrase";
//   - a well-formed string that fails is "wrong passphrase" (nep2_is_wrong_passphrase), or, for a fuzzed
//     passphrase, a passphrase error; every error is invalid_argument; no exception escapes.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "chain/neo/base58.hpp"
#include "chain/neo/nep2.hpp"
#include "core/secret_bytes.hpp"
#include "fuzz_check.hpp"

namespace {

using nsl::fuzz::check;
namespace neo = nsl::neo;
constexpr const char* kName = "nep2";
constexpr neo::ScryptParams kFastScrypt{.n = 2, .r = 1, .p = 1};

bool well_formed(std::string_view text) {
  auto payload = neo::base58check_decode(text);
  return payload.ok() && payload->size() == 39 && (*payload)[0] == 0x01 && (*payload)[1] == 0x42 &&
         (*payload)[2] == 0xe0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  const bool fuzzed_passphrase = nul != std::string_view::npos;
  const std::string_view passphrase = fuzzed_passphrase ? input.substr(nul + 1) : std::string_view("pw");
  // fuzz/ is test code: it mints the token the way chain/neo/testing/neo_testing.hpp does.
  const nsl::SecretAccess access = nsl::SecretAccess::grant();
  try {
    const bool shape = well_formed(text);
    auto key = neo::nep2_decrypt(text, passphrase, access, kFastScrypt);
    if (key.ok()) {
      check(shape, kName, "nep2_decrypt accepted a malformed NEP-2 string");
      check(key->size() == 32, kName, "decrypted key is not 32 bytes");
      auto again = neo::nep2_encrypt(*key, passphrase, access, kFastScrypt);
      check(again.ok(), kName, "nep2_encrypt of a decrypted key failed", again ? "" : again.error().message());
      check(*again == text, kName, "nep2_encrypt(nep2_decrypt(s)) != s", *again);
      return 0;
    }
    const nsl::Error& e = key.error();
    check(e.code() == nsl::ErrorCode::invalid_argument, kName, "error is not invalid_argument", e.message());
    check(e.message().rfind("nep2: ", 0) == 0 || neo::nep2_is_wrong_passphrase(e), kName,
          "error message does not start with \"nep2: \"", e.message());
    if (!shape) {
      check(!neo::nep2_is_wrong_passphrase(e), kName, "malformed NEP-2 string reported as a wrong passphrase",
            e.message());
    } else if (!fuzzed_passphrase) {
      check(neo::nep2_is_wrong_passphrase(e), kName, "well-formed NEP-2 string rejected as malformed", e.message());
    } else {
      check(neo::nep2_is_wrong_passphrase(e) || e.message().find("passphrase") != std::string::npos, kName,
            "well-formed NEP-2 string rejected for a reason other than the passphrase", e.message());
    }
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "exception escaped", e.what());
  }
  return 0;
}
