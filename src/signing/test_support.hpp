// nsl/signing/test_support.hpp — payload builders shared by the signing tests (test-only, header-only).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "chain/evm/address.hpp"
#include "chain/evm/tx.hpp"
#include "chain/neo/script.hpp"
#include "chain/neo/tx.hpp"
#include "crypto/bytes.hpp"

namespace nsl::signing::testing {

inline neo::UInt160 h160(std::string_view display) { return neo::UInt160::parse(display).value(); }
inline neo::UInt160 gas() { return h160("0xd2a4cff31913016155e38e474a2c06d08be276cf"); }
inline neo::UInt160 neo_token() { return h160("0xef4073a0f2b305a38ec4050e4d3d28bc40ea63f5"); }
inline neo::UInt160 alice() { return h160("0x0101010101010101010101010101010101010101"); }
inline neo::UInt160 bob() { return h160("0x0202020202020202020202020202020202020202"); }

inline crypto::Bytes transfer_script(const neo::UInt160& token, std::string_view amount, bool assert_result = false) {
  auto s = neo::nep17_transfer(token, alice(), bob(), amount, neo::ContractParam::null(), {.assert_result = assert_result});
  EXPECT_TRUE(s.ok()) << s.error();
  return s.ok() ? *s : crypto::Bytes{};
}

inline neo::Transaction neo_tx(crypto::Bytes script, const neo::UInt160& signer = alice()) {
  neo::Transaction tx;
  tx.nonce = 7;
  tx.system_fee = 1000000;
  tx.network_fee = 1200000;
  tx.valid_until_block = 5000;
  tx.signers.push_back(neo::Signer{.account = signer});
  tx.script = std::move(script);
  return tx;
}

inline crypto::Bytes neo_payload(crypto::Bytes script, const neo::UInt160& signer = alice()) {
  auto b = neo::serialize_unsigned(neo_tx(std::move(script), signer));
  EXPECT_TRUE(b.ok()) << b.error();
  return b.ok() ? *b : crypto::Bytes{};
}

inline evm::Address addr(std::string_view hex) { return evm::parse_address(hex).value(); }
inline evm::Address token_addr() { return addr("0x1111111111111111111111111111111111111111"); }
inline evm::Address carol() { return addr("0x2222222222222222222222222222222222222222"); }
inline evm::Address dave() { return addr("0x3333333333333333333333333333333333333333"); }

inline void append_word_address(crypto::Bytes& out, const evm::Address& a) {
  out.insert(out.end(), 12, 0);
  out.insert(out.end(), a.bytes.begin(), a.bytes.end());
}
inline void append_word_u256(crypto::Bytes& out, const evm::U256& v) {
  out.insert(out.end(), v.be32().begin(), v.be32().end());
}

// ERC-20 call data: selector then address/amount words.
inline crypto::Bytes erc20_transfer(const evm::Address& to, std::uint64_t amount) {
  crypto::Bytes d = {0xa9, 0x05, 0x9c, 0xbb};
  append_word_address(d, to);
  append_word_u256(d, evm::U256::from_u64(amount));
  return d;
}
inline crypto::Bytes erc20_approve(const evm::Address& spender, const evm::U256& amount) {
  crypto::Bytes d = {0x09, 0x5e, 0xa7, 0xb3};
  append_word_address(d, spender);
  append_word_u256(d, amount);
  return d;
}
inline crypto::Bytes erc20_transfer_from(const evm::Address& from, const evm::Address& to, std::uint64_t amount) {
  crypto::Bytes d = {0x23, 0xb8, 0x72, 0xdd};
  append_word_address(d, from);
  append_word_address(d, to);
  append_word_u256(d, evm::U256::from_u64(amount));
  return d;
}

inline evm::Transaction evm_tx(std::optional<evm::Address> to, std::uint64_t value, crypto::Bytes data = {},
                               std::uint64_t chain_id = evm::kNeoXMainNetChainId) {
  evm::Transaction tx;
  tx.type = evm::TxType::eip1559;
  tx.chain_id = chain_id;
  tx.nonce = 3;
  tx.max_priority_fee_per_gas = evm::U256::from_u64(1);
  tx.max_fee_per_gas = evm::U256::from_u64(50);
  tx.gas_limit = 100000;
  tx.to = to;
  tx.value = evm::U256::from_u64(value);
  tx.data = std::move(data);
  return tx;
}

inline crypto::Bytes evm_payload(const evm::Transaction& tx) {
  auto b = evm::signing_payload(tx);
  EXPECT_TRUE(b.ok()) << b.error();
  return b.ok() ? *b : crypto::Bytes{};
}

inline constexpr std::string_view kTypedData = R"({
  "types": {
    "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
    "Mail": [{"name": "contents", "type": "string"}]
  },
  "primaryType": "Mail",
  "domain": {"name": "nsl", "chainId": 47763},
  "message": {"contents": "hello"}
})";

inline crypto::Bytes bytes_of(std::string_view s) { return crypto::Bytes(s.begin(), s.end()); }

}  // namespace nsl::signing::testing
