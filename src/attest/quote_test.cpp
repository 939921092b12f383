// parse_quote(): layout facts of every vector (offsets and sizes from the sidecars), and strictness
// on truncated, oversized and inconsistent inputs.
#include "attest/quote.hpp"

#include <gtest/gtest.h>

#include "attest/testing/attest_vectors.hpp"
#include "core/strings.hpp"

namespace nsl::attest {
namespace {

using nlohmann::json;
using testing::read_bytes;
using testing::sidecar;
using testing::sidecars;

void put_u32(Bytes& b, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

TEST(AttestQuote, EveryVectorParsesWithTheSidecarLayout) {
  int parsed = 0;
  for (const std::string& name : sidecars()) {
    SCOPED_TRACE(name);
    json sc = sidecar(name);
    const auto bytes = read_bytes(sc["quote_file"].get<std::string>());
    auto q = parse_quote(bytes);
    if (sc["expected"]["parse"] == false) {
      EXPECT_FALSE(q.ok());
      continue;
    }
    ASSERT_TRUE(q.ok()) << q.error().message();
    ++parsed;
    EXPECT_EQ(q->header.version, sc["quote_version"].get<int>());
    EXPECT_EQ(q->body_type, sc["body_type"].get<int>());
    EXPECT_EQ(q->is_tdx(), sc["tee_type"] == "TDX");
    EXPECT_EQ(q->signed_region_size, sc["signed_region"][1].get<std::size_t>());
    EXPECT_EQ(q->trailing_bytes, sc["trailing_bytes_after_sig_data"].get<std::size_t>());
    json& lay = sc["layout_offsets_sizes"];
    EXPECT_EQ(q->sig_data_offset, lay["sig_data"][0].get<std::size_t>());
    EXPECT_EQ(q->sig_data_size, lay["sig_data"][1].get<std::size_t>());
    EXPECT_EQ(to_hex(q->attest_key), sc["attest_key_xy"].get<std::string>());
    EXPECT_EQ(to_hex(q->qe_auth_data), sc["qe_auth_data"].get<std::string>());
    EXPECT_EQ(q->cert_data.type, sc["certification_data_type"].get<int>());
    if (sc.contains("outer_certification_data_type")) {
      EXPECT_EQ(q->outer_cert_type.value_or(0), sc["outer_certification_data_type"].get<int>());
    }
    json& qe = sc["qe_report"];
    EXPECT_EQ(to_hex(q->qe_report.mrenclave), qe["mrenclave"].get<std::string>());
    EXPECT_EQ(to_hex(q->qe_report.mrsigner), qe["mrsigner"].get<std::string>());
    EXPECT_EQ(q->qe_report.isvprodid, qe["isvprodid"].get<int>());
    EXPECT_EQ(q->qe_report.isvsvn, qe["isvsvn"].get<int>());
    EXPECT_EQ(to_hex(q->qe_report.report_data), qe["report_data"].get<std::string>());
    EXPECT_EQ(to_hex(std::span(q->qe_report.raw).subspan(16, 4)), qe["miscselect"].get<std::string>());
    EXPECT_EQ(to_hex(q->report_data()), sc["decoded"]["report_data"].get<std::string>());
    if (q->cert_data.type == kCertTypePckChain && sc["pck_chain_pem_file"].is_string()) {
      const std::string pem = testing::read_text(sc["pck_chain_pem_file"].get<std::string>());
      EXPECT_EQ(q->cert_data.pem_chain(), pem);
    }
  }
  EXPECT_EQ(parsed, 21);
}

TEST(AttestQuote, EveryTruncationIsRejectedPrecisely) {
  for (const char* name : {"sgx_v3_phala.bin", "tdx_v4_phala.bin", "tdx_v5_phala.bin"}) {
    SCOPED_TRACE(name);
    const auto full = read_bytes(name);
    auto q = parse_quote(full);
    ASSERT_TRUE(q.ok());
    const std::size_t end = q->sig_data_offset + q->sig_data_size;
    for (std::size_t n = 0; n < end; ++n) {
      auto t = parse_quote(crypto::ByteSpan(full).first(n));
      ASSERT_FALSE(t.ok()) << n;
      EXPECT_EQ(t.error().code(), ErrorCode::invalid_argument);
      EXPECT_EQ(t.error().message().rfind("quote: ", 0), 0u);
    }
    EXPECT_TRUE(parse_quote(crypto::ByteSpan(full).first(end)).ok());
  }
}

TEST(AttestQuote, DeclaredSizesAreBoundsChecked) {
  auto b = read_bytes("sgx_v3_phala.bin");
  put_u32(b, 432, 0xffffffffu);
  auto q = parse_quote(b);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().message(), "quote: signature data length 4294967295 exceeds the 4164 bytes that remain");

  // The inner certification data size (v3 at 1048) larger than the signature data.
  b = read_bytes("sgx_v3_phala.bin");
  put_u32(b, 1048, 100000);
  q = parse_quote(b);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message().find("certification data length 100000 exceeds"), std::string::npos);

  // A signature data length shorter than its contents leaves them truncated.
  b = read_bytes("tdx_v4_phala.bin");
  put_u32(b, 632, 200);
  EXPECT_FALSE(parse_quote(b).ok());

  // Trailing bytes are accepted and counted.
  b = read_bytes("sgx_v3_phala.bin");
  b.resize(b.size() + 17, 0xee);
  q = parse_quote(b);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->trailing_bytes, 17u);
}

TEST(AttestQuote, HeaderAndBodyDescriptorAreStrict) {
  auto b = read_bytes("sgx_v3_phala.bin");
  b[0] = 2;
  EXPECT_NE(parse_quote(b).error().message().find("unsupported version 2"), std::string::npos);
  b = read_bytes("sgx_v3_phala.bin");
  b[2] = 3;
  EXPECT_NE(parse_quote(b).error().message().find("attestation key type 3"), std::string::npos);
  b = read_bytes("tdx_v4_phala.bin");
  b[4] = 0x80;
  EXPECT_NE(parse_quote(b).error().message().find("tee_type"), std::string::npos);
  b = read_bytes("tdx_v5_phala.bin");
  b[48] = 4;  // body type 4
  EXPECT_NE(parse_quote(b).error().message().find("body type 4"), std::string::npos);
  b = read_bytes("tdx_v5_phala.bin");
  b[48] = 1;  // SGX body type with tee_type TDX
  EXPECT_FALSE(parse_quote(b).ok());
  b = read_bytes("tdx_v5_phala.bin");
  put_u32(b, 50, 584);  // body type 3 with the 1.0 size
  EXPECT_NE(parse_quote(b).error().message().find("must have size 648"), std::string::npos);
  b = read_bytes("tdx_v4_phala.bin");
  b[764] = 5;  // outer certification data type must be 6
  EXPECT_NE(parse_quote(b).error().message().find("must be 6"), std::string::npos);
}

TEST(AttestQuote, V4SgxIsAcceptedStructurally) {
  // Build a v4 SGX quote from the v3 sample: same body, sig data wrapped in type 6.
  const auto v3 = read_bytes("sgx_v3_phala.bin");
  auto q3 = parse_quote(v3);
  ASSERT_TRUE(q3.ok());
  Bytes b(v3.begin(), v3.begin() + 432);
  b[0] = 4;
  const std::size_t inner_start = 436 + 128;  // QE report onwards
  const Bytes inner(v3.begin() + inner_start, v3.end());
  Bytes sig(v3.begin() + 436, v3.begin() + inner_start);
  sig.push_back(6);
  sig.push_back(0);
  for (int i = 0; i < 4; ++i) sig.push_back(static_cast<std::uint8_t>(inner.size() >> (8 * i)));
  sig.insert(sig.end(), inner.begin(), inner.end());
  b.resize(436);
  put_u32(b, 432, static_cast<std::uint32_t>(sig.size()));
  b.insert(b.end(), sig.begin(), sig.end());
  auto q = parse_quote(b);
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_FALSE(q->is_tdx());
  EXPECT_EQ(q->header.version, 4);
  EXPECT_EQ(q->sgx->mrenclave, q3->sgx->mrenclave);
  EXPECT_EQ(q->cert_data.pem_chain(), q3->cert_data.pem_chain());
}

TEST(AttestQuote, FlippingAnyHeaderOrLengthByteNeverCrashes) {
  const auto base = read_bytes("tdx_v5_phala.bin");
  for (std::size_t i = 0; i < 1400; ++i) {
    auto b = base;
    b[i] ^= 0xff;
    (void)parse_quote(b);
  }
}

}  // namespace
}  // namespace nsl::attest
