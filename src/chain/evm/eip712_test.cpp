#include "chain/evm/eip712.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "chain/evm/hex.hpp"
#include "crypto/hash.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::evm {
namespace {

using crypto::testing::hex;
using crypto::testing::load_vectors;
using nlohmann::json;

// Own cases computed offline by src/chain/evm/testdata/eip712_extra.py (a from-the-spec Python
// implementation and eth-account 0.14.0, which must agree; see testdata/README.md).
json load_extra() {
  const std::string path =
      crypto::testing::source_dir() + "/src/chain/evm/testdata/eip712_extra.json";
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return json::array();
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str(), nullptr, false);
}

int check_cases(const json& cases) {
  int passed = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const bool failed_before = ::testing::Test::HasFailure();
    const json& td = c["typed_data"];
    auto h = eip712_hash(td);
    if (!h.ok()) {
      ADD_FAILURE() << h.error();
      continue;
    }
    EXPECT_EQ(h->encode_type, c["encode_type"]);
    EXPECT_EQ(to_0x_hex(h->type_hash), c["type_hash"]);
    EXPECT_EQ(to_0x_hex(crypto::keccak256(crypto::as_bytes(h->encode_type))), c["type_hash"]);
    EXPECT_EQ(to_0x_hex(h->domain_separator), c["domain_separator"]);
    EXPECT_EQ(h->struct_hash ? to_0x_hex(*h->struct_hash) : "<none>", c["struct_hash"]);
    EXPECT_EQ(to_0x_hex(h->digest), c["hash"]);

    const auto key = SecretBytes::copy_of(hex(c["private_key"].get<std::string>()));
    auto sig = eip712_sign(key, td);
    EXPECT_EQ(sig.ok() ? to_0x_hex(*sig) : sig.error().message(), c["signature"]);
    auto who = eip712_recover(td, hex(c["signature"].get<std::string>()));
    EXPECT_EQ(who.ok() ? who->to_checksum() : who.error().message(), c["address"]);
    if (!failed_before && !::testing::Test::HasFailure()) ++passed;
  }
  return passed;
}

TEST(Eip712, PublishedVectors) {
  const json cases = load_vectors("eip712.json");
  ASSERT_TRUE(cases.is_array());
  const int passed = check_cases(cases);
  EXPECT_EQ(passed, 2);
  std::printf("[ eip712.json ] %d/%zu cases passed\n", passed, cases.size());
}

TEST(Eip712, OwnCasesArraysOfStructsAndNestedArrays) {
  const json cases = load_extra();
  ASSERT_EQ(cases.size(), 5u);
  const int passed = check_cases(cases);
  EXPECT_EQ(passed, 5);
  std::printf("[ testdata/eip712_extra.json ] %d/%zu cases passed\n", passed, cases.size());
}

// The Mail example, as a base for mutations.
json mail() {
  return json::parse(R"({
    "types": {
      "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                       {"name": "chainId", "type": "uint256"},
                       {"name": "verifyingContract", "type": "address"}],
      "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
      "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person"},
               {"name": "contents", "type": "string"}]
    },
    "primaryType": "Mail",
    "domain": {"name": "Ether Mail", "version": "1", "chainId": 1,
               "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
    "message": {"from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
                "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
                "contents": "Hello, Bob!"}
  })");
}

// A typed-data object whose message has one field `x` of `type` holding `value`.
json single(const std::string& type, const json& value) {
  json td = mail();
  td["types"]["T"] = json::array({{{"name", "x"}, {"type", type}}});
  td["primaryType"] = "T";
  td["message"] = {{"x", value}};
  return td;
}

std::string error_of(const json& td) {
  auto r = eip712_hash(td);
  if (r.ok()) return "<accepted>";
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  return r.error().message();
}

TEST(Eip712, MailSanity) {
  auto h = eip712_hash(mail());
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(to_0x_hex(h->digest),
            "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
  // Domain given without an EIP712Domain type: derived from its keys, same separator.
  json derived = mail();
  derived["types"].erase("EIP712Domain");
  EXPECT_EQ(eip712_hash(derived)->digest, h->digest);
  // primaryType EIP712Domain signs the domain alone.
  json dom_only = mail();
  dom_only["primaryType"] = "EIP712Domain";
  dom_only.erase("message");
  auto d = eip712_hash(dom_only);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_FALSE(d->struct_hash.has_value());
  Bytes pre = {0x19, 0x01};
  pre.insert(pre.end(), h->domain_separator.begin(), h->domain_separator.end());
  EXPECT_EQ(d->digest, crypto::keccak256(pre));
}

TEST(Eip712, IntegerEncodingAndRanges) {
  auto types = Eip712Types::parse(
      json::parse(R"({"T": [{"name": "a", "type": "int8"}, {"name": "b", "type": "uint16"}]})"));
  ASSERT_TRUE(types.ok()) << types.error();
  auto enc = types->encode_data("T", json::parse(R"({"a": -1, "b": "0x0102"})"));
  ASSERT_TRUE(enc.ok()) << enc.error();
  EXPECT_EQ(to_0x_hex(ByteSpan(*enc).subspan(32, 32)), "0x" + std::string(64, 'f'));
  EXPECT_EQ(to_0x_hex(ByteSpan(*enc).subspan(64, 32)), "0x" + std::string(60, '0') + "0102");

  EXPECT_EQ(error_of(single("uint8", 256)), "message.x: value out of range for uint8");
  EXPECT_EQ(error_of(single("uint8", -1)), "message.x: negative value for uint8");
  EXPECT_EQ(error_of(single("int8", 128)), "message.x: value out of range for int8");
  EXPECT_EQ(error_of(single("int8", -129)), "message.x: value out of range for int8");
  EXPECT_EQ(error_of(single("int8", "-128")), "<accepted>");
  EXPECT_EQ(error_of(single(
                "int256",
                "57896044618658097711785492504343953926634992332820282019728792003956564819968")),
            "message.x: value out of range for int256");
  EXPECT_EQ(error_of(single(
                "uint256",
                "115792089237316195423570985008687907853269984665640564039457584007913129639936")),
            "message.x: decimal number does not fit in 256 bits");
  EXPECT_EQ(error_of(single("uint256", 1.5)),
            "message.x: must be an integer (use a decimal string for large values)");
  EXPECT_EQ(error_of(single("uint256", "12a")), "message.x: invalid character in decimal number");
  EXPECT_EQ(error_of(single("uint256", "007")), "message.x: decimal number has leading zeros");
  EXPECT_EQ(error_of(single("uint256", true)), "message.x: must be an integer or a numeric string");
  EXPECT_EQ(error_of(single("uint64", "-0")), "<accepted>");
}

TEST(Eip712, AtomicValueErrors) {
  EXPECT_EQ(error_of(single("bool", "true")), "message.x: must be a JSON boolean");
  EXPECT_EQ(error_of(single("address", "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD827")),
            "message.x: address has an invalid EIP-55 checksum");
  EXPECT_EQ(error_of(single("address", "0x1234")),
            "message.x: address must have 40 hex digits, got 4");
  EXPECT_EQ(error_of(single("bytes4", "0x010203")),
            "message.x: bytes4 needs exactly 4 bytes, got 3");
  EXPECT_EQ(error_of(single("bytes32", "0x" + std::string(66, '0'))),
            "message.x: bytes32 needs exactly 32 bytes, got 33");
  EXPECT_EQ(error_of(single("bytes", "0x123")), "message.x: odd number of hex digits");
  EXPECT_EQ(error_of(single("bytes", "beef")), "message.x: hex string must start with 0x");
  EXPECT_EQ(error_of(single("string", 5)), "message.x: must be a string");
  EXPECT_EQ(error_of(single("uint8[2]", json::array({1}))),
            "message.x: fixed array needs 2 elements, got 1");
  EXPECT_EQ(error_of(single("uint8[]", 1)), "message.x: must be an array");
  EXPECT_EQ(error_of(single("uint8[][]", json::parse("[[1], [2, 300]]"))),
            "message.x[1][1]: value out of range for uint8");
  EXPECT_EQ(error_of(single("Person[]", json::parse(R"([{"name": "a"}])"))),
            "message.x[0].wallet: missing field (type address)");
}

TEST(Eip712, StructValueErrors) {
  json missing = mail();
  missing["message"].erase("contents");
  EXPECT_EQ(error_of(missing), "message.contents: missing field (type string)");
  json extra = mail();
  extra["message"]["from"]["age"] = 3;
  EXPECT_EQ(error_of(extra), "message.from: unknown field 'age' (not in type Person)");
  json not_obj = mail();
  not_obj["message"]["to"] = "Bob";
  EXPECT_EQ(error_of(not_obj), "message.to: Person value must be an object");
  json bad_domain = mail();
  bad_domain["domain"]["chainId"] = "x";
  EXPECT_EQ(error_of(bad_domain), "domain.chainId: invalid character in decimal number");
  json derived_extra = mail();
  derived_extra["types"].erase("EIP712Domain");
  derived_extra["domain"]["foo"] = "bar";
  EXPECT_EQ(
      error_of(derived_extra),
      "eip712: domain has a field other than name, version, chainId, verifyingContract, salt");
  json null_field = mail();
  null_field["message"]["contents"] = nullptr;
  EXPECT_EQ(error_of(null_field), "message.contents: must be a string");
}

TEST(Eip712, TypeErrors) {
  json unknown = mail();
  unknown["types"]["Mail"][0]["type"] = "Persn";
  EXPECT_EQ(error_of(unknown), "eip712 types: field Mail.from has unknown type 'Persn'");
  EXPECT_EQ(error_of(single("uint", 1)), "eip712 types: field T.x has unknown type 'uint'");
  EXPECT_EQ(error_of(single("uint7", 1)), "eip712 types: field T.x has unknown type 'uint7'");
  EXPECT_EQ(error_of(single("uint264", 1)), "eip712 types: field T.x has unknown type 'uint264'");
  EXPECT_EQ(error_of(single("bytes33", "0x")),
            "eip712 types: field T.x has unknown type 'bytes33'");
  EXPECT_EQ(error_of(single("bytes0", "0x")), "eip712 types: field T.x has unknown type 'bytes0'");
  EXPECT_EQ(error_of(single("uint8[", 1)),
            "eip712 types: field T.x has a malformed array suffix in 'uint8['");
  EXPECT_EQ(error_of(single("uint8[0]", json::array())),
            "eip712 types: field T.x has an invalid fixed array length in 'uint8[0]'");
  EXPECT_EQ(error_of(single("uint8[01]", json::array({1}))),
            "eip712 types: field T.x has an invalid fixed array length in 'uint8[01]'");
  EXPECT_EQ(error_of(single("uint8[][][][][][][][][]", json::array())),
            "eip712 types: field T.x has more than 8 array dimensions");
  EXPECT_EQ(error_of(single("uint8 x", 1)),
            "eip712 types: field T.x has a malformed type 'uint8 x'");

  json cyclic = mail();
  cyclic["types"]["A"] = json::parse(R"([{"name": "b", "type": "B"}])");
  cyclic["types"]["B"] = json::parse(R"([{"name": "a", "type": "A[]"}])");
  EXPECT_EQ(error_of(cyclic), "eip712 types: cyclic type reference: A -> B -> A");
  json self = mail();
  self["types"]["Person"].push_back({{"name", "friends"}, {"type", "Person[]"}});
  EXPECT_EQ(error_of(self), "eip712 types: cyclic type reference: Person -> Person");

  json dup = mail();
  dup["types"]["Person"].push_back({{"name", "name"}, {"type", "string"}});
  EXPECT_EQ(error_of(dup), "eip712 types: field Person.name is declared twice");
  json collide = mail();
  collide["types"]["uint256"] = json::array();
  EXPECT_EQ(error_of(collide), "eip712 types: struct name 'uint256' collides with an atomic type");
  json bad_name = mail();
  bad_name["types"]["Person"][0]["name"] = "na me";
  EXPECT_EQ(error_of(bad_name), "eip712 types: Person has an invalid field name 'na me'");
  json bad_field = mail();
  bad_field["types"]["Person"][0] = {{"name", "n"}};
  EXPECT_EQ(error_of(bad_field),
            "eip712 types: Person fields must be objects {\"name\": string, \"type\": string}");
  json bad_domain = mail();
  bad_domain["types"]["EIP712Domain"][2]["type"] = "uint64";
  EXPECT_EQ(error_of(bad_domain), "eip712 types: EIP712Domain.chainId must have type uint256");
  json odd_domain = mail();
  odd_domain["types"]["EIP712Domain"].push_back({{"name", "owner"}, {"type", "address"}});
  EXPECT_EQ(error_of(odd_domain),
            "eip712 types: EIP712Domain field 'owner' is not one of name, version, chainId, "
            "verifyingContract, salt");
}

TEST(Eip712, TopLevelErrors) {
  EXPECT_EQ(error_of(json::array()), "eip712: typed data must be a JSON object");
  json no_types = mail();
  no_types.erase("types");
  EXPECT_EQ(error_of(no_types), "eip712: missing 'types'");
  json no_msg = mail();
  no_msg.erase("message");
  EXPECT_EQ(error_of(no_msg), "eip712: missing 'message'");
  json bad_primary = mail();
  bad_primary["primaryType"] = "Letter";
  EXPECT_EQ(error_of(bad_primary), "eip712: primaryType 'Letter' is not in types");
  json types_array = mail();
  types_array["types"] = json::array();
  EXPECT_EQ(error_of(types_array), "eip712 types: types must be an object");
}

TEST(Eip712, DepthLimits) {
  // 40 struct types in a chain: deeper than 32.
  json chain = mail();
  for (int i = 0; i < 40; ++i) {
    chain["types"]["S" + std::to_string(i)] =
        json::array({{{"name", "x"}, {"type", i == 39 ? "uint8" : "S" + std::to_string(i + 1)}}});
  }
  EXPECT_EQ(error_of(chain), "eip712 types: struct types nested deeper than 32");

  // 22 structs, each holding the next in a 2-D array: 3 levels per struct, over 64 in the value.
  json deep = mail();
  json value = {{"v", 1}};
  deep["types"]["D22"] = json::array({{{"name", "v"}, {"type", "uint8"}}});
  for (int i = 21; i >= 0; --i) {
    deep["types"]["D" + std::to_string(i)] =
        json::array({{{"name", "x"}, {"type", "D" + std::to_string(i + 1) + "[][]"}}});
    value = {{"x", json::array({json::array({value})})}};
  }
  deep["primaryType"] = "D0";
  deep["message"] = value;
  const std::string e = error_of(deep);
  EXPECT_NE(e.find("nested deeper than 64"), std::string::npos) << e;
}

TEST(Eip712, EncodeTypeSortsReferencedTypes) {
  auto types = Eip712Types::parse(json::parse(R"({
    "Zeta": [{"name": "b", "type": "Beta[2]"}, {"name": "a", "type": "Alpha"}],
    "Beta": [{"name": "a", "type": "Alpha[]"}, {"name": "g", "type": "Gamma"}],
    "Alpha": [{"name": "v", "type": "uint256"}],
    "Gamma": []
  })"));
  ASSERT_TRUE(types.ok()) << types.error();
  EXPECT_EQ(types->encode_type("Zeta").value(),
            "Zeta(Beta[2] b,Alpha a)Alpha(uint256 v)Beta(Alpha[] a,Gamma g)Gamma()");
  EXPECT_EQ(types->encode_type("Beta").value(), "Beta(Alpha[] a,Gamma g)Alpha(uint256 v)Gamma()");
  EXPECT_FALSE(types->encode_type("Nope").ok());
  EXPECT_FALSE(types->type_hash("Nope").ok());
}

}  // namespace
}  // namespace nsl::evm
