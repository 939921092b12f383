// nsl/chain/evm/rlp.hpp — Recursive Length Prefix (Ethereum Yellow Paper, appendix B), strictly
// canonical.
//
// An item is a byte string or a list of items. The encoder always produces the canonical form.
// The decoder accepts ONLY the canonical form and is bounded, because its input is untrusted (raw
// transactions from clients):
//   - a single byte < 0x80 must be encoded as itself, never as 0x81 xx;
//   - long forms (0xb8.., 0xf8..) only for payloads of 56 bytes or more; their length field has
//     no leading zero byte;
//   - every length must fit in the remaining input; the input must be exactly one item (no
//     trailing bytes);
//   - list nesting, total size and total item count are capped (RlpLimits).
// Unsigned integers are big-endian byte strings without leading zeros; zero is the empty string.
// Errors are invalid_argument with a message starting "rlp: " and naming the byte offset.
//
// Thread-safety: value types and pure functions.
//
//   Bytes wire = rlp_encode(RlpItem::list({RlpItem::u64(9), RlpItem::bytes(to)}));
//   NSL_TRY_ASSIGN(RlpItem item, rlp_decode(wire));
//   NSL_TRY_ASSIGN(std::uint64_t nonce, rlp_to_u64(item.items()[0], "nonce"));
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "chain/evm/u256.hpp"
#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::evm {

struct RlpLimits {
  std::size_t max_input_size = std::size_t{1} << 20;  // bytes (1 MiB)
  std::size_t max_depth = 64;                         // lists inside lists
  std::size_t max_items = std::size_t{1} << 17;       // items in the whole tree
};

class RlpItem {
 public:
  RlpItem() = default;  // the empty byte string (RLP 0x80)
  static RlpItem bytes(Bytes b);
  static RlpItem bytes(ByteSpan b) { return bytes(Bytes(b.begin(), b.end())); }
  static RlpItem list(std::vector<RlpItem> items = {});
  // Canonical unsigned integers (no leading zeros, zero = empty string).
  static RlpItem u64(std::uint64_t v);
  static RlpItem u256(const U256& v);

  bool is_list() const noexcept { return is_list_; }
  // The byte string (empty for a list).
  const Bytes& data() const noexcept { return data_; }
  // The children (empty for a byte string).
  const std::vector<RlpItem>& items() const noexcept { return items_; }
  std::vector<RlpItem>& mutable_items() noexcept { return items_; }

  friend bool operator==(const RlpItem&, const RlpItem&) = default;

 private:
  bool is_list_ = false;
  Bytes data_;
  std::vector<RlpItem> items_;
};

Bytes rlp_encode(const RlpItem& item);
void rlp_append(const RlpItem& item, Bytes& out);
// Building blocks for encoders that stream: a byte string, and a list header for a payload of
// `payload_size` bytes that the caller appends next.
void rlp_append_bytes(ByteSpan data, Bytes& out);
void rlp_append_list_header(std::size_t payload_size, Bytes& out);

// Decodes exactly one canonical item spanning all of `input`.
Result<RlpItem> rlp_decode(ByteSpan input, const RlpLimits& limits = {});

// Canonical integer fields; `what` names the field in the error ("rlp: nonce has leading zeros").
Result<std::uint64_t> rlp_to_u64(const RlpItem& item, std::string_view what);
Result<U256> rlp_to_u256(const RlpItem& item, std::string_view what);

}  // namespace nsl::evm
