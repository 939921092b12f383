// Fuzz target `neo_tx`: raw bytes -> nsl::neo::deserialize and deserialize_unsigned (the strict N3 transaction
// codec, chain/neo/tx.hpp), checking what a strict, canonical decoder promises.
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - deserialize ok  => serialize reproduces the input byte for byte; validate passes; tx_hash succeeds and equals
//     SHA-256 of serialize_unsigned, which is a proper prefix of the input; serialize_unsigned decodes with
//     deserialize_unsigned to the same transaction without witnesses; the input itself is NOT an unsigned
//     transaction (the witness array is left over); decode_json does not throw and reports valid, the same hash
//     and the input's size, and dumps as JSON; verify_witnesses and estimate_network_fee return (any result);
//   - deserialize_unsigned ok => serialize_unsigned reproduces the input, no witnesses, tx_hash = SHA-256(input);
//   - every error is invalid_argument; no exception escapes.
// ASan/UBSan check memory and undefined behaviour on every input.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "chain/neo/tx.hpp"
#include "chain/neo/tx_json.hpp"
#include "crypto/hash.hpp"
#include "fuzz_check.hpp"

namespace {

using nsl::fuzz::check;
using nsl::fuzz::hex;
using nsl::fuzz::same_bytes;
namespace neo = nsl::neo;
constexpr const char* kName = "neo_tx";

void check_error(const nsl::Error& e, const char* what) {
  check(e.code() == nsl::ErrorCode::invalid_argument, kName, what, e.message());
  check(!e.message().empty(), kName, "empty error message");
}

void check_json(const neo::Transaction& tx, const neo::UInt256& hash, std::size_t size) {
  try {
    const nlohmann::json j = neo::decode_json(tx, neo::kMainNetMagic);
    check(j.is_object(), kName, "decode_json is not an object");
    check(j.at("valid") == true, kName, "decode_json says a decoded transaction is invalid", j.dump());
    check(j.at("hash") == hash.to_string(), kName, "decode_json hash differs from tx_hash", j.dump());
    check(j.at("size") == size, kName, "decode_json size differs from the input size", j.dump());
    check(j.at("signers").size() == tx.signers.size(), kName, "decode_json signer count");
    check(j.at("witnesses").size() == tx.witnesses.size(), kName, "decode_json witness count");
    (void)j.dump();  // throws on invalid UTF-8 in a string
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "decode_json threw", e.what());
  }
}

void signed_tx(nsl::crypto::ByteSpan raw) {
  auto tx = neo::deserialize(raw);
  if (!tx.ok()) {
    check_error(tx.error(), "deserialize error is not invalid_argument");
    return;
  }
  check(neo::validate(*tx).ok(), kName, "decoded transaction fails validate()");
  auto again = neo::serialize(*tx);
  check(again.ok(), kName, "serialize of a decoded transaction failed", again ? "" : again.error().message());
  check(same_bytes(*again, raw), kName, "serialize(deserialize(x)) != x", hex(*again));

  auto unsigned_part = neo::serialize_unsigned(*tx);
  check(unsigned_part.ok(), kName, "serialize_unsigned of a decoded transaction failed");
  check(unsigned_part->size() < raw.size() && same_bytes(*unsigned_part, raw.first(unsigned_part->size())), kName,
        "serialize_unsigned is not a proper prefix of the signed encoding");
  auto hash = neo::tx_hash(*tx);
  check(hash.ok(), kName, "tx_hash of a decoded transaction failed");
  const auto sha = nsl::crypto::sha256(*unsigned_part);
  check(same_bytes(hash->bytes, sha), kName, "tx_hash != SHA-256(serialize_unsigned)");

  auto u = neo::deserialize_unsigned(*unsigned_part);
  check(u.ok(), kName, "deserialize_unsigned(serialize_unsigned(tx)) failed", u ? "" : u.error().message());
  neo::Transaction stripped = *tx;
  stripped.witnesses.clear();
  check(*u == stripped, kName, "deserialize_unsigned(serialize_unsigned(tx)) != tx without witnesses");
  check(!neo::deserialize_unsigned(raw).ok(), kName, "a signed transaction also decodes as an unsigned one");

  check_json(*tx, *hash, raw.size());
  // Offline witness check and fee estimate: any result, but no crash (they parse the witness scripts).
  (void)neo::verify_witnesses(*tx, neo::kMainNetMagic);
  (void)neo::estimate_network_fee(*tx);
}

void unsigned_tx(nsl::crypto::ByteSpan raw) {
  auto tx = neo::deserialize_unsigned(raw);
  if (!tx.ok()) {
    check_error(tx.error(), "deserialize_unsigned error is not invalid_argument");
    return;
  }
  check(tx->witnesses.empty(), kName, "deserialize_unsigned produced witnesses");
  check(neo::validate_unsigned(*tx).ok(), kName, "decoded unsigned transaction fails validate_unsigned()");
  auto again = neo::serialize_unsigned(*tx);
  check(again.ok(), kName, "serialize_unsigned of a decoded unsigned transaction failed");
  check(same_bytes(*again, raw), kName, "serialize_unsigned(deserialize_unsigned(x)) != x", hex(*again));
  auto hash = neo::tx_hash(*tx);
  check(hash.ok(), kName, "tx_hash of a decoded unsigned transaction failed");
  check(same_bytes(hash->bytes, nsl::crypto::sha256(raw)), kName, "tx_hash != SHA-256(unsigned bytes)");
  (void)neo::sign_digest(neo::kTestNetMagic, *hash);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nsl::crypto::ByteSpan raw(data, size);
  try {
    signed_tx(raw);
    unsigned_tx(raw);
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "exception escaped the codec", e.what());
  }
  return 0;
}
