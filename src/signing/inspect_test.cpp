#include "signing/inspect.hpp"

#include <gtest/gtest.h>

#include <string>

#include "chain/evm/eip191.hpp"
#include "chain/evm/eip712.hpp"
#include "core/strings.hpp"
#include "crypto/hash.hpp"
#include "signing/formats.hpp"
#include "signing/test_support.hpp"

namespace nsl::signing {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test builders

NeoScript walk(const Bytes& script) { return inspect_neo_script(script); }

void expect_opaque(const Bytes& script, std::string_view why) {
  const NeoScript s = walk(script);
  EXPECT_FALSE(s.understood);
  EXPECT_NE(s.why.find(why), std::string::npos) << s.why;
}

TEST(SigningInspect, Nep17TransferWithAndWithoutAssert) {
  for (bool assert_result : {false, true}) {
    const NeoScript s = walk(transfer_script(gas(), "150000000", assert_result));
    ASSERT_TRUE(s.understood) << s.why;
    ASSERT_EQ(s.calls.size(), 1u);
    const NeoCall& c = s.calls[0];
    EXPECT_EQ(c.contract, gas());
    EXPECT_EQ(c.method, "transfer");
    EXPECT_EQ(c.call_flags, 0x0F);
    EXPECT_EQ(c.arg_count, 4u);
    ASSERT_TRUE(c.transfer.has_value());
    EXPECT_EQ(c.transfer->from, alice());
    EXPECT_EQ(c.transfer->to, bob());
    EXPECT_EQ(c.transfer->amount.to_decimal(), "150000000");
    EXPECT_FALSE(c.transfer_malformed);
  }
}

TEST(SigningInspect, SeveralCallsInARowAndEveryArgumentKind) {
  Bytes script = transfer_script(gas(), "1", true);
  const Bytes second = transfer_script(neo_token(), "57896044618658097711785492504343953926634992332820282019728792003956564819967");
  script.insert(script.end(), second.begin(), second.end());
  neo::ScriptBuilder sb;
  const neo::ContractParam nested[] = {neo::ContractParam::integer(-5), neo::ContractParam::boolean(true),
                                       neo::ContractParam::null(), neo::ContractParam::string("x")};
  const neo::ContractParam args[] = {neo::ContractParam::array({nested, nested + 4}),
                                     neo::ContractParam::array({}), neo::ContractParam::integer(1LL << 40),
                                     neo::ContractParam::bytes(Bytes(300, 7))};
  sb.contract_call(bob(), "vote", neo::CallFlags::States, args);
  script.insert(script.end(), sb.bytes().begin(), sb.bytes().end());
  script.push_back(0x21);  // NOP
  const NeoScript s = walk(script);
  ASSERT_TRUE(s.understood) << s.why;
  ASSERT_EQ(s.calls.size(), 3u);
  EXPECT_EQ(s.calls[1].contract, neo_token());
  EXPECT_EQ(s.calls[1].transfer->amount.bit_length(), 255u);
  EXPECT_EQ(s.calls[2].method, "vote");
  EXPECT_EQ(s.calls[2].call_flags, 0x03);
  EXPECT_EQ(s.calls[2].arg_count, 4u);
  EXPECT_FALSE(s.calls[2].transfer || s.calls[2].transfer_malformed);
}

TEST(SigningInspect, MapArguments) {
  // transfer(from, to, amount, {1: "a"}) with the map built as N3's CreateMap does.
  neo::ScriptBuilder sb;
  sb.push_string("a").push_int(1).push_int(1).emit(static_cast<neo::OpCode>(0xBE));  // PACKMAP
  sb.push_int(150).push_hash160(bob()).push_hash160(alice()).push_int(4).emit(neo::OpCode::PACK);
  sb.push_int(15).push_string("transfer").push_hash160(gas()).syscall(neo::kSyscallContractCall);
  const NeoScript s = walk(sb.bytes());
  ASSERT_TRUE(s.understood) << s.why;
  ASSERT_TRUE(s.calls.at(0).transfer.has_value());
  EXPECT_EQ(s.calls[0].transfer->amount.to_decimal(), "150");
  neo::ScriptBuilder sb2;
  sb2.emit(static_cast<neo::OpCode>(0xC8)).push_int(1).push_hash160(bob()).push_hash160(alice()).push_int(4);
  sb2.emit(neo::OpCode::PACK).push_int(15).push_string("transfer").push_hash160(gas());
  sb2.syscall(neo::kSyscallContractCall);
  EXPECT_TRUE(walk(sb2.bytes()).understood);
}

TEST(SigningInspect, MalformedTransfers) {
  // Negative amount, amount as bytes, a 19-byte recipient, three arguments: all "transfer", none NEP-17.
  const auto call = [](std::vector<neo::ContractParam> args) {
    neo::ScriptBuilder sb;
    sb.contract_call(gas(), "transfer", neo::CallFlags::All, args);
    return walk(sb.bytes());
  };
  const auto from = neo::ContractParam::hash160(alice());
  const auto to = neo::ContractParam::hash160(bob());
  for (const auto& args : std::vector<std::vector<neo::ContractParam>>{
           {from, to, neo::ContractParam::integer(-1), neo::ContractParam::null()},
           {from, to, neo::ContractParam::bytes({0x01}), neo::ContractParam::null()},
           {from, neo::ContractParam::bytes(Bytes(19, 1)), neo::ContractParam::integer(1), neo::ContractParam::null()},
           {to, neo::ContractParam::integer(1), neo::ContractParam::null()}}) {
    const NeoScript s = call(args);
    ASSERT_TRUE(s.understood) << s.why;
    EXPECT_TRUE(s.calls.at(0).transfer_malformed);
    EXPECT_FALSE(s.calls[0].transfer.has_value());
  }
}

TEST(SigningInspect, OpaqueScripts) {
  const Bytes transfer = transfer_script(gas(), "1");
  Bytes jump = transfer;
  jump.insert(jump.begin(), {0x22, 0x02});  // JMP +2
  expect_opaque(jump, "opcode 0x22");
  neo::ScriptBuilder witness;
  witness.push_hash160(alice()).syscall("System.Runtime.CheckWitness");
  expect_opaque(witness.bytes(), "a syscall other than System.Contract.Call");
  Bytes trailing = transfer;
  trailing.push_back(0x11);  // PUSH1, never used
  expect_opaque(trailing, "never used");
  Bytes leading = {0x11};  // PUSH1 below the call's operands
  leading.insert(leading.end(), transfer.begin(), transfer.end());
  expect_opaque(leading, "never used");
  expect_opaque({0x11, 0x39}, "ASSERT that does not follow");
  Bytes double_assert = transfer_script(gas(), "1", true);
  double_assert.push_back(0x39);
  expect_opaque(double_assert, "ASSERT that does not follow");
  expect_opaque({0x0C, 0x05, 0x01}, "truncated PUSHDATA");
  expect_opaque({0x02, 0x01}, "truncated PUSHINT");
  expect_opaque({0x41, 0x62, 0x7d}, "truncated SYSCALL");
  Bytes cut = transfer;
  cut.pop_back();
  expect_opaque(cut, "truncated SYSCALL");

  const auto call_with = [](std::string_view method, std::uint8_t flags, std::size_t hash_size) {
    neo::ScriptBuilder sb;
    sb.emit(neo::OpCode::NEWARRAY0).push_int(flags).push_string(method).push_bytes(Bytes(hash_size, 9));
    sb.syscall(neo::kSyscallContractCall);
    return Bytes(sb.bytes());
  };
  EXPECT_TRUE(walk(call_with("symbol", 0x0F, 20)).understood);
  expect_opaque(call_with("_deploy", 0x0F, 20), "not a method name");
  expect_opaque(call_with("", 0x0F, 20), "not a method name");
  expect_opaque(call_with("symbol", 0x10, 20), "not valid CallFlags");
  expect_opaque(call_with("symbol", 0x0F, 19), "not a 20-byte hash");
  neo::ScriptBuilder not_array;
  not_array.push_int(1).push_int(15).push_string("symbol").push_hash160(gas()).syscall(neo::kSyscallContractCall);
  expect_opaque(not_array.bytes(), "not an array");
  // A PACK that would swallow the previous call's result.
  Bytes swallow = transfer;
  neo::ScriptBuilder pack;
  pack.push_int(1).emit(neo::OpCode::PACK);
  swallow.insert(swallow.end(), pack.bytes().begin(), pack.bytes().end());
  expect_opaque(swallow, "PACK reaches below");
  expect_opaque({0x0F, 0xC0}, "not a small non-negative integer");
  // Nesting deeper than 16 arrays.
  Bytes deep = {0xC2};
  for (int i = 0; i < 17; ++i) deep.insert(deep.end(), {0x11, 0xC0});
  expect_opaque(deep, "nested deeper");
  // More than 2048 stack items.
  expect_opaque(Bytes(2049, 0x11), "stack deeper");
  // A script with only a NOP does nothing and is understood.
  EXPECT_TRUE(walk({0x21}).understood);
}

TEST(SigningInspect, EvmErc20Calls) {
  auto t = inspect_evm_tx(evm_payload(evm_tx(token_addr(), 0, erc20_transfer(carol(), 500))));
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_TRUE(t->erc20.has_value());
  EXPECT_EQ(t->erc20->kind, Erc20Call::Kind::transfer);
  EXPECT_EQ(t->erc20->to, carol());
  EXPECT_EQ(t->erc20->amount.to_decimal(), "500");
  EXPECT_EQ(*t->selector, kErc20Transfer);

  t = inspect_evm_tx(evm_payload(evm_tx(token_addr(), 0, erc20_approve(dave(), evm::U256::from_u64(9)))));
  ASSERT_TRUE(t.ok() && t->erc20);
  EXPECT_EQ(t->erc20->kind, Erc20Call::Kind::approve);
  EXPECT_EQ(t->erc20->to, dave());

  t = inspect_evm_tx(evm_payload(evm_tx(token_addr(), 0, erc20_transfer_from(carol(), dave(), 7))));
  ASSERT_TRUE(t.ok() && t->erc20);
  EXPECT_EQ(t->erc20->kind, Erc20Call::Kind::transfer_from);
  EXPECT_EQ(*t->erc20->from, carol());
  EXPECT_EQ(t->erc20->to, dave());
  EXPECT_EQ(t->erc20->amount.to_decimal(), "7");

  Bytes longer = erc20_transfer(carol(), 1);
  longer.push_back(0);
  t = inspect_evm_tx(evm_payload(evm_tx(token_addr(), 0, longer)));
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->erc20_malformed);
  Bytes dirty = erc20_transfer(carol(), 1);
  dirty[4] = 1;  // a non-zero byte in the address word's padding
  t = inspect_evm_tx(evm_payload(evm_tx(token_addr(), 0, dirty)));
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->erc20_malformed);

  t = inspect_evm_tx(evm_payload(evm_tx(carol(), 5)));
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->selector || t->erc20 || t->erc20_malformed);
  t = inspect_evm_tx(evm_payload(evm_tx(carol(), 5, {0xa9, 0x05})));
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->selector.has_value());
  EXPECT_FALSE(inspect_evm_tx(Bytes{0x02, 0xc0}).ok());
}

TEST(SigningFormats, NeoMessageLayout) {
  // neon-dappkit NeonSigner classicFormat: 010001f0 || var-int(len) || message || 0000.
  EXPECT_EQ(to_hex(neo_message_bytes(bytes_of("Hello world"))), "010001f00b48656c6c6f20776f726c640000");
  const Bytes long_message(253, 'a');
  const Bytes b = neo_message_bytes(long_message);
  EXPECT_EQ(to_hex(Bytes(b.begin(), b.begin() + 7)), "010001f0fdfd00");
  EXPECT_EQ(b.size(), 4 + 3 + 253 + 2u);
  const Bytes huge(0x10000, 'b');
  const Bytes h = neo_message_bytes(huge);
  EXPECT_EQ(to_hex(Bytes(h.begin(), h.begin() + 9)), "010001f0fe00000100");
  EXPECT_EQ(neo_message_digest(bytes_of("Hello world")), crypto::sha256(neo_message_bytes(bytes_of("Hello world"))));
}

TEST(SigningFormats, DigestOfEveryFormat) {
  const Bytes d32(32, 0xab);
  EXPECT_EQ(to_hex(*signing_digest(Format::raw_digest, d32, 0)), to_hex(d32));
  EXPECT_FALSE(signing_digest(Format::raw_digest, Bytes(31, 0), 0).ok());
  EXPECT_EQ(*signing_digest(Format::eip191, bytes_of("hi"), 0), evm::personal_message_hash(bytes_of("hi")));
  EXPECT_EQ(*signing_digest(Format::neo_message, bytes_of("hi"), 0), neo_message_digest(bytes_of("hi")));
  const auto typed = nlohmann::json::parse(kTypedData);
  EXPECT_EQ(*signing_digest(Format::eip712, bytes_of(kTypedData), 0), evm::eip712_hash(typed)->digest);
  EXPECT_FALSE(signing_digest(Format::eip712, bytes_of(R"({"a":1,"a":2})"), 0).ok());
  EXPECT_FALSE(signing_digest(Format::eip712, bytes_of("{}"), 0).ok());

  const neo::Transaction tx = neo_tx(transfer_script(gas(), "1"));
  const Bytes payload = neo_payload(transfer_script(gas(), "1"));
  EXPECT_EQ(*signing_digest(Format::neo_tx, payload, neo::kTestNetMagic),
            neo::sign_digest(neo::kTestNetMagic, *neo::tx_hash(tx)));
  EXPECT_FALSE(signing_digest(Format::neo_tx, payload, 0).ok());
  Bytes trailing = payload;
  trailing.push_back(0);
  EXPECT_FALSE(signing_digest(Format::neo_tx, trailing, neo::kTestNetMagic).ok());

  const evm::Transaction etx = evm_tx(carol(), 1);
  EXPECT_EQ(*signing_digest(Format::evm_tx, evm_payload(etx), 0), *evm::signing_hash(etx));
  EXPECT_FALSE(signing_digest(Format::evm_tx, Bytes{0xc0}, 0).ok());
  EXPECT_FALSE(signing_digest(static_cast<Format>(9), d32, 0).ok());
  EXPECT_EQ(format_name(Format::evm_tx), "evm_tx");
  EXPECT_FALSE(valid_format(static_cast<Format>(0)));
}

TEST(SigningInspect, DecodedPayloads) {
  auto d = inspect(Format::neo_tx, neo_payload(transfer_script(gas(), "5")), {.network_magic = neo::kMainNetMagic});
  ASSERT_TRUE(d.ok()) << d.error();
  ASSERT_TRUE(d->neo.has_value());
  EXPECT_EQ(d->neo->tx.signers.at(0).account, alice());
  EXPECT_TRUE(d->neo->script.understood);
  EXPECT_FALSE(inspect(Format::neo_tx, neo_payload(transfer_script(gas(), "5")), {}).ok());

  d = inspect(Format::eip712, bytes_of(kTypedData), {});
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->eip712_chain_id, 47763u);
  std::string hex_chain(kTypedData);
  hex_chain.replace(hex_chain.find("47763"), 5, "\"0xbA93\"");
  d = inspect(Format::eip712, bytes_of(hex_chain), {});
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->eip712_chain_id, 47763u);

  d = inspect(Format::evm_tx, evm_payload(evm_tx(carol(), 1)), {});
  ASSERT_TRUE(d.ok() && d->evm);
  EXPECT_EQ(d->digest, *evm::signing_hash(d->evm->tx));
}

}  // namespace
}  // namespace nsl::signing
