#include "chain/neo/account.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "chain/neo/base58.hpp"
#include "chain/neo/script.hpp"
#include "chain/neo/testing/neo_testing.hpp"
#include "crypto/hash.hpp"

namespace nsl::neo {
namespace {

using testing::hex;
using testing::hex_of;
constexpr auto kCurve = crypto::Curve::secp256r1;

PublicKey pk(std::string_view h) {
  const Bytes b = hex(h);
  PublicKey k{};
  std::copy(b.begin(), b.end(), k.begin());
  return k;
}

std::string wif_of(Bytes payload) { return base58check_encode(payload); }

TEST(NeoKeys, VectorsBothDirections) {
  const auto v = testing::load_vectors("neo_keys.json");
  ASSERT_TRUE(v.is_array());
  int n = 0;
  for (const auto& c : v) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const std::string wif = c["wif"];
    const std::string address = c["address"];
    const std::string display = c["script_hash_display"];
    const Bytes priv = hex(c["private_key"].get<std::string>());

    // WIF -> key -> WIF.
    auto key = wif_decode(wif);
    ASSERT_TRUE(key.ok()) << key.error();
    EXPECT_TRUE(key->equals(SecretBytes::copy_of(priv)));
    auto wif_back = wif_encode(*key, testing::access());
    ASSERT_TRUE(wif_back.ok()) << wif_back.error();
    EXPECT_TRUE(wif_back->equals(wif));

    // key -> public keys -> verification script -> script hash -> address, and back.
    auto pub = crypto::ec_public_key(kCurve, *key);
    ASSERT_TRUE(pub.ok());
    EXPECT_EQ(hex_of(*pub), c["public_key"].get<std::string>());
    auto unc = crypto::ec_public_key_uncompressed(kCurve, *key);
    ASSERT_TRUE(unc.ok());
    EXPECT_EQ(hex_of(*unc), c["public_key_uncompressed"].get<std::string>());
    for (ByteSpan form : {ByteSpan(*pub), ByteSpan(*unc)}) {
      auto script = signature_redeem_script(form);
      ASSERT_TRUE(script.ok()) << script.error();
      EXPECT_EQ(hex_of(*script), c["verification_script"].get<std::string>());
      auto addr = public_key_to_address(form);
      ASSERT_TRUE(addr.ok());
      EXPECT_EQ(*addr, address);
    }
    EXPECT_EQ(hex_of(signature_redeem_script_unchecked(*pub)), c["verification_script"].get<std::string>());
    const Bytes script = hex(c["verification_script"].get<std::string>());
    auto parsed = parse_signature_contract(script);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, *pub);
    EXPECT_FALSE(parse_multisig_contract(script).has_value());

    const UInt160 sh = script_hash(script);
    EXPECT_EQ(hex_of(sh.bytes), c["script_hash_raw"].get<std::string>());
    EXPECT_EQ(sh.to_string(), display);
    auto sh_parsed = UInt160::parse(display);
    ASSERT_TRUE(sh_parsed.ok());
    EXPECT_EQ(*sh_parsed, sh);
    EXPECT_EQ(to_address(sh), address);
    auto sh_back = address_to_script_hash(address);
    ASSERT_TRUE(sh_back.ok()) << sh_back.error();
    EXPECT_EQ(*sh_back, sh);
    ++n;
  }
  EXPECT_EQ(n, 10);
  std::printf("neo_keys.json: %d cases passed in both directions\n", n);
}

TEST(NeoKeys, WifErrorsArePrecise) {
  const Bytes key = hex("7d128a6d096f0c14c3a25a2b0c41cf79661bfcb4a8cc95aaaea28bde4d732344");
  auto payload = [&](std::uint8_t version, std::uint8_t flag, bool with_flag = true) {
    Bytes p(1 + key.size() + (with_flag ? 1 : 0), flag);
    p[0] = version;
    std::copy(key.begin(), key.end(), p.begin() + 1);
    return p;
  };
  struct Case {
    std::string wif;
    std::string message;
  } cases[] = {
      {wif_of(payload(0x81, 0x01)), "WIF: version byte 0x81 is not 0x80"},
      {wif_of(payload(0x80, 0x02)), "WIF: compression flag 0x02 is not 0x01"},
      {wif_of(payload(0x80, 0, false)),
       "WIF: decoded payload is 33 bytes, expected 34 (0x80 || 32-byte key || 0x01); "
       "uncompressed-key WIFs are not used by N3"},
      {wif_of(Bytes(35, 0x80)),
       "WIF: decoded payload is 35 bytes, expected 34 (0x80 || 32-byte key || 0x01)"},
      {"L1QqQJnpBwbsPGAuutuzPTac8piqvbR1HRjrY5qHup48TBCBFe4h",
       "WIF: base58check: checksum mismatch"},
      {"L1QqQJnpBwbsPGAuutuzPTac8piqvbR1HRjrY5qHup48TBCBFe40",
       "WIF: base58: invalid character '0' at position 51"},
  };
  for (const auto& c : cases) {
    auto r = wif_decode(c.wif);
    ASSERT_FALSE(r.ok()) << c.wif;
    EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
    EXPECT_EQ(r.error().message(), c.message);
  }
  // Scalars outside 1..n-1.
  Bytes zero{0x80};
  zero.resize(33, 0);
  zero.push_back(0x01);
  EXPECT_FALSE(wif_decode(wif_of(zero)).ok());
  Bytes big{0x80};
  big.resize(33, 0xFF);
  big.push_back(0x01);
  auto r = wif_decode(wif_of(big));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("not a valid secp256r1 private key"), std::string::npos);
  EXPECT_FALSE(wif_encode(SecretBytes(32), testing::access()).ok());
  EXPECT_FALSE(wif_encode(SecretBytes(31), testing::access()).ok());
}

TEST(NeoKeys, InteropHashes) {
  EXPECT_EQ(interop_hash("System.Crypto.CheckSig"), kSyscallCheckSig);
  EXPECT_EQ(interop_hash("System.Crypto.CheckMultisig"), kSyscallCheckMultisig);
  EXPECT_EQ(interop_hash("System.Contract.Call"), kSyscallContractCall);
  ScriptBuilder sb;
  sb.syscall("System.Crypto.CheckSig");
  EXPECT_EQ(hex_of(sb.bytes()), "4156e7b327");
  ScriptBuilder sb2;
  sb2.syscall("System.Crypto.CheckMultisig");
  EXPECT_EQ(hex_of(sb2.bytes()), "419ed0dc3a");
}

// MainNet genesis NextConsensus: the 5-of-7 BFT address of the first 7 StandbyCommittee keys
// (neo-project/neo-node src/Neo.CLI/config.mainnet.json; expected address and script hash (raw
// byte order, as neo-go's Uint160.String() prints it) from nspcc-dev/neo-go pkg/core/util_test.go
// TestGetConsensusAddressMainNet). The keys' X order
// differs from their byte order (02|03 prefixes), so this pins N3's ECPoint sort.
TEST(NeoKeys, MultisigMatchesMainNetConsensusAddress) {
  const std::vector<PublicKey> validators = {
      pk("03b209fd4f53a7170ea4444e0cb0a6bb6a53c2bd016926989cf85f9b0fba17a70c"),
      pk("02df48f60e8f3e01c48ff40b9b7f1310d7a8b2a193188befe1c2e3df740e895093"),
      pk("03b8d9d5771d8f513aa0869b9cc8d50986403b78c6da36890638c3d46a5adce04a"),
      pk("02ca0e27697b9c248f6f16e085fd0061e26f44da85b58ee835c110caa5ec3ba554"),
      pk("024c7b7fb6c310fccf1ba33b082519d82964ea93868d676662d4a59ad548df0e7d"),
      pk("02aaec38470f6aad0042c6e877cfd8087d2676b0f516fddd362801b9bd3936399e"),
      pk("02486fd15702c4490a26703112a5cc1d0923fd697a33406bd5a1c00e0013b09a70"),
  };
  auto script = multisig_redeem_script(5, validators);
  ASSERT_TRUE(script.ok()) << script.error();
  const UInt160 sh = script_hash(*script);
  EXPECT_EQ(to_address(sh), "NVg7LjGcUSrgxgjX3zEgqaksfMaiS8Z6e1");
  EXPECT_EQ(hex_of(sh.bytes), "6b123dd8bec718648852bbc78595e3536a058f9f");
  EXPECT_EQ(sh.to_string(), "0x9f8f056a53e39585c7bb52886418c7bed83d126b");
  // Layout: PUSH5, 7 x (0c 21 key) in X order, PUSH7, SYSCALL CheckMultisig.
  ASSERT_EQ(script->size(), 1 + 7 * 35 + 1 + 5);
  EXPECT_EQ((*script)[0], 0x15);
  EXPECT_EQ(hex_of(ByteSpan(*script).subspan(3, 33)), hex_of(validators[6]));  // 02486f... first
  EXPECT_EQ((*script)[1 + 7 * 35], 0x17);
  EXPECT_EQ(hex_of(ByteSpan(*script).last(5)), "419ed0dc3a");
  auto parsed = parse_multisig_contract(*script);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->m, 5u);
  EXPECT_EQ(parsed->keys.size(), 7u);
  EXPECT_FALSE(parse_signature_contract(*script).has_value());
  // Byte order of the encodings would give a different account.
  std::vector<PublicKey> by_bytes = validators;
  std::sort(by_bytes.begin(), by_bytes.end());
  EXPECT_NE(by_bytes, parsed->keys);
}

TEST(NeoKeys, CompareFollowsXThenY) {
  // P and -P share X; their order is decided by the Y integers, not by the 02/03 prefix.
  const PublicKey p = pk("02028a99826edc0c97d18e22b6932373d908d323aa7f92656a77ec26e8861699ef");
  PublicKey neg = p;
  neg[0] = 0x03;
  auto yp = crypto::ec_decompress(kCurve, p);
  auto yn = crypto::ec_decompress(kCurve, neg);
  ASSERT_TRUE(yp.ok() && yn.ok());
  const bool p_smaller =
      std::lexicographical_compare(yp->begin() + 33, yp->end(), yn->begin() + 33, yn->end());
  EXPECT_EQ(compare_public_keys(p, neg) < 0, p_smaller);
  EXPECT_EQ(compare_public_keys(neg, p) < 0, !p_smaller);
  EXPECT_EQ(compare_public_keys(p, p), 0);
  // 03||1d8e... sorts before 02||232c... (X order), although its encoding is larger.
  const PublicKey b = pk("031d8e1630ce640966967bc6d95223d21f44304133003140c3b52004dc981349c9");
  const PublicKey c = pk("02232ce8d2e2063dce0451131851d47421bfc4fc1da4db116fca5302c0756462fa");
  EXPECT_LT(compare_public_keys(b, c), 0);
  const PublicKey keys[] = {c, b};
  auto script = multisig_redeem_script(1, keys);
  ASSERT_TRUE(script.ok());
  EXPECT_EQ(hex_of(ByteSpan(*script).subspan(3, 33)), hex_of(b));
}

TEST(NeoKeys, MultisigRejections) {
  const PublicKey a = pk("02028a99826edc0c97d18e22b6932373d908d323aa7f92656a77ec26e8861699ef");
  const PublicKey b = pk("031d8e1630ce640966967bc6d95223d21f44304133003140c3b52004dc981349c9");
  const PublicKey two[] = {a, b};
  EXPECT_EQ(multisig_redeem_script(0, two).error().message(), "multisig: m = 0 is outside 1..2");
  EXPECT_EQ(multisig_redeem_script(3, two).error().message(), "multisig: m = 3 is outside 1..2");
  EXPECT_EQ(multisig_redeem_script(1, std::span<const PublicKey>()).error().message(),
            "multisig: need 1..1024 public keys, got 0");
  const PublicKey dup[] = {a, b, a};
  EXPECT_EQ(multisig_redeem_script(2, dup).error().message(), "multisig: duplicate public key");
  PublicKey off = a;
  off[32] ^= 1;  // almost certainly not on the curve
  const PublicKey bad[] = {a, off};
  if (!crypto::ec_check_public_key(kCurve, off).ok()) {
    EXPECT_EQ(multisig_redeem_script(1, bad).error().message(),
              "multisig: public key 1 is not a valid secp256r1 point");
  }
  EXPECT_FALSE(signature_redeem_script(ByteSpan(off)).ok());
}

TEST(NeoKeys, MultisigWithManyKeysUsesPushInt) {
  // 17 keys: m and n become PUSHINT8 operands, which the parser must read back.
  std::vector<PublicKey> keys;
  for (int i = 0; i < 17; ++i) {
    auto pub = crypto::ec_public_key(kCurve, crypto::ec_generate_private_key(kCurve));
    ASSERT_TRUE(pub.ok());
    keys.push_back(*pub);
  }
  auto script = multisig_redeem_script(17, keys);
  ASSERT_TRUE(script.ok());
  EXPECT_EQ((*script)[0], 0x00);
  EXPECT_EQ((*script)[1], 17);
  auto parsed = parse_multisig_contract(*script);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->m, 17u);
  EXPECT_EQ(parsed->keys.size(), 17u);
  Bytes broken = *script;
  broken.back() ^= 1;  // wrong syscall
  EXPECT_FALSE(parse_multisig_contract(broken).has_value());
  broken = *script;
  broken.pop_back();
  EXPECT_FALSE(parse_multisig_contract(broken).has_value());
}

TEST(NeoKeys, AddressErrorsArePrecise) {
  auto r = address_to_script_hash("NPTmAHDxo6Pkyic8Nvu3kwyXoYJCvcCB6j");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "address: base58check: checksum mismatch");
  r = address_to_script_hash("AKKfd2HKVgVUSiRXeLuVDBovvQZuc1AxVm");  // legacy version 0x17
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "address: version byte 0x17 is not 0x35 (N3 addresses use 0x35)");
  Bytes short_payload(20, 0x35);
  r = address_to_script_hash(base58check_encode(short_payload));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "address: decoded payload is 20 bytes, expected 21 (version byte + 20-byte script "
            "hash)");
  r = address_to_script_hash("");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("too short"), std::string::npos);
  // Another version on request.
  auto legacy = address_to_script_hash("AKKfd2HKVgVUSiRXeLuVDBovvQZuc1AxVm", 0x17);
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(to_address(*legacy, 0x17), "AKKfd2HKVgVUSiRXeLuVDBovvQZuc1AxVm");
}

TEST(NeoKeys, UInt160Parse) {
  const std::string raw = "26eba6592ddfb6b04426048cd5891ff0e3fecba7";
  for (const char* s :
       {"0xa7cbfee3f01f89d58c042644b0b6df2d59a6eb26", "a7cbfee3f01f89d58c042644b0b6df2d59a6eb26",
        "0XA7CBFEE3F01F89D58C042644B0B6DF2D59A6EB26"}) {
    auto h = UInt160::parse(s);
    ASSERT_TRUE(h.ok()) << s;
    EXPECT_EQ(hex_of(h->bytes), raw);
    EXPECT_EQ(h->to_string(), "0xa7cbfee3f01f89d58c042644b0b6df2d59a6eb26");
  }
  EXPECT_EQ(UInt160::parse("0xa7cb").error().message(),
            "UInt160: expected 40 hex digits (optionally prefixed by 0x), got 4");
  EXPECT_EQ(UInt160::parse("0xg7cbfee3f01f89d58c042644b0b6df2d59a6eb26").error().message(),
            "UInt160: not hexadecimal");
  EXPECT_FALSE(UInt160::parse(" 0xa7cbfee3f01f89d58c042644b0b6df2d59a6eb26").ok());
  EXPECT_FALSE(UInt256::parse("0xa7cbfee3f01f89d58c042644b0b6df2d59a6eb26").ok());
  EXPECT_FALSE(UInt160::from_raw(Bytes(19)).ok());
}

}  // namespace
}  // namespace nsl::neo
