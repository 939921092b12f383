// Fuzz target `evm_tx`: raw bytes -> nsl::evm::decode_signed_transaction (the strict decoder for untrusted raw
// transactions, chain/evm/tx.hpp), with the default options and with allow_pre_eip155 + an expected chain id.
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - decode ok => encode_signed_transaction(tx, sig) == input; raw == input; hash == keccak256(input);
//     validate_transaction passes; recover_sender gives `from` again; decode_json does not throw, is an object with
//     the same hash, type and y-parity, and dumps as JSON;
//   - the default decode (no pre-EIP-155) succeeds only if the permissive decode does, with the same result;
//     a decode restricted to chain id 47763 succeeds exactly when the default one does with that chain id (or a
//     pre-EIP-155 chain id 0, which is valid on every chain);
//   - every error is invalid_argument; no exception escapes.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "chain/evm/hex.hpp"
#include "chain/evm/tx.hpp"
#include "chain/evm/tx_json.hpp"
#include "crypto/hash.hpp"
#include "fuzz_check.hpp"

namespace {

using nsl::fuzz::check;
using nsl::fuzz::hex;
using nsl::fuzz::same_bytes;
namespace evm = nsl::evm;
constexpr const char* kName = "evm_tx";

void check_error(const nsl::Error& e) {
  check(e.code() == nsl::ErrorCode::invalid_argument, kName, "error is not invalid_argument", e.message());
}

bool same(const evm::SignedTx& a, const evm::SignedTx& b) {
  return a.tx == b.tx && a.sig == b.sig && a.from == b.from && a.raw == b.raw && a.hash == b.hash;
}

void check_decoded(const evm::SignedTx& s, nsl::crypto::ByteSpan raw) {
  check(same_bytes(s.raw, raw), kName, "raw differs from the input");
  const auto keccak = nsl::crypto::keccak256(raw);
  check(same_bytes(s.hash, keccak), kName, "hash != keccak256(input)");
  check(evm::validate_transaction(s.tx).ok(), kName, "decoded transaction fails validate_transaction");
  check(s.sig.y_parity <= 1, kName, "y_parity out of range");

  auto again = evm::encode_signed_transaction(s.tx, s.sig);
  check(again.ok(), kName, "encode_signed_transaction of a decoded transaction failed",
        again ? "" : again.error().message());
  check(same_bytes(*again, raw), kName, "encode_signed_transaction(decode(x)) != x", hex(*again));

  auto from = evm::recover_sender(s.tx, s.sig);
  check(from.ok() && *from == s.from, kName, "recover_sender differs from the decoded sender");
  check(evm::signing_hash(s.tx).ok(), kName, "signing_hash of a decoded transaction failed");

  try {
    const nlohmann::json j = evm::decode_json(s);
    check(j.is_object(), kName, "decode_json is not an object");
    check(j.at("hash") == evm::to_0x_hex(s.hash), kName, "decode_json hash", j.dump());
    check(j.at("type") == static_cast<int>(s.tx.type), kName, "decode_json type", j.dump());
    check(j.at("y_parity") == s.sig.y_parity, kName, "decode_json y_parity", j.dump());
    check(j.at("from") == s.from.to_checksum(), kName, "decode_json from", j.dump());
    check(j.at("chain_id").is_null() == (s.tx.chain_id == 0), kName, "decode_json chain_id", j.dump());
    (void)j.dump();
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "decode_json threw", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nsl::crypto::ByteSpan raw(data, size);
  try {
    auto strict = evm::decode_signed_transaction(raw);
    auto permissive = evm::decode_signed_transaction(raw, {.allow_pre_eip155 = true});
    if (!permissive.ok()) {
      check_error(permissive.error());
      check(!strict.ok(), kName, "the default decode accepts what allow_pre_eip155 rejects");
      check_error(strict.error());
      return 0;
    }
    check_decoded(*permissive, raw);
    if (strict.ok()) {
      check(same(*strict, *permissive), kName, "default and allow_pre_eip155 decodes differ");
      check(strict->tx.chain_id != 0, kName, "the default decode accepted a pre-EIP-155 transaction");
    } else {
      check_error(strict.error());
      check(permissive->tx.chain_id == 0, kName, "the default decode rejects an EIP-155 transaction",
            strict.error().message());
    }
    auto neox = evm::decode_signed_transaction(
        raw, {.allow_pre_eip155 = true, .expected_chain_id = evm::kNeoXMainNetChainId});
    const bool chain_ok = permissive->tx.chain_id == 0 || permissive->tx.chain_id == evm::kNeoXMainNetChainId;
    check(neox.ok() == chain_ok, kName, "expected_chain_id filter is wrong");
    if (neox.ok()) check(same(*neox, *permissive), kName, "expected_chain_id decode differs");
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "exception escaped", e.what());
  }
  return 0;
}
