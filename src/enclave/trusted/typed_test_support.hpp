// nsl/enclave/trusted/typed_test_support.hpp — sign_typed scenarios run against any Enclave (test-only; no
// library source includes it): core_test.cpp runs them on a TrustedCore directly, server_test.cpp through
// the socket server and the real client, so both paths check the same outcomes.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <cstdio>
#include <string>
#include <string_view>

#include "chain/evm/address.hpp"
#include "chain/evm/eip191.hpp"
#include "chain/evm/eip712.hpp"
#include "chain/evm/signature.hpp"
#include "chain/evm/tx.hpp"
#include "chain/neo/account.hpp"
#include "chain/neo/script.hpp"
#include "chain/neo/tx.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/hash.hpp"
#include "enclave/enclave.hpp"
#include "signing/test_support.hpp"

namespace nsl::enclave::trusted::typed_testing {

namespace st = ::nsl::signing::testing;

inline Binding key_binding(std::string object = "typed-key") {
  return Binding{"tenant-typed", std::move(object), 1, "signing"};
}

inline SealedKey make_key(Enclave& e, KeyCurve curve, const Binding& b = key_binding()) {
  auto k = e.generate_key(b, curve);
  EXPECT_TRUE(k.ok()) << k.error();
  return k.ok() ? *k : SealedKey{};
}

inline neo::UInt160 account_of(const SealedKey& k) {
  return neo::script_hash(neo::signature_redeem_script(k.public_key).value());
}

inline Bytes nep17_payload(const SealedKey& k, std::string_view amount, const neo::UInt160* signer = nullptr) {
  const neo::UInt160 from = account_of(k);
  Bytes script = neo::nep17_transfer(st::gas(), from, st::bob(), amount).value();
  return st::neo_payload(std::move(script), signer ? *signer : from);
}

// Seals a policy the way the host does: Enclave::seal of the JSON under the key's policy binding.
inline Bytes seal_policy(Enclave& e, const Binding& key, std::string_view json, std::uint32_t version = 1) {
  auto s = e.seal(Binding{key.tenant_id, key.object_id, version, "policy"},
                  ByteView(reinterpret_cast<const std::uint8_t*>(json.data()), json.size()), {});
  EXPECT_TRUE(s.ok()) << s.error();
  return s.ok() ? *s : Bytes{};
}

inline TypedSignRequest request(SignFormat f, Bytes payload) {
  TypedSignRequest r;
  r.format = f;
  r.payload = std::move(payload);
  r.network_magic = neo::kTestNetMagic;
  r.chain_id = evm::kNeoXMainNetChainId;
  return r;
}

template <class T>
inline void expect_error(const Result<T>& r, ErrorCode code, std::string_view text) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), code) << r.error();
  EXPECT_NE(r.error().message().find(text), std::string::npos) << r.error();
}

// An N3 transfer signed with sign_typed verifies as a standard witness.
inline void neo_tx_verifies(Enclave& e) {
  const Binding b = key_binding();
  const SealedKey key = make_key(e, KeyCurve::secp256r1, b);
  const Bytes payload = nep17_payload(key, "100");
  auto sig = e.sign_typed(b, key.sealed, request(SignFormat::neo_tx, payload));
  ASSERT_TRUE(sig.ok()) << sig.error();
  ASSERT_EQ(sig->signature.size(), 64u);
  neo::Transaction tx = neo::deserialize_unsigned(payload).value();
  EXPECT_EQ(sig->digest, neo::sign_digest(neo::kTestNetMagic, neo::tx_hash(tx).value()));
  Bytes invocation = {0x0C, 0x40};
  invocation.insert(invocation.end(), sig->signature.begin(), sig->signature.end());
  tx.witnesses.push_back({invocation, neo::signature_redeem_script(key.public_key).value()});
  auto ok = neo::verify_witnesses(tx, neo::kTestNetMagic);
  EXPECT_TRUE(ok.ok()) << ok.error();
  EXPECT_FALSE(neo::verify_witnesses(tx, neo::kMainNetMagic).ok());
  ASSERT_EQ(sig->moves.size(), 1u);
  EXPECT_EQ(sig->moves[0], (AssetAmount{"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf", "100"}));
}

// The EVM transaction `tx` with the enclave's signature encodes, decodes strictly and recovers to `signer`.
inline void expect_evm_signed_by(const evm::Transaction& tx, const TypedSignature& sig, const evm::Address& signer) {
  evm::TxSignature ts;
  ts.y_parity = sig.recovery_id;
  std::copy(sig.signature.begin(), sig.signature.begin() + 32, ts.r.begin());
  std::copy(sig.signature.begin() + 32, sig.signature.end(), ts.s.begin());
  auto raw = evm::encode_signed_transaction(tx, ts);
  ASSERT_TRUE(raw.ok()) << raw.error();
  auto decoded = evm::decode_signed_transaction(*raw, {.expected_chain_id = evm::kNeoXMainNetChainId});
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->from, signer);
  EXPECT_EQ(decoded->tx, tx);
}

// EVM transactions (both types) signed with sign_typed encode, decode and recover to the key's address.
inline void evm_tx_recovers(Enclave& e) {
  const Binding b = key_binding();
  const SealedKey key = make_key(e, KeyCurve::secp256k1, b);
  const evm::Address me = evm::address_from_public_key(key.public_key).value();
  evm::Transaction legacy = st::evm_tx(st::carol(), 5);
  legacy.type = evm::TxType::legacy;
  legacy.gas_price = evm::U256::from_u64(7);
  legacy.max_fee_per_gas = {};
  legacy.max_priority_fee_per_gas = {};
  for (const evm::Transaction& tx : {st::evm_tx(st::token_addr(), 5, st::erc20_transfer(st::carol(), 9)), legacy}) {
    auto sig = e.sign_typed(b, key.sealed, request(SignFormat::evm_tx, st::evm_payload(tx)));
    ASSERT_TRUE(sig.ok()) << sig.error();
    EXPECT_LE(sig->recovery_id, 1);
    EXPECT_EQ(sig->digest, evm::signing_hash(tx).value());
    expect_evm_signed_by(tx, *sig, me);
  }
  // Moves of the ERC-20 transfer: the value and the token amount.
  auto sig = e.sign_typed(b, key.sealed,
                          request(SignFormat::evm_tx, st::evm_payload(st::evm_tx(st::token_addr(), 5,
                                                                                 st::erc20_transfer(st::carol(), 9)))));
  ASSERT_TRUE(sig.ok());
  ASSERT_EQ(sig->moves.size(), 2u);
  EXPECT_EQ(sig->moves[0], (AssetAmount{"evm:0x1111111111111111111111111111111111111111", "9"}));
  EXPECT_EQ(sig->moves[1], (AssetAmount{"evm:native", "5"}));
  // The request's chain id must be the transaction's.
  auto other = request(SignFormat::evm_tx, st::evm_payload(st::evm_tx(st::carol(), 1, {}, 1)));
  expect_error(e.sign_typed(b, key.sealed, other), ErrorCode::invalid_argument, "chain id 1");
}

// sign_typed_async answers what sign_typed answers, exactly once: a signature that recovers to the key,
// and an error for a request the enclave refuses.
inline void async_matches_sync(Enclave& e) {
  const Binding b = key_binding();
  const SealedKey key = make_key(e, KeyCurve::secp256k1, b);
  const evm::Address me = evm::address_from_public_key(key.public_key).value();
  const evm::Transaction tx = st::evm_tx(st::carol(), 5);
  auto signed_async = [&](const TypedSignRequest& r) {
    auto calls = std::make_shared<std::atomic<int>>(0);
    std::promise<Result<TypedSignature>> answered;
    auto future = answered.get_future();
    e.sign_typed_async(b, key.sealed, r, [&answered, calls](Result<TypedSignature> out) {
      if (calls->fetch_add(1) == 0) answered.set_value(std::move(out));
    });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    auto out = future.get();
    EXPECT_EQ(calls->load(), 1);
    return out;
  };
  auto sig = signed_async(request(SignFormat::evm_tx, st::evm_payload(tx)));
  ASSERT_TRUE(sig.ok()) << sig.error();
  auto sync = e.sign_typed(b, key.sealed, request(SignFormat::evm_tx, st::evm_payload(tx)));
  ASSERT_TRUE(sync.ok()) << sync.error();
  EXPECT_EQ(sig->digest, sync->digest);
  EXPECT_EQ(sig->moves, sync->moves);
  expect_evm_signed_by(tx, *sig, me);
  auto other = request(SignFormat::evm_tx, st::evm_payload(st::evm_tx(st::carol(), 1, {}, 1)));
  expect_error(signed_async(other), ErrorCode::invalid_argument, "chain id 1");
}

// EIP-191 and EIP-712 signatures recover to the key's address; raw digests to its public key.
inline void messages_recover(Enclave& e) {
  const Binding b = key_binding();
  const SealedKey key = make_key(e, KeyCurve::secp256k1, b);
  const evm::Address me = evm::address_from_public_key(key.public_key).value();
  const auto sig65 = [](const TypedSignature& s) {
    evm::Signature65 out{};
    std::copy(s.signature.begin(), s.signature.end(), out.begin());
    out[64] = static_cast<std::uint8_t>(27 + s.recovery_id);
    return out;
  };
  const Bytes message = st::bytes_of("hello from nsl");
  auto p = e.sign_typed(b, key.sealed, request(SignFormat::eip191, message));
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(evm::personal_recover(message, sig65(*p)).value(), me);
  auto t = e.sign_typed(b, key.sealed, request(SignFormat::eip712, st::bytes_of(st::kTypedData)));
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(evm::eip712_recover(nlohmann::json::parse(st::kTypedData), sig65(*t)).value(), me);
  const Bytes digest(32, 0x42);
  auto r = e.sign_typed(b, key.sealed, request(SignFormat::raw_digest, digest));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(crypto::ecdsa_verify(crypto::Curve::secp256k1, key.public_key, digest, r->signature));
  EXPECT_TRUE(r->moves.empty());

  // neo_message on secp256r1: ECDSA over SHA-256(010001f0 || var-int || message || 0000).
  const SealedKey r1 = make_key(e, KeyCurve::secp256r1, b);
  auto n = e.sign_typed(b, r1.sealed, request(SignFormat::neo_message, message));
  ASSERT_TRUE(n.ok()) << n.error();
  // Built by appending into a reserved buffer (GCC 12 -O2 misreads an insert into a 5-byte vector).
  Bytes framed;
  framed.reserve(message.size() + 7);
  for (std::uint8_t byte : {std::uint8_t{0x01}, std::uint8_t{0x00}, std::uint8_t{0x01}, std::uint8_t{0xf0},
                            static_cast<std::uint8_t>(message.size())}) {
    framed.push_back(byte);
  }
  for (std::uint8_t byte : message) framed.push_back(byte);
  framed.push_back(0x00);
  framed.push_back(0x00);
  EXPECT_EQ(n->digest, crypto::sha256(framed));
  EXPECT_TRUE(crypto::ecdsa_verify(crypto::Curve::secp256r1, r1.public_key, n->digest, n->signature));
}

// A policy violation is permission_denied naming the rule; an allowed transfer under the same policy signs.
inline void policy_enforced(Enclave& e) {
  const Binding b = key_binding();
  const SealedKey key = make_key(e, KeyCurve::secp256r1, b);
  auto req = request(SignFormat::neo_tx, nep17_payload(key, "100"));
  req.policy_sealed =
      seal_policy(e, b, R"({"max_value_per_tx": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "50"}})");
  req.policy_version = 1;
  expect_error(e.sign_typed(b, key.sealed, req), ErrorCode::permission_denied,
               "signing policy: max_value_per_tx: 100 of neo:0xd2a4cff31913016155e38e474a2c06d08be276cf exceeds 50");
  req.payload = nep17_payload(key, "50");
  auto ok = e.sign_typed(b, key.sealed, req);
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->moves.at(0).amount, "50");
  // Rolling limit with the host's ledger.
  req.policy_sealed =
      seal_policy(e, b, R"({"max_value_per_24h": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "60"}})");
  req.spent_24h = {{"neo:0xD2A4cff31913016155e38e474a2c06d08be276cf", "11"}};
  expect_error(e.sign_typed(b, key.sealed, req), ErrorCode::permission_denied, "signing policy: max_value_per_24h:");
  req.spent_24h = {{"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf", "10"}};
  EXPECT_TRUE(e.sign_typed(b, key.sealed, req).ok());
  req.spent_24h = {{"neo:gas", "10"}};
  expect_error(e.sign_typed(b, key.sealed, req), ErrorCode::invalid_argument, "spent_24h:");
  req.spent_24h = {{"evm:native", "-1"}};
  expect_error(e.sign_typed(b, key.sealed, req), ErrorCode::invalid_argument, "spent_24h:");
  req.spent_24h.clear();
  // Raw digests are refused under any policy that does not allow them.
  auto raw = request(SignFormat::raw_digest, Bytes(32, 1));
  raw.policy_sealed = seal_policy(e, b, "{}");
  raw.policy_version = 1;
  expect_error(e.sign_typed(b, key.sealed, raw), ErrorCode::permission_denied, "signing policy: allow_raw_digest:");
  raw.policy_sealed = seal_policy(e, b, R"({"allow_raw_digest": true})");
  EXPECT_TRUE(e.sign_typed(b, key.sealed, raw).ok());
  // Time windows use the enclave's clock: a one-minute window twelve hours away is closed now.
  const auto now = std::chrono::duration_cast<std::chrono::minutes>(
                       std::chrono::system_clock::now().time_since_epoch()).count() % 1440;
  const int start = static_cast<int>((now + 720) % 1438);
  char window[256];
  std::snprintf(window, sizeof window,
                R"({"allow_raw_digest": true, "time_windows": [{"days": ["mon","tue","wed","thu","fri","sat","sun"],)"
                R"( "start": "%02d:%02d", "end": "%02d:%02d"}]})",
                start / 60, start % 60, (start + 1) / 60, (start + 1) % 60);
  raw.policy_sealed = seal_policy(e, b, window);
  expect_error(e.sign_typed(b, key.sealed, raw), ErrorCode::permission_denied, "signing policy: time_windows:");
  // A sealed policy that is not valid JSON policy: the key's state forbids signing.
  raw.policy_sealed = seal_policy(e, b, R"({"approvals_required": 2})");
  expect_error(e.sign_typed(b, key.sealed, raw), ErrorCode::failed_precondition, "approvals_required");
}

// A script the walker does not understand signs without a policy and is refused under one that restricts
// contracts; an understood call of a listed contract passes the same policy.
inline void opaque_script_only_without_policy(Enclave& e) {
  const Binding b = key_binding();
  const SealedKey key = make_key(e, KeyCurve::secp256r1, b);
  const neo::UInt160 me = account_of(key);
  Bytes script = neo::nep17_transfer(st::gas(), me, st::bob(), "1").value();
  script.insert(script.begin(), {0x22, 0x02});  // JMP +2: harmless, but not a shape the walker models
  auto req = request(SignFormat::neo_tx, st::neo_payload(script, me));
  auto plain = e.sign_typed(b, key.sealed, req);
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_TRUE(plain->moves.empty());  // nothing is known about what it moves
  req.policy_sealed = seal_policy(e, b, R"({"neo_contracts": [{"hash": "0xd2a4cff31913016155e38e474a2c06d08be276cf"}]})");
  req.policy_version = 1;
  expect_error(e.sign_typed(b, key.sealed, req), ErrorCode::permission_denied,
               "signing policy: neo_contracts: script not understood");
  req.payload = nep17_payload(key, "1");
  EXPECT_TRUE(e.sign_typed(b, key.sealed, req).ok());
}

// A policy blob sealed under another key's binding (or another version) does not open.
inline void foreign_policy_refused(Enclave& e) {
  const Binding b = key_binding("key-a");
  const SealedKey key = make_key(e, KeyCurve::secp256r1, b);
  auto req = request(SignFormat::neo_tx, nep17_payload(key, "1"));
  req.policy_version = 1;
  req.policy_sealed = seal_policy(e, key_binding("key-b"), R"({"allow_raw_digest": true})");
  expect_error(e.sign_typed(b, key.sealed, req), ErrorCode::permission_denied, "does not open");
  req.policy_sealed = seal_policy(e, b, "{}", 2);
  expect_error(e.sign_typed(b, key.sealed, req), ErrorCode::permission_denied, "does not open");
  req.policy_version = 2;
  EXPECT_TRUE(e.sign_typed(b, key.sealed, req).ok());
  // A key blob is not a policy.
  req.policy_sealed = key.sealed;
  expect_error(e.sign_typed(b, key.sealed, req), ErrorCode::permission_denied, "does not open");
}

// Requests the enclave refuses before signing anything.
inline void bad_requests_refused(Enclave& e) {
  const Binding b = key_binding();
  const SealedKey r1 = make_key(e, KeyCurve::secp256r1, b);
  const SealedKey k1 = make_key(e, KeyCurve::secp256k1, b);
  const SealedKey ed = make_key(e, KeyCurve::ed25519, b);
  // The key's account must sign the transaction.
  const neo::UInt160 other = st::alice();
  expect_error(e.sign_typed(b, r1.sealed, request(SignFormat::neo_tx, nep17_payload(r1, "1", &other))),
               ErrorCode::invalid_argument, "the key's account is not a signer of this transaction");
  // Curve and format.
  const Bytes evm = st::evm_payload(st::evm_tx(st::carol(), 1));
  expect_error(e.sign_typed(b, r1.sealed, request(SignFormat::evm_tx, evm)), ErrorCode::invalid_argument,
               "evm_tx needs a secp256k1 key");
  expect_error(e.sign_typed(b, r1.sealed, request(SignFormat::eip191, Bytes{1})), ErrorCode::invalid_argument,
               "needs a secp256k1 key");
  expect_error(e.sign_typed(b, k1.sealed, request(SignFormat::neo_tx, nep17_payload(r1, "1"))),
               ErrorCode::invalid_argument, "neo_tx needs a secp256r1 key");
  expect_error(e.sign_typed(b, k1.sealed, request(SignFormat::neo_message, Bytes{1})), ErrorCode::invalid_argument,
               "needs a secp256r1 key");
  expect_error(e.sign_typed(b, ed.sealed, request(SignFormat::raw_digest, Bytes(32, 1))),
               ErrorCode::invalid_argument, "ed25519");
  // Payloads that do not decode, sizes, missing network parameters.
  expect_error(e.sign_typed(b, r1.sealed, request(SignFormat::raw_digest, Bytes(31, 1))),
               ErrorCode::invalid_argument, "32 bytes");
  expect_error(e.sign_typed(b, r1.sealed, request(SignFormat::neo_tx, Bytes{0, 1, 2})), ErrorCode::invalid_argument,
               "");
  expect_error(e.sign_typed(b, k1.sealed, request(SignFormat::evm_tx, Bytes{0xc0})), ErrorCode::invalid_argument, "");
  expect_error(e.sign_typed(b, k1.sealed, request(SignFormat::eip712, st::bytes_of("{\"a\": 1}"))),
               ErrorCode::invalid_argument, "");
  auto no_magic = request(SignFormat::neo_tx, nep17_payload(r1, "1"));
  no_magic.network_magic = 0;
  expect_error(e.sign_typed(b, r1.sealed, no_magic), ErrorCode::invalid_argument, "network_magic");
  auto no_chain = request(SignFormat::evm_tx, evm);
  no_chain.chain_id = 0;
  expect_error(e.sign_typed(b, k1.sealed, no_chain), ErrorCode::invalid_argument, "chain_id");
  expect_error(e.sign_typed(b, k1.sealed, request(SignFormat::eip191, Bytes(128 * 1024 + 1, 'a'))),
               ErrorCode::invalid_argument, "payload too large");
  EXPECT_TRUE(e.sign_typed(b, k1.sealed, request(SignFormat::eip191, Bytes(128 * 1024, 'a'))).ok());
  expect_error(e.sign_typed(b, k1.sealed, request(static_cast<SignFormat>(9), Bytes(32, 1))),
               ErrorCode::invalid_argument, "format");
  // The key blob must open under the binding.
  expect_error(e.sign_typed(key_binding("elsewhere"), k1.sealed, request(SignFormat::eip191, Bytes{1})),
               ErrorCode::permission_denied, "");
}

// A key signs for an m-of-n multisig account that lists it, when the request names the account's
// verification script and that account is a signer; its signature then verifies in the witness.
inline void multisig_account(Enclave& e) {
  const Binding b = key_binding();
  const SealedKey mine = make_key(e, KeyCurve::secp256r1, b);
  const SealedKey other = make_key(e, KeyCurve::secp256r1, key_binding("other"));
  const SealedKey third = make_key(e, KeyCurve::secp256r1, key_binding("third"));
  auto pub = [](const SealedKey& k) {
    neo::PublicKey p{};
    std::copy(k.public_key.begin(), k.public_key.end(), p.begin());
    return p;
  };
  const std::vector<neo::PublicKey> both{pub(mine), pub(other)};
  const Bytes script = neo::multisig_redeem_script(1, both).value();
  const neo::UInt160 account = neo::script_hash(script);
  const Bytes payload = st::neo_payload(neo::nep17_transfer(st::gas(), account, st::bob(), "5").value(), account);
  auto req = request(SignFormat::neo_tx, payload);
  // Without the script the key's own account is meant, and it is not a signer.
  expect_error(e.sign_typed(b, mine.sealed, req), ErrorCode::invalid_argument,
               "the key's account is not a signer of this transaction");
  req.neo_account_script = script;
  auto sig = e.sign_typed(b, mine.sealed, req);
  ASSERT_TRUE(sig.ok()) << sig.error();
  neo::Transaction tx = neo::deserialize_unsigned(payload).value();
  Bytes invocation{0x0C, 0x40};
  invocation.insert(invocation.end(), sig->signature.begin(), sig->signature.end());
  tx.witnesses.push_back({invocation, script});
  EXPECT_TRUE(neo::verify_witnesses(tx, neo::kTestNetMagic).ok());

  // An account that does not list the key, one that is not a signer, a script that is no multisig
  // contract, and the script with a format that is no N3 transaction.
  const std::vector<neo::PublicKey> others{pub(other), pub(third)};
  req.neo_account_script = neo::multisig_redeem_script(1, others).value();
  expect_error(e.sign_typed(b, mine.sealed, req), ErrorCode::invalid_argument, "does not list this key");
  const std::vector<neo::PublicKey> three{pub(mine), pub(other), pub(third)};
  req.neo_account_script = neo::multisig_redeem_script(2, three).value();
  expect_error(e.sign_typed(b, mine.sealed, req), ErrorCode::invalid_argument,
               "the multisig account is not a signer of this transaction");
  req.neo_account_script = neo::signature_redeem_script(mine.public_key).value();
  expect_error(e.sign_typed(b, mine.sealed, req), ErrorCode::invalid_argument, "not an m-of-n multisig contract");
  auto message = request(SignFormat::neo_message, Bytes{1});
  message.neo_account_script = script;
  expect_error(e.sign_typed(b, mine.sealed, message), ErrorCode::invalid_argument, "goes only with neo_tx");
}

// Symmetric data keys: a ciphertext opens under its key, binding and aad only; rewrap moves it to another
// key without the plaintext leaving; blobs of other kinds are not data keys.
inline void data_keys(Enclave& e) {
  const Binding b1{"tenant-a", "dek", 1, "data-key"};
  const Binding b2{"tenant-a", "dek", 2, "data-key"};
  auto k1 = e.generate_data_key(b1);
  auto k2 = e.generate_data_key(b2);
  ASSERT_TRUE(k1.ok() && k2.ok());
  EXPECT_NE(*k1, *k2);
  const Bytes aad = st::bytes_of("tenant-a|db/password|3");
  const Bytes secret = st::bytes_of("correct horse battery staple");
  auto ct = e.data_encrypt(b1, *k1, aad, secret);
  ASSERT_TRUE(ct.ok()) << ct.error();
  EXPECT_EQ(ct->size(), secret.size() + kDataCiphertextOverhead);
  EXPECT_EQ((*ct)[0], 1);
  EXPECT_NE(*ct, *e.data_encrypt(b1, *k1, aad, secret));  // fresh salt and nonce every time
  auto back = e.data_decrypt(b1, *k1, aad, *ct);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(back->equals(SecretBytes::copy_of(secret)));
  // Another aad, key, binding, or one flipped bit: refused.
  expect_error(e.data_decrypt(b1, *k1, st::bytes_of("tenant-b|db/password|3"), *ct), ErrorCode::permission_denied,
               "does not open");
  expect_error(e.data_decrypt(b2, *k2, aad, *ct), ErrorCode::permission_denied, "does not open");
  expect_error(e.data_decrypt(b2, *k1, aad, *ct), ErrorCode::permission_denied, "");
  Bytes flipped = *ct;
  flipped[flipped.size() / 2] ^= 1;
  expect_error(e.data_decrypt(b1, *k1, aad, flipped), ErrorCode::permission_denied, "does not open");
  expect_error(e.data_decrypt(b1, *k1, aad, Bytes(10, 1)), ErrorCode::invalid_argument, "too short");
  Bytes other_format = *ct;
  other_format[0] = 2;
  expect_error(e.data_decrypt(b1, *k1, aad, other_format), ErrorCode::invalid_argument, "unknown format");
  // Rewrap to version 2.
  auto moved = e.data_rewrap(b1, *k1, b2, *k2, aad, *ct);
  ASSERT_TRUE(moved.ok()) << moved.error();
  EXPECT_TRUE(e.data_decrypt(b2, *k2, aad, *moved)->equals(SecretBytes::copy_of(secret)));
  expect_error(e.data_decrypt(b1, *k1, aad, *moved), ErrorCode::permission_denied, "");
  expect_error(e.data_rewrap(b1, *k1, b2, *k2, st::bytes_of("other"), *ct), ErrorCode::permission_denied, "");
  // A signing key or a sealed secret is not a data key.
  const SealedKey signing = make_key(e, KeyCurve::secp256r1, b1);
  expect_error(e.data_encrypt(b1, signing.sealed, aad, secret), ErrorCode::permission_denied, "not a data key");
  auto sealed_secret = e.seal(b1, Bytes(32, 7), {});
  ASSERT_TRUE(sealed_secret.ok());
  expect_error(e.data_encrypt(b1, *sealed_secret, aad, secret), ErrorCode::permission_denied, "not a data key");
  // …nor is a data key a signing key.
  expect_error(e.sign_typed(b1, *k1, request(SignFormat::raw_digest, Bytes(32, 1))), ErrorCode::permission_denied,
               "a data key, not a private key");
  // Limits: empty plaintext is fine, beyond the maximum is not.
  auto empty = e.data_encrypt(b1, *k1, {}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(e.data_decrypt(b1, *k1, {}, *empty)->empty());
  expect_error(e.data_encrypt(b1, *k1, aad, Bytes(kMaxDataPlaintext + 1, 1)), ErrorCode::invalid_argument,
               "plaintext too large");
  expect_error(e.data_encrypt(b1, *k1, Bytes(kMaxDataAad + 1, 1), secret), ErrorCode::invalid_argument,
               "aad too large");
  // data_encrypt_many: each item as data_encrypt would encrypt it, in item order, each with its own outcome;
  // a key that does not open fails them all.
  const Bytes aad2 = st::bytes_of("tenant-a|db/user|1");
  const Bytes too_long(kMaxDataAad + 1, 1);
  const std::vector<Enclave::DataEncryptItem> items{
      {.aad = aad, .plaintext = secret}, {.aad = too_long, .plaintext = secret}, {.aad = aad2, .plaintext = {}}};
  const std::vector<Result<Bytes>> many = e.data_encrypt_many(b1, *k1, items);
  ASSERT_EQ(many.size(), 3u);
  ASSERT_TRUE(many[0].ok()) << many[0].error();
  EXPECT_TRUE(e.data_decrypt(b1, *k1, aad, *many[0])->equals(SecretBytes::copy_of(secret)));
  expect_error(many[1], ErrorCode::invalid_argument, "aad too large");
  ASSERT_TRUE(many[2].ok()) << many[2].error();
  EXPECT_TRUE(e.data_decrypt(b1, *k1, aad2, *many[2])->empty());
  expect_error(e.data_decrypt(b1, *k1, aad, *many[2]), ErrorCode::permission_denied, "does not open");
  for (const Result<Bytes>& r : e.data_encrypt_many(b2, *k1, items)) {
    expect_error(r, ErrorCode::permission_denied, "");
  }
  for (const Result<Bytes>& r : e.data_encrypt_many(b1, signing.sealed, items)) {
    expect_error(r, ErrorCode::permission_denied, "not a data key");
  }
  // data_generate: a fresh key of 16, 32 or 64 bytes, encrypted like data_encrypt; in clear only when asked.
  for (const std::uint32_t size : {16u, 32u, 64u}) {
    auto both = e.data_generate(b1, *k1, aad, size, true);
    ASSERT_TRUE(both.ok()) << both.error();
    ASSERT_TRUE(both->plaintext.has_value());
    EXPECT_EQ(both->plaintext->size(), size);
    EXPECT_EQ(both->ciphertext.size(), size + kDataCiphertextOverhead);
    auto opened = e.data_decrypt(b1, *k1, aad, both->ciphertext);
    ASSERT_TRUE(opened.ok()) << opened.error();
    EXPECT_TRUE(opened->equals(*both->plaintext));
    auto again = e.data_generate(b1, *k1, aad, size, true);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->plaintext->equals(*both->plaintext)) << "not fresh";
    auto wrapped = e.data_generate(b1, *k1, aad, size, false);
    ASSERT_TRUE(wrapped.ok()) << wrapped.error();
    EXPECT_FALSE(wrapped->plaintext.has_value());
    auto inside = e.data_decrypt(b1, *k1, aad, wrapped->ciphertext);
    ASSERT_TRUE(inside.ok()) << inside.error();
    EXPECT_EQ(inside->size(), size);
    expect_error(e.data_decrypt(b1, *k1, st::bytes_of("other"), wrapped->ciphertext), ErrorCode::permission_denied,
                 "does not open");
  }
  for (const std::uint32_t size : {0u, 8u, 24u, 128u}) {
    expect_error(e.data_generate(b1, *k1, aad, size, true), ErrorCode::invalid_argument, "size must be");
  }
  expect_error(e.data_generate(b2, *k1, aad, 32, true), ErrorCode::permission_denied, "");
  expect_error(e.data_generate(b1, signing.sealed, aad, 32, false), ErrorCode::permission_denied, "not a data key");
  expect_error(e.data_generate(b1, *k1, Bytes(kMaxDataAad + 1, 1), 32, false), ErrorCode::invalid_argument,
               "aad too large");
}

}  // namespace nsl::enclave::trusted::typed_testing
