// nsl/attest/quote.hpp — strict parser of Intel DCAP ECDSA quotes: v3 (SGX), v4 (TDX, and SGX
// structurally), v5 (body types 1 = SGX, 2 = TD report 1.0, 3 = TD report 1.5).
//
// Layout (all integers little-endian; Intel "SGX ECDSA Quote Library API" and tests/vectors/
// attestation/README.md §3): a 48-byte header; the report body (v3/v4 at 48; v5 has a 6-byte
// descriptor {u16 body_type, u32 body_size} at 48 and the body at 54); u32 sig_data_len; the
// signature data: quote signature r||s (64), attestation key x||y (64), then
//   v3:    QE report (384), QE report signature (64), u16 + QE auth data, u16 type + u32 size +
//          certification data;
//   v4/v5: u16 type (= 6, QE report certification data) + u32 size wrapping the v3 fields above.
// The signed region is every byte before sig_data_len.
//
// Only the ECDSA-P256 attestation key type (2) is understood. Every length is bounds-checked: a
// declared size larger than what remains is invalid_argument with a precise message ("quote:
// signature data length 4164 exceeds the 4064 bytes that remain"). Bytes after the signature data
// are accepted (TDX buffers are padded) and counted in `trailing_bytes`. Parsing checks structure
// only; signatures, keys and vendor ids are the verifier's job (attest/verify.hpp).
//
// Thread-safety: pure functions and value types.
//
//   NSL_TRY_ASSIGN(auto q, nsl::attest::parse_quote(bytes));
//   if (q.td) use(q.td->mrtd);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::attest {

using crypto::Bytes;
using crypto::ByteSpan;

inline constexpr std::uint16_t kAttKeyTypeEcdsaP256 = 2;
inline constexpr std::uint32_t kTeeTypeSgx = 0x00000000;
inline constexpr std::uint32_t kTeeTypeTdx = 0x00000081;
inline constexpr std::array<std::uint8_t, 16> kIntelQeVendorId = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

inline constexpr std::size_t kQuoteHeaderSize = 48;
inline constexpr std::size_t kSgxReportBodySize = 384;
inline constexpr std::size_t kTdReport10Size = 584;
inline constexpr std::size_t kTdReport15Size = 648;

// Certification data types (Intel QuoteVerification: 1..7).
inline constexpr std::uint16_t kCertTypePpidCleartext = 1;
inline constexpr std::uint16_t kCertTypePckChain = 5;
inline constexpr std::uint16_t kCertTypeQeReport = 6;

struct QuoteHeader {
  std::uint16_t version = 0;
  std::uint16_t att_key_type = 0;
  std::uint32_t tee_type = 0;  // v3: the reserved field (0)
  std::uint16_t qe_svn = 0;    // v3 only; reserved in v4/v5
  std::uint16_t pce_svn = 0;   // v3 only; reserved in v4/v5
  std::array<std::uint8_t, 16> qe_vendor_id{};
  std::array<std::uint8_t, 20> user_data{};
};

// An SGX enclave report body (the application enclave of an SGX quote, and every QE report).
struct SgxReportBody {
  std::array<std::uint8_t, 16> cpusvn{};
  std::uint32_t miscselect = 0;
  std::array<std::uint8_t, 16> isv_ext_prod_id{};
  std::array<std::uint8_t, 16> attributes{};
  std::array<std::uint8_t, 32> mrenclave{};
  std::array<std::uint8_t, 32> mrsigner{};
  std::array<std::uint8_t, 64> config_id{};
  std::uint16_t isvprodid = 0;
  std::uint16_t isvsvn = 0;
  std::uint16_t config_svn = 0;
  std::array<std::uint8_t, 16> isv_family_id{};
  std::array<std::uint8_t, 64> report_data{};
  std::array<std::uint8_t, kSgxReportBodySize> raw{};  // the 384 bytes as quoted (signed by the PCK)
};

// A TD report body, 1.0 (584 bytes) or 1.5 (648 bytes: adds tee_tcb_svn2 and mrservicetd).
struct TdReportBody {
  std::array<std::uint8_t, 16> tee_tcb_svn{};
  std::array<std::uint8_t, 48> mrseam{};
  std::array<std::uint8_t, 48> mrsignerseam{};
  std::array<std::uint8_t, 8> seam_attributes{};
  std::array<std::uint8_t, 8> td_attributes{};
  std::array<std::uint8_t, 8> xfam{};
  std::array<std::uint8_t, 48> mrtd{};
  std::array<std::uint8_t, 48> mrconfigid{};
  std::array<std::uint8_t, 48> mrowner{};
  std::array<std::uint8_t, 48> mrownerconfig{};
  std::array<std::array<std::uint8_t, 48>, 4> rtmr{};
  std::array<std::uint8_t, 64> report_data{};
  bool td15 = false;                              // the two fields below are set only for TD 1.5
  std::array<std::uint8_t, 16> tee_tcb_svn2{};
  std::array<std::uint8_t, 48> mrservicetd{};
};

struct CertificationData {
  std::uint16_t type = 0;
  Bytes data;
  // Type 5: the PEM chain text (leaf first) without the trailing NUL bytes; empty for other types.
  std::string pem_chain() const;
};

struct Quote {
  QuoteHeader header;
  // 1 = SGX report, 2 = TD report 1.0, 3 = TD report 1.5 (v3/v4 quotes get the implied type).
  std::uint16_t body_type = 0;
  std::optional<SgxReportBody> sgx;  // exactly one of sgx / td is set
  std::optional<TdReportBody> td;

  std::size_t signed_region_size = 0;  // the signed region is bytes [0, signed_region_size)
  std::size_t sig_data_offset = 0;     // first byte after the u32 sig_data_len
  std::size_t sig_data_size = 0;
  std::size_t trailing_bytes = 0;      // bytes after the signature data (accepted, ignored)

  std::array<std::uint8_t, 64> signature{};   // r || s over the signed region
  std::array<std::uint8_t, 64> attest_key{};  // x || y (P-256)
  std::optional<std::uint16_t> outer_cert_type;  // v4/v5: the wrapper type (6)
  SgxReportBody qe_report;
  std::array<std::uint8_t, 64> qe_report_signature{};  // by the PCK leaf key over qe_report.raw
  Bytes qe_auth_data;
  CertificationData cert_data;  // the inner certification data (PCK chain for type 5)

  Bytes bytes;  // a copy of the whole input

  bool is_tdx() const noexcept { return td.has_value(); }
  ByteSpan signed_region() const noexcept { return ByteSpan(bytes).first(signed_region_size); }
  const std::array<std::uint8_t, 64>& report_data() const noexcept {
    return td ? td->report_data : sgx->report_data;
  }
};

// Structural parse; invalid_argument ("quote: ...") on any malformed or truncated input.
Result<Quote> parse_quote(ByteSpan quote);

// Decodes a 384-byte SGX report body (no checks beyond the size).
Result<SgxReportBody> parse_sgx_report_body(ByteSpan body);

}  // namespace nsl::attest
