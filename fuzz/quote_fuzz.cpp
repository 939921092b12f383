// Fuzz target `quote`: untrusted attestation quote bytes -> parse_quote (DCAP v3/v4/v5), verify_quote
// (fixed `now`, no collateral, simulated quotes allowed) and sim_quote_parse (attest/).
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - parse_quote ok => exactly one report body; the signed region, the u32 length, the signature
//     data and the trailing bytes add up to the input size; the QE report decodes from its raw bytes
//     to the same fields; verify_quote returns a verdict (an error only for a parse failure);
//   - every parser error is invalid_argument with a "quote: " / "sim quote: " message;
//   - a verdict's `ok` agrees with its checks and first_failure; verdict_to_json is one JSON object;
//   - sim_quote_parse ok => the input is exactly 204 bytes with the magic, and its signature verifies.
// ASan/UBSan check memory and undefined behaviour on every input (OpenSSL ASN.1/X.509 parsing of the
// embedded PEM chain included).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "attest/quote.hpp"
#include "attest/sim_quote.hpp"
#include "attest/verify.hpp"
#include "fuzz_check.hpp"

namespace {

using nsl::fuzz::check;
namespace attest = nsl::attest;
constexpr const char* kName = "quote";

void check_verdict(const attest::Verdict& v) {
  bool all = true;
  for (const auto& c : v.checks) {
    check(!c.name.empty(), kName, "check without a name");
    if (c.required && !c.passed) all = false;
  }
  check(v.ok == all, kName, "verdict ok disagrees with its checks");
  check(v.ok == v.first_failure.empty(), kName, "first_failure disagrees with ok", v.first_failure);
  const std::string js = attest::verdict_to_json(v);
  const auto j = nlohmann::json::parse(js, nullptr, false);
  check(j.is_object() && j["ok"] == v.ok, kName, "verdict_to_json is not the verdict", js);
  (void)v.measurements();
}

void dcap(nsl::crypto::ByteSpan in) {
  auto q = attest::parse_quote(in);
  if (!q.ok()) {
    check(q.error().code() == nsl::ErrorCode::invalid_argument, kName, "parse error is not invalid_argument");
    check(q.error().message().rfind("quote: ", 0) == 0, kName, "parse error without the quote: prefix",
          q.error().message());
    return;
  }
  check(q->sgx.has_value() != q->td.has_value(), kName, "not exactly one report body");
  check(q->signed_region_size + 4 == q->sig_data_offset, kName, "sig_data_len is not right after the body");
  check(q->sig_data_offset + q->sig_data_size + q->trailing_bytes == in.size(), kName, "sizes do not add up");
  check(q->bytes.size() == in.size(), kName, "quote copy has another size");
  auto qe = attest::parse_sgx_report_body(q->qe_report.raw);
  check(qe.ok() && qe->mrenclave == q->qe_report.mrenclave && qe->isvsvn == q->qe_report.isvsvn, kName,
        "QE report does not re-decode to itself");
  (void)q->cert_data.pem_chain();
}

void verify(nsl::crypto::ByteSpan in) {
  attest::VerifyOptions opt;
  opt.now = std::chrono::sys_seconds(std::chrono::seconds(1750330571));  // 2025-06-19T10:56:11Z
  opt.allow_simulated = true;
  auto v = attest::verify_quote(in, opt);
  if (!v.ok()) {
    check(v.error().code() == nsl::ErrorCode::invalid_argument, kName, "verify error is not invalid_argument",
          v.error().message());
    if (!attest::is_sim_quote(in)) {
      check(!attest::parse_quote(in).ok(), kName, "verify_quote failed on a parseable quote", v.error().message());
    }
    return;
  }
  check_verdict(*v);
  // Without simulated quotes allowed, a sim quote is never valid.
  if (attest::is_sim_quote(in)) {
    opt.allow_simulated = false;
    auto w = attest::verify_quote(in, opt);
    check(w.ok() && !w->ok, kName, "a sim quote verified with allow_simulated = false");
  }
}

void sim(nsl::crypto::ByteSpan in) {
  auto s = attest::sim_quote_parse(in);
  if (!s.ok()) {
    const auto c = s.error().code();
    check(c == nsl::ErrorCode::invalid_argument || c == nsl::ErrorCode::unauthenticated, kName,
          "sim quote error code", s.error().message());
    return;
  }
  check(in.size() == attest::kSimQuoteSize && attest::is_sim_quote(in), kName, "sim quote accepted with bad layout");
  check(attest::sim_quote_signature_valid(in), kName, "sim quote accepted with a bad signature");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nsl::crypto::ByteSpan in(data, size);
  try {
    dcap(in);
    verify(in);
    sim(in);
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "exception escaped", e.what());
  }
  return 0;
}
