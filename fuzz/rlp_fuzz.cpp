// Fuzz target `rlp`: raw bytes -> nsl::evm::rlp_decode (strictly canonical, bounded; chain/evm/rlp.hpp).
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - decode ok => rlp_encode(item) == input (canonical: exactly one encoding per item);
//   - decoding under tight limits (depth 4, 64 items) succeeds only if the default decode does, with the same item;
//   - a byte-string item that rlp_to_u64 / rlp_to_u256 accepts re-encodes unchanged as RlpItem::u64 / u256, and
//     rlp_to_u64 accepts exactly the rlp_to_u256 values below 2^64;
//   - every error is invalid_argument with a message starting "rlp: "; no exception escapes.
#include <cstddef>
#include <cstdint>
#include <exception>

#include "chain/evm/rlp.hpp"
#include "fuzz_check.hpp"

namespace {

using nsl::fuzz::check;
using nsl::fuzz::hex;
using nsl::fuzz::same_bytes;
namespace evm = nsl::evm;
constexpr const char* kName = "rlp";

void check_error(const nsl::Error& e) {
  check(e.code() == nsl::ErrorCode::invalid_argument, kName, "error is not invalid_argument", e.message());
  check(e.message().rfind("rlp: ", 0) == 0, kName, "error message does not start with \"rlp: \"", e.message());
}

// Integer views of every byte string in the tree (bounded: the tree has at most max_items items).
void check_integers(const evm::RlpItem& item) {
  if (item.is_list()) {
    for (const auto& child : item.items()) check_integers(child);
    return;
  }
  auto u256 = evm::rlp_to_u256(item, "fuzz");
  auto u64 = evm::rlp_to_u64(item, "fuzz");
  if (u256.ok()) {
    check(evm::RlpItem::u256(*u256) == item, kName, "RlpItem::u256(rlp_to_u256(x)) != x", hex(item.data()));
    check(u64.ok() == (item.data().size() <= 8), kName, "rlp_to_u64 and rlp_to_u256 disagree", hex(item.data()));
  } else {
    check_error(u256.error());
    check(!u64.ok(), kName, "rlp_to_u64 accepts what rlp_to_u256 rejects", hex(item.data()));
  }
  if (u64.ok()) {
    check(evm::RlpItem::u64(*u64) == item, kName, "RlpItem::u64(rlp_to_u64(x)) != x", hex(item.data()));
  } else {
    check_error(u64.error());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nsl::crypto::ByteSpan raw(data, size);
  try {
    auto item = evm::rlp_decode(raw);
    auto tight = evm::rlp_decode(raw, {.max_input_size = 4096, .max_depth = 4, .max_items = 64});
    if (!item.ok()) {
      check_error(item.error());
      check(!tight.ok(), kName, "tight limits accept what the default limits reject");
      check_error(tight.error());
      return 0;
    }
    const nsl::crypto::Bytes again = evm::rlp_encode(*item);
    check(same_bytes(again, raw), kName, "rlp_encode(rlp_decode(x)) != x", hex(again));
    if (tight.ok()) {
      check(*tight == *item, kName, "tight and default limits decode different items");
    } else {
      check_error(tight.error());
    }
    check_integers(*item);
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "exception escaped", e.what());
  }
  return 0;
}
