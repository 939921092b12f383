#include "attest/quote.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace nsl::attest {
namespace {

// A bounds-checked little-endian cursor over [pos, end). Every read names its field so an error
// says what was cut short and where.
class Reader {
 public:
  Reader(ByteSpan data, std::size_t pos, std::size_t end) : d_(data), pos_(pos), end_(end) {}

  std::size_t pos() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return end_ - pos_; }

  Status need(std::size_t n, const char* what) const {
    if (n > remaining()) {
      return err::invalid_argument("quote: truncated " + std::string(what) + " at offset " +
                                   std::to_string(pos_) + " (needs " + std::to_string(n) +
                                   " bytes, " + std::to_string(remaining()) + " remain)");
    }
    return ok_status();
  }
  // For a length the quote itself declares.
  Status need_declared(std::size_t n, const char* what) const {
    if (n > remaining()) {
      return err::invalid_argument("quote: " + std::string(what) + " length " + std::to_string(n) +
                                   " exceeds the " + std::to_string(remaining()) +
                                   " bytes that remain");
    }
    return ok_status();
  }

  Result<std::uint16_t> u16(const char* what) {
    NSL_TRY(need(2, what));
    std::uint16_t v = static_cast<std::uint16_t>(d_[pos_] | (d_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }
  Result<std::uint32_t> u32(const char* what) {
    NSL_TRY(need(4, what));
    std::uint32_t v = static_cast<std::uint32_t>(d_[pos_]) |
                      (static_cast<std::uint32_t>(d_[pos_ + 1]) << 8) |
                      (static_cast<std::uint32_t>(d_[pos_ + 2]) << 16) |
                      (static_cast<std::uint32_t>(d_[pos_ + 3]) << 24);
    pos_ += 4;
    return v;
  }
  template <std::size_t N>
  Status array(std::array<std::uint8_t, N>& out, const char* what) {
    NSL_TRY(need(N, what));
    std::memcpy(out.data(), d_.data() + pos_, N);
    pos_ += N;
    return ok_status();
  }
  Result<ByteSpan> span(std::size_t n, const char* what) {
    NSL_TRY(need_declared(n, what));
    ByteSpan s = d_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  ByteSpan d_;
  std::size_t pos_;
  std::size_t end_;
};

std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

template <std::size_t N>
void copy_at(std::array<std::uint8_t, N>& out, ByteSpan src, std::size_t off) {
  std::memcpy(out.data(), src.data() + off, N);
}

TdReportBody decode_td_body(ByteSpan b) {  // b.size() is 584 or 648 (checked by the caller)
  TdReportBody t;
  copy_at(t.tee_tcb_svn, b, 0);
  copy_at(t.mrseam, b, 16);
  copy_at(t.mrsignerseam, b, 64);
  copy_at(t.seam_attributes, b, 112);
  copy_at(t.td_attributes, b, 120);
  copy_at(t.xfam, b, 128);
  copy_at(t.mrtd, b, 136);
  copy_at(t.mrconfigid, b, 184);
  copy_at(t.mrowner, b, 232);
  copy_at(t.mrownerconfig, b, 280);
  for (std::size_t i = 0; i < 4; ++i) copy_at(t.rtmr[i], b, 328 + 48 * i);
  copy_at(t.report_data, b, 520);
  if (b.size() == kTdReport15Size) {
    t.td15 = true;
    copy_at(t.tee_tcb_svn2, b, 584);
    copy_at(t.mrservicetd, b, 600);
  }
  return t;
}

// The QE report fields, common to v3 (directly in the signature data) and v4/v5 (inside the type 6
// certification data). `r` is bounded to the enclosing structure.
Status parse_qe_fields(Reader& r, Quote& q) {
  NSL_TRY(r.need(kSgxReportBodySize, "QE report"));
  NSL_TRY_ASSIGN(ByteSpan qe, r.span(kSgxReportBodySize, "QE report"));
  NSL_TRY_ASSIGN(q.qe_report, parse_sgx_report_body(qe));
  NSL_TRY(r.array(q.qe_report_signature, "QE report signature"));
  NSL_TRY_ASSIGN(std::uint16_t auth_size, r.u16("QE authentication data size"));
  NSL_TRY_ASSIGN(ByteSpan auth, r.span(auth_size, "QE authentication data"));
  q.qe_auth_data.assign(auth.begin(), auth.end());
  NSL_TRY_ASSIGN(q.cert_data.type, r.u16("certification data type"));
  NSL_TRY_ASSIGN(std::uint32_t cert_size, r.u32("certification data size"));
  NSL_TRY_ASSIGN(ByteSpan cert, r.span(cert_size, "certification data"));
  q.cert_data.data.assign(cert.begin(), cert.end());
  if (q.cert_data.type < 1 || q.cert_data.type > 7 || q.cert_data.type == kCertTypeQeReport) {
    return err::invalid_argument("quote: unsupported inner certification data type " +
                                 std::to_string(q.cert_data.type));
  }
  return ok_status();
}

Status parse_body(ByteSpan in, Quote& q, std::size_t& pos) {
  const std::uint16_t version = q.header.version;
  std::size_t body_size = 0;
  if (version == 5) {
    Reader r(in, pos, in.size());
    NSL_TRY_ASSIGN(q.body_type, r.u16("body type"));
    NSL_TRY_ASSIGN(std::uint32_t declared, r.u32("body size"));
    pos = r.pos();
    static constexpr std::size_t kSizes[] = {0, kSgxReportBodySize, kTdReport10Size, kTdReport15Size};
    if (q.body_type < 1 || q.body_type > 3) {
      return err::invalid_argument("quote: unknown v5 body type " + std::to_string(q.body_type));
    }
    if (declared != kSizes[q.body_type]) {
      return err::invalid_argument("quote: v5 body type " + std::to_string(q.body_type) +
                                   " must have size " + std::to_string(kSizes[q.body_type]) +
                                   ", declared " + std::to_string(declared));
    }
    const bool body_is_tdx = q.body_type != 1;
    if (body_is_tdx != (q.header.tee_type == kTeeTypeTdx)) {
      return err::invalid_argument("quote: v5 body type " + std::to_string(q.body_type) +
                                   " does not match tee_type " + std::to_string(q.header.tee_type));
    }
    body_size = declared;
  } else if (version == 4 && q.header.tee_type == kTeeTypeTdx) {
    q.body_type = 2;
    body_size = kTdReport10Size;
  } else {
    q.body_type = 1;
    body_size = kSgxReportBodySize;
  }
  Reader r(in, pos, in.size());
  NSL_TRY(r.need(body_size, "report body"));
  NSL_TRY_ASSIGN(ByteSpan body, r.span(body_size, "report body"));
  if (q.body_type == 1) {
    NSL_TRY_ASSIGN(q.sgx, parse_sgx_report_body(body));
  } else {
    q.td = decode_td_body(body);
  }
  pos = r.pos();
  return ok_status();
}

}  // namespace

std::string CertificationData::pem_chain() const {
  if (type != kCertTypePckChain) return {};
  std::size_t n = data.size();
  while (n > 0 && data[n - 1] == 0) --n;
  return std::string(reinterpret_cast<const char*>(data.data()), n);
}

Result<SgxReportBody> parse_sgx_report_body(ByteSpan b) {
  if (b.size() != kSgxReportBodySize) {
    return err::invalid_argument("quote: an SGX report body is 384 bytes, got " +
                                 std::to_string(b.size()));
  }
  SgxReportBody s;
  copy_at(s.cpusvn, b, 0);
  s.miscselect = le32(b.data() + 16);
  copy_at(s.isv_ext_prod_id, b, 32);
  copy_at(s.attributes, b, 48);
  copy_at(s.mrenclave, b, 64);
  copy_at(s.mrsigner, b, 128);
  copy_at(s.config_id, b, 192);
  s.isvprodid = le16(b.data() + 256);
  s.isvsvn = le16(b.data() + 258);
  s.config_svn = le16(b.data() + 260);
  copy_at(s.isv_family_id, b, 304);
  copy_at(s.report_data, b, 320);
  copy_at(s.raw, b, 0);
  return s;
}

Result<Quote> parse_quote(ByteSpan in) {
  Quote q;
  Reader h(in, 0, in.size());
  NSL_TRY(h.need(kQuoteHeaderSize, "header"));
  NSL_TRY_ASSIGN(q.header.version, h.u16("version"));
  NSL_TRY_ASSIGN(q.header.att_key_type, h.u16("attestation key type"));
  NSL_TRY_ASSIGN(q.header.tee_type, h.u32("tee type"));
  NSL_TRY_ASSIGN(q.header.qe_svn, h.u16("qe_svn"));
  NSL_TRY_ASSIGN(q.header.pce_svn, h.u16("pce_svn"));
  NSL_TRY(h.array(q.header.qe_vendor_id, "qe_vendor_id"));
  NSL_TRY(h.array(q.header.user_data, "user_data"));

  const std::uint16_t v = q.header.version;
  if (v != 3 && v != 4 && v != 5) {
    return err::invalid_argument("quote: unsupported version " + std::to_string(v) +
                                 " (expected 3, 4 or 5)");
  }
  if (q.header.att_key_type != kAttKeyTypeEcdsaP256) {
    return err::invalid_argument("quote: unsupported attestation key type " +
                                 std::to_string(q.header.att_key_type) + " (only 2, ECDSA-P256)");
  }
  if (v == 3) {
    if (q.header.tee_type != 0) {
      return err::invalid_argument("quote: v3 reserved field at offset 4 is not zero");
    }
  } else if (q.header.tee_type != kTeeTypeSgx && q.header.tee_type != kTeeTypeTdx) {
    return err::invalid_argument("quote: unknown tee_type " + std::to_string(q.header.tee_type));
  }

  std::size_t pos = kQuoteHeaderSize;
  NSL_TRY(parse_body(in, q, pos));
  q.signed_region_size = pos;

  Reader r(in, pos, in.size());
  NSL_TRY_ASSIGN(std::uint32_t sig_len, r.u32("signature data length"));
  NSL_TRY(r.need_declared(sig_len, "signature data"));
  q.sig_data_offset = r.pos();
  q.sig_data_size = sig_len;
  q.trailing_bytes = r.remaining() - sig_len;

  Reader s(in, q.sig_data_offset, q.sig_data_offset + sig_len);  // bounded to the signature data
  NSL_TRY(s.array(q.signature, "quote signature"));
  NSL_TRY(s.array(q.attest_key, "attestation key"));
  if (v == 3) {
    NSL_TRY(parse_qe_fields(s, q));
  } else {
    NSL_TRY_ASSIGN(std::uint16_t outer_type, s.u16("certification data type"));
    NSL_TRY_ASSIGN(std::uint32_t outer_size, s.u32("certification data size"));
    if (outer_type != kCertTypeQeReport) {
      return err::invalid_argument("quote: v" + std::to_string(v) +
                                   " certification data type must be 6 (QE report), got " +
                                   std::to_string(outer_type));
    }
    q.outer_cert_type = outer_type;
    NSL_TRY(s.need_declared(outer_size, "QE report certification data"));
    Reader inner(in, s.pos(), s.pos() + outer_size);
    NSL_TRY(parse_qe_fields(inner, q));
    if (inner.remaining() != 0) {
      return err::invalid_argument("quote: " + std::to_string(inner.remaining()) +
                                   " unused bytes inside the QE report certification data");
    }
    NSL_TRY(s.span(outer_size, "QE report certification data"));
  }
  if (s.remaining() != 0) {
    return err::invalid_argument("quote: " + std::to_string(s.remaining()) +
                                 " unused bytes at the end of the signature data");
  }
  q.bytes.assign(in.begin(), in.end());
  return q;
}

}  // namespace nsl::attest
