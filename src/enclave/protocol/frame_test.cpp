#include "enclave/protocol/frame.hpp"

#include <gtest/gtest.h>

#include "enclave/protocol/codec.hpp"

namespace nsl::enclave::protocol {
namespace {

v1::Request sample_request(std::uint64_t id) {
  v1::Request r;
  r.set_version(kProtocolVersion);
  r.set_id(id);
  auto* s = r.mutable_sign();
  s->mutable_binding()->set_tenant_id("t1");
  s->set_sealed("blob");
  s->set_digest(std::string(32, 'd'));
  return r;
}

TEST(Frame, RoundTripsInAnySplit) {
  std::string wire;
  for (std::uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(append_message(wire, sample_request(id)).ok());
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{7}, wire.size()}) {
    FrameReader reader;
    std::vector<std::uint64_t> ids;
    for (std::size_t off = 0; off < wire.size(); off += step) {
      reader.feed(std::string_view(wire).substr(off, step));
      for (;;) {
        auto next = reader.next();
        ASSERT_TRUE(next.ok());
        if (!next->has_value()) break;
        auto req = decode_request(**next);
        ASSERT_TRUE(req.ok());
        EXPECT_TRUE(check_request(*req).ok());
        ids.push_back(req->id());
      }
    }
    EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2, 3})) << "step " << step;
    EXPECT_EQ(reader.buffered(), 0u);
  }
}

TEST(Frame, LengthHeaderIsBigEndian) {
  std::string wire;
  ASSERT_TRUE(append_frame(wire, "abc").ok());
  EXPECT_EQ(wire, std::string("\0\0\0\3abc", 7));
}

TEST(Frame, ZeroAndOversizedLengthsBreakTheStreamForGood) {
  FrameReader zero;
  zero.feed(std::string("\0\0\0\0", 4));
  auto r = zero.next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(r.error().message().find("length 0"), std::string::npos);
  EXPECT_TRUE(zero.failed());
  zero.feed(std::string("\0\0\0\1x", 5));
  EXPECT_FALSE(zero.next().ok());

  FrameReader small(16);
  small.feed(std::string("\0\0\0\x11", 4));
  auto big = small.next();
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message().find("length 17 outside 1..16"), std::string::npos);
}

TEST(Frame, SenderRefusesOversizedAndEmptyPayloads) {
  std::string out;
  EXPECT_FALSE(append_frame(out, "", 16).ok());
  EXPECT_FALSE(append_frame(out, std::string(17, 'x'), 16).ok());
  auto st = append_message(out, sample_request(1), 8);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::payload_too_large);
  EXPECT_TRUE(out.empty());
}

TEST(Frame, WaitsForTheWholeFrame) {
  FrameReader reader;
  reader.feed(std::string("\0\0\0\5ab", 6));
  auto r = reader.next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(reader.buffered(), 6u);
  reader.feed("cde");
  r = reader.next();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(**r, "abcde");
}

TEST(Decode, RejectsGarbageAndForeignVersions) {
  EXPECT_FALSE(decode_request("\xff\xff\xff").ok());
  EXPECT_FALSE(decode_response("\x0a").ok());

  v1::Request r = sample_request(9);
  r.set_version(2);
  auto parsed = decode_request(r.SerializeAsString());
  ASSERT_TRUE(parsed.ok());
  auto st = check_request(*parsed);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("unsupported protocol version 2"), std::string::npos);
  EXPECT_EQ(parsed->id(), 9u);  // the id survives, so the answer can name it

  v1::Request empty;
  empty.set_version(kProtocolVersion);
  empty.set_id(3);
  st = check_request(empty);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("no operation"), std::string::npos);

  v1::Response resp;
  resp.set_version(7);
  resp.set_id(1);
  EXPECT_FALSE(decode_response(resp.SerializeAsString()).ok());
}

TEST(Codec, ErrorCodesMapBothWays) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::deadline_exceeded); ++c) {
    v1::Response r;
    set_error(r, Error(static_cast<ErrorCode>(c), "m"));
    Error back = error_from_proto(r.error());
    EXPECT_EQ(back.code(), static_cast<ErrorCode>(c));
    EXPECT_EQ(back.message(), "m");
  }
  v1::Error unknown;
  unknown.set_code(static_cast<v1::ErrorCode>(99));
  EXPECT_EQ(error_from_proto(unknown).code(), ErrorCode::internal);
  v1::Error unset;
  EXPECT_EQ(error_from_proto(unset).code(), ErrorCode::internal);
}

TEST(Codec, BindingAndCurveRoundTrip) {
  Binding b{.tenant_id = "t", .object_id = "k", .version = 7, .purpose = "signing"};
  Binding back = from_proto(to_proto(b));
  EXPECT_EQ(back.tenant_id, "t");
  EXPECT_EQ(back.object_id, "k");
  EXPECT_EQ(back.version, 7u);
  EXPECT_EQ(back.purpose, "signing");
  for (KeyCurve c : {KeyCurve::secp256r1, KeyCurve::secp256k1, KeyCurve::ed25519}) {
    auto r = from_proto(to_proto(c));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, c);
  }
  EXPECT_FALSE(from_proto(v1::CURVE_UNSPECIFIED).ok());
}

TEST(Codec, WipeSecretsClearsTheResult) {
  v1::Response r;
  r.mutable_secret()->set_secret("plaintext");
  wipe_secrets(r);
  EXPECT_FALSE(r.has_secret());
  v1::Response exported;
  exported.mutable_exported()->set_nep2("6PYKey");
  wipe_secrets(exported);
  EXPECT_FALSE(exported.has_exported());
}

TEST(Codec, WipeSecretsZeroesTheRequestsSecretFields) {
  // The secret fields are zeroed and emptied; other fields are untouched.
  v1::Request hello;
  hello.mutable_hello()->set_token("token-bytes");
  wipe_secrets(hello);
  EXPECT_TRUE(hello.hello().token().empty());
  v1::Request seal;
  seal.mutable_seal()->set_plaintext("plain");
  wipe_secrets(seal);
  EXPECT_TRUE(seal.seal().plaintext().empty());
  v1::Request exp;
  exp.mutable_export_key()->set_nep2_passphrase("passphrase");
  exp.mutable_export_key()->set_sealed("blob");
  wipe_secrets(exp);
  EXPECT_TRUE(exp.export_key().nep2_passphrase().empty());
  EXPECT_EQ(exp.export_key().sealed(), "blob");
  v1::Request many;
  for (const char* plain : {"first value", "second value"}) {
    auto* item = many.mutable_data_encrypt_many()->add_items();
    item->set_aad("aad");
    item->set_plaintext(plain);
  }
  wipe_secrets(many);
  ASSERT_EQ(many.data_encrypt_many().items_size(), 2);
  for (const auto& item : many.data_encrypt_many().items()) {
    EXPECT_TRUE(item.plaintext().empty());
    EXPECT_EQ(item.aad(), "aad");
  }
}

// A DataEncryptMany answer is taken only with one answer per item; each carries its ciphertext or its error.
TEST(Codec, UnpackSealedManyChecksTheShape) {
  v1::Response r;
  EXPECT_EQ(unpack_sealed_many(r, 1).error().code(), ErrorCode::internal);  // another result type
  r.mutable_sealed_many()->add_items()->set_sealed("ct");
  set_error(*r.mutable_sealed_many()->add_items()->mutable_error(), err::permission_denied("not a data key"));
  r.mutable_sealed_many()->add_items();  // neither a ciphertext nor an error
  EXPECT_EQ(unpack_sealed_many(r, 2).error().code(), ErrorCode::internal);
  auto out = unpack_sealed_many(r, 3);
  ASSERT_TRUE(out.ok()) << out.error();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].value(), (Bytes{'c', 't'}));
  EXPECT_EQ((*out)[1].error().code(), ErrorCode::permission_denied);
  EXPECT_EQ((*out)[1].error().message(), "not a data key");
  EXPECT_EQ((*out)[2].error().code(), ErrorCode::internal);
}

TEST(Types, BindingRules) {
  EXPECT_TRUE(check_binding({"tenant", "key-1", 1, "signing"}).ok());
  EXPECT_FALSE(check_binding({"", "key-1", 1, "signing"}).ok());
  EXPECT_FALSE(check_binding({"t", "", 1, "signing"}).ok());
  EXPECT_FALSE(check_binding({"t", "k", 1, ""}).ok());
  EXPECT_FALSE(check_binding({"t", "has space", 1, "signing"}).ok());
  EXPECT_FALSE(check_binding({std::string(129, 'a'), "k", 1, "p"}).ok());
  EXPECT_TRUE(check_binding({std::string(128, 'a'), "k", 1, "p"}).ok());
}

TEST(Types, ReportDataSeparatesPurposes) {
  const std::vector<std::uint8_t> key(32, 7), nonce(16, 1);
  auto a = attest_report_data(AttestPurpose::transport_key, key, nonce);
  auto b = attest_report_data(AttestPurpose::user, key, nonce);
  EXPECT_NE(a, b);
  // The length prefix keeps (subject, nonce) splits apart.
  std::vector<std::uint8_t> longer(33, 7);
  std::vector<std::uint8_t> shorter_nonce(nonce.begin() + 1, nonce.end());
  longer[32] = 1;
  EXPECT_NE(attest_report_data(AttestPurpose::user, longer, shorter_nonce), b);
  EXPECT_EQ(attest_report_data(AttestPurpose::user, key, nonce), b);
}

TEST(Types, NamesParse) {
  EXPECT_EQ(*parse_key_curve("secp256k1"), KeyCurve::secp256k1);
  EXPECT_FALSE(parse_key_curve("p256").ok());
  EXPECT_EQ(*parse_mode("gramine-sgx"), Mode::gramine_sgx);
  EXPECT_FALSE(parse_mode("sgx").ok());
}

}  // namespace
}  // namespace nsl::enclave::protocol
