// decode_signed_transaction(): the strict decoder for untrusted raw transactions (see tx.hpp).
#include <algorithm>
#include <cstdio>
#include <string>

#include "chain/evm/tx.hpp"
#include "crypto/hash.hpp"

namespace nsl::evm {
namespace {

std::string hex_byte(std::uint8_t b) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

Result<Bytes> string_field(const RlpItem& item, std::string_view what) {
  if (item.is_list()) return err::invalid_argument(std::string(what) + " must be a byte string");
  return item.data();
}

Result<std::optional<Address>> to_field(const RlpItem& item) {
  NSL_TRY_ASSIGN(const Bytes b, string_field(item, "to"));
  if (b.empty()) return std::optional<Address>();  // contract creation
  if (b.size() != 20) {
    return err::invalid_argument("to must be empty or 20 bytes, got " + std::to_string(b.size()));
  }
  NSL_TRY_ASSIGN(const Address a, address_from_bytes(b));
  return std::optional<Address>(a);
}

Result<std::vector<AccessListEntry>> access_list_field(const RlpItem& item) {
  if (!item.is_list()) return err::invalid_argument("access_list must be a list");
  std::vector<AccessListEntry> out;
  out.reserve(item.items().size());
  for (std::size_t i = 0; i < item.items().size(); ++i) {
    const RlpItem& e = item.items()[i];
    const std::string where = "access_list[" + std::to_string(i) + "]";
    if (!e.is_list() || e.items().size() != 2) {
      return err::invalid_argument(where + " must be a list [address, storage_keys]");
    }
    NSL_TRY_ASSIGN(const Bytes addr, string_field(e.items()[0], where + ".address"));
    if (addr.size() != 20) return err::invalid_argument(where + ".address must be 20 bytes");
    AccessListEntry entry;
    NSL_TRY_ASSIGN(entry.address, address_from_bytes(addr));
    if (!e.items()[1].is_list()) {
      return err::invalid_argument(where + ".storage_keys must be a list");
    }
    for (const RlpItem& k : e.items()[1].items()) {
      if (k.is_list() || k.data().size() != 32) {
        return err::invalid_argument(where + ".storage_keys entries must be 32-byte strings");
      }
      Hash32 key{};
      std::copy(k.data().begin(), k.data().end(), key.begin());
      entry.storage_keys.push_back(key);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

Result<Hash32> scalar_field(const RlpItem& item, std::string_view what) {
  NSL_TRY_ASSIGN(const U256 v, rlp_to_u256(item, what));
  if (v.is_zero()) return err::invalid_argument("signature " + std::string(what) + " is zero");
  return v.be32();
}

// Fills tx.chain_id and returns the y-parity encoded in a legacy v.
Result<std::uint8_t> legacy_chain(const U256& v_big, const DecodeOptions& options,
                                  Transaction& tx) {
  const auto v = v_big.to_u64();
  if (!v) return err::invalid_argument("v is out of range");
  if (*v == 27 || *v == 28) {
    if (!options.allow_pre_eip155) {
      return err::invalid_argument(
          "pre-EIP-155 transaction (v = 27/28, no chain id, replayable) is not accepted");
    }
    tx.chain_id = 0;
    return static_cast<std::uint8_t>(*v - 27);
  }
  if (*v < 37) {
    return err::invalid_argument("v = " + std::to_string(*v) +
                                 " is neither 27/28 nor an EIP-155 value chainId*2+35/36 with a "
                                 "non-zero chain id");
  }
  tx.chain_id = (*v - 35) / 2;
  if (tx.chain_id > kMaxChainId) {
    return err::invalid_argument("v encodes a chain id above the EIP-2294 maximum");
  }
  return static_cast<std::uint8_t>((*v - 35) % 2);
}

Status check_chain(const Transaction& tx, const DecodeOptions& options) {
  if (options.expected_chain_id && tx.chain_id != 0 && tx.chain_id != *options.expected_chain_id) {
    return err::invalid_argument("transaction is for chain id " + std::to_string(tx.chain_id) +
                                 ", expected " + std::to_string(*options.expected_chain_id));
  }
  return ok_status();
}

// The fields a legacy transaction starts with, signed or not: nonce, gas_price, gas_limit, to, value,
// data (f has at least six).
Status read_legacy_fields(const std::vector<RlpItem>& f, Transaction& tx) {
  tx.type = TxType::legacy;
  NSL_TRY_ASSIGN(tx.nonce, rlp_to_u64(f[0], "nonce"));
  NSL_TRY_ASSIGN(tx.gas_price, rlp_to_u256(f[1], "gas_price"));
  NSL_TRY_ASSIGN(tx.gas_limit, rlp_to_u64(f[2], "gas_limit"));
  NSL_TRY_ASSIGN(tx.to, to_field(f[3]));
  NSL_TRY_ASSIGN(tx.value, rlp_to_u256(f[4], "value"));
  NSL_TRY_ASSIGN(tx.data, string_field(f[5], "data"));
  return ok_status();
}

// The nine fields of an EIP-1559 payload before its signature (f has at least nine).
Status read_eip1559_fields(const std::vector<RlpItem>& f, Transaction& tx) {
  tx.type = TxType::eip1559;
  NSL_TRY_ASSIGN(tx.chain_id, rlp_to_u64(f[0], "chain_id"));
  NSL_TRY_ASSIGN(tx.nonce, rlp_to_u64(f[1], "nonce"));
  NSL_TRY_ASSIGN(tx.max_priority_fee_per_gas, rlp_to_u256(f[2], "max_priority_fee_per_gas"));
  NSL_TRY_ASSIGN(tx.max_fee_per_gas, rlp_to_u256(f[3], "max_fee_per_gas"));
  NSL_TRY_ASSIGN(tx.gas_limit, rlp_to_u64(f[4], "gas_limit"));
  NSL_TRY_ASSIGN(tx.to, to_field(f[5]));
  NSL_TRY_ASSIGN(tx.value, rlp_to_u256(f[6], "value"));
  NSL_TRY_ASSIGN(tx.data, string_field(f[7], "data"));
  NSL_TRY_ASSIGN(tx.access_list, access_list_field(f[8]));
  return ok_status();
}

Result<SignedTx> decode_legacy(const RlpItem& list, const DecodeOptions& options) {
  const auto& f = list.items();
  if (f.size() != 9) {
    return err::invalid_argument("legacy transaction must have 9 fields, got " +
                                 std::to_string(f.size()));
  }
  SignedTx out;
  Transaction& tx = out.tx;
  NSL_TRY(read_legacy_fields(f, tx));
  NSL_TRY_ASSIGN(const U256 v, rlp_to_u256(f[6], "v"));
  NSL_TRY_ASSIGN(out.sig.y_parity, legacy_chain(v, options, tx));
  NSL_TRY_ASSIGN(out.sig.r, scalar_field(f[7], "r"));
  NSL_TRY_ASSIGN(out.sig.s, scalar_field(f[8], "s"));
  return out;
}

Result<SignedTx> decode_eip1559(const RlpItem& list) {
  const auto& f = list.items();
  if (f.size() != 12) {
    return err::invalid_argument("EIP-1559 transaction must have 12 fields, got " +
                                 std::to_string(f.size()));
  }
  SignedTx out;
  NSL_TRY(read_eip1559_fields(f, out.tx));
  NSL_TRY_ASSIGN(const std::uint64_t parity, rlp_to_u64(f[9], "y_parity"));
  if (parity > 1) return err::invalid_argument("y_parity must be 0 or 1");
  out.sig.y_parity = static_cast<std::uint8_t>(parity);
  NSL_TRY_ASSIGN(out.sig.r, scalar_field(f[10], "r"));
  NSL_TRY_ASSIGN(out.sig.s, scalar_field(f[11], "s"));
  return out;
}

Result<Transaction> decode_unsigned_legacy(const RlpItem& list) {
  const auto& f = list.items();
  if (f.size() != 9) {
    return err::invalid_argument(
        "unsigned legacy transaction must have 9 fields (nonce, gas_price, gas_limit, to, value, data, "
        "chain_id, 0, 0), got " + std::to_string(f.size()));
  }
  Transaction tx;
  NSL_TRY(read_legacy_fields(f, tx));
  NSL_TRY_ASSIGN(tx.chain_id, rlp_to_u64(f[6], "chain_id"));
  if (tx.chain_id == 0) {
    return err::invalid_argument("chain_id must not be zero (EIP-155 replay protection)");
  }
  for (std::size_t i = 7; i < 9; ++i) {
    if (f[i].is_list() || !f[i].data().empty()) {
      return err::invalid_argument("an unsigned legacy transaction ends with chain_id, 0, 0 (EIP-155)");
    }
  }
  return tx;
}

Result<Transaction> decode_unsigned_eip1559(const RlpItem& list) {
  const auto& f = list.items();
  if (f.size() != 9) {
    return err::invalid_argument("unsigned EIP-1559 transaction must have 9 fields, got " +
                                 std::to_string(f.size()));
  }
  Transaction tx;
  NSL_TRY(read_eip1559_fields(f, tx));
  return tx;
}

const char* type_name(std::uint8_t t);

// The RLP list inside a transaction envelope: a bare list is legacy, 0x02 || list EIP-1559; other
// type bytes are refused by name.
struct Envelope {
  bool legacy = false;
  RlpItem list;
};
Result<Envelope> open_envelope(ByteSpan raw, const RlpLimits& limits) {
  if (raw.empty()) return err::invalid_argument("empty transaction");
  const std::uint8_t first = raw[0];
  if (first >= 0xc0) {
    NSL_TRY_ASSIGN(RlpItem list, rlp_decode(raw, limits));
    return Envelope{true, std::move(list)};
  }
  if (first == 0x02) {
    NSL_TRY_ASSIGN(RlpItem list, rlp_decode(raw.subspan(1), limits));
    if (!list.is_list()) return err::invalid_argument("EIP-1559 payload must be an RLP list");
    return Envelope{false, std::move(list)};
  }
  if (first <= 0x7f) {
    return err::invalid_argument("unsupported transaction type " + hex_byte(first) + type_name(first));
  }
  return err::invalid_argument("not a transaction: first byte " + hex_byte(first) +
                               " is neither a type byte (0x00-0x7f) nor an RLP list");
}

const char* type_name(std::uint8_t t) {
  switch (t) {
    case 0x01:
      return " (EIP-2930 access list)";
    case 0x03:
      return " (EIP-4844 blob)";
    case 0x04:
      return " (EIP-7702 set code)";
    default:
      return "";
  }
}

}  // namespace

Result<SignedTx> decode_signed_transaction(ByteSpan raw, const DecodeOptions& options) {
  NSL_TRY_ASSIGN(const Envelope env, open_envelope(raw, options.rlp));
  NSL_TRY_ASSIGN(SignedTx out, env.legacy ? decode_legacy(env.list, options) : decode_eip1559(env.list));
  NSL_TRY(check_chain(out.tx, options));
  NSL_TRY(validate_transaction(out.tx));
  NSL_TRY_ASSIGN(out.from, recover_sender(out.tx, out.sig));
  out.raw.assign(raw.begin(), raw.end());
  out.hash = crypto::keccak256(raw);
  return out;
}

Result<Transaction> decode_unsigned_transaction(ByteSpan payload, const RlpLimits& limits) {
  NSL_TRY_ASSIGN(const Envelope env, open_envelope(payload, limits));
  NSL_TRY_ASSIGN(Transaction tx, env.legacy ? decode_unsigned_legacy(env.list) : decode_unsigned_eip1559(env.list));
  NSL_TRY(validate_transaction(tx));
  // Canonical RLP in, canonical RLP out: this holds by construction; checked because a signature over
  // bytes that differ from the decoded transaction's would sign something else than what was inspected.
  NSL_TRY_ASSIGN(const Bytes again, signing_payload(tx));
  if (!std::equal(again.begin(), again.end(), payload.begin(), payload.end())) {
    return err::invalid_argument("transaction is not in canonical form");
  }
  return tx;
}

}  // namespace nsl::evm
