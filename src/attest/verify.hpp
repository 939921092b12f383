// nsl/attest/verify.hpp — remote-attestation verification of Intel DCAP quotes (SGX v3, TDX v4/v5)
// and nsl sim quotes.
//
// verify_quote() parses the quote (attest/quote.hpp), then runs every applicable check and returns a
// Verdict listing each one by name with pass/fail and a short reason. `ok` is true only when every
// required check passed. Check names (the names of the test vectors' `expected` objects):
//   parse, header_att_key_type_is_ecdsa_p256, header_qe_vendor_is_intel, attest_key_on_curve,
//   quote_signature, qe_report_signature, qe_report_data_binding,
//   pck_chain_signatures, pck_chain_root_is_trusted, pck_chain_time_valid,
//   pck_chain_root_is_intel (informational: the chain's root is the pinned Intel SGX Root CA),
// and with collateral:
//   tcb_info_signature, qe_identity_signature, root_ca_crl_signature, pck_crl_signature,
//   pck_crl_issuer_matches_pck_issuer, pck_not_revoked, intermediate_not_revoked,
//   fmspc_matches_tcb_info, pceid_matches_tcb_info, collateral_matches_tee_type,
//   qe_identity_matches, collateral_window_nonempty, collateral_time_valid, tcb_not_revoked.
// Sim quotes: sim_quote_allowed, sim_quote_signature, sim_quoting_key_pinned (when a key is pinned).
//
// Trust anchor: by default the Intel SGX Root CA compiled into the binary (SHA-256 of the DER
// 44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3). The PCK chain and the
// collateral signer chains must end at the trusted root; a chain that verifies only under another
// root fails pck_chain_root_is_trusted with the other root's subject in the reason.
//
// TCB evaluation (collateral only) follows Intel QVL: the first TCB level whose SGX component SVNs
// and PCESVN (and, for TDX, tdxtcbcomponents) are all <= the platform's gives tcb_status;
// "Unmatched" when none does. The TCB status is reported, not judged: only "Revoked" fails
// (tcb_not_revoked); accepting OutOfDate etc. is the caller's policy.
//
// Thread-safety: pure functions (OpenSSL 3 is thread-safe); no global state.
//
//   VerifyOptions opt;  opt.collateral = load_collateral(dir).value();
//   NSL_TRY_ASSIGN(auto v, verify_quote(quote_bytes, opt));
//   if (!v.ok) log(v.first_failure);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "attest/quote.hpp"
#include "core/result.hpp"
#include "crypto/bytes.hpp"
#include "crypto/ed25519.hpp"

namespace nsl::attest {

// The pinned Intel SGX Root CA (DER).
ByteSpan intel_sgx_root_ca_der() noexcept;

// The Intel PCS collateral of one platform (FMSPC), as files in a directory:
//   tcb_info.json                {"tcbInfo":{...},"signature":"<hex r||s>"}  (PCS v3/v4 shape)
//   tcb_info_issuer_chain.pem    TCB signing cert, then root
//   qe_identity.json             {"enclaveIdentity":{...},"signature":"<hex r||s>"}
//   qe_identity_issuer_chain.pem
//   pck_crl.der                  CRL of the PCK Platform/Processor CA (DER or PEM)
//   pck_crl_issuer_chain.pem     PCK CA, then root (optional: when absent, the CA certificates of the
//                                quote's PCK chain are taken as the CRL issuer chain)
//   root_ca_crl.der              CRL of the root CA (DER or PEM)
// The JSON files are kept as text: their signatures cover the byte-exact inner object.
struct Collateral {
  std::string tcb_info_json;
  std::string tcb_info_issuer_chain_pem;
  std::string qe_identity_json;
  std::string qe_identity_issuer_chain_pem;
  Bytes pck_crl;
  std::string pck_crl_issuer_chain_pem;
  Bytes root_ca_crl;
};

// Reads the files above; not_found names a missing file, invalid_argument an unreadable one.
Result<Collateral> load_collateral(const std::string& dir);

struct VerifyOptions {
  Bytes trusted_root;  // DER or PEM; empty = the pinned Intel SGX Root CA
  std::optional<Collateral> collateral;
  // PEM chain (leaf first) used instead of the quote's certification data, for quotes that do not
  // carry one (type 1..4, e.g. Intel's QVL samples) or carry it in another form.
  std::string pck_chain_pem;
  std::optional<std::chrono::sys_seconds> now;  // default: the system clock
  bool allow_simulated = false;
  std::optional<crypto::Ed25519PublicKey> sim_quoting_key;  // pin the sim quoting key
};

enum class QuoteKind : std::uint8_t { sgx, tdx, sim };
std::string_view quote_kind_name(QuoteKind k) noexcept;  // "sgx" | "tdx" | "sim"

struct Check {
  std::string name;
  bool passed = false;
  std::string reason;          // why it failed, or a short note when it passed
  bool required = true;        // false: informational, does not affect Verdict::ok
};

struct TcbEvaluation {
  std::string tcb_status;  // UpToDate, SWHardeningNeeded, ConfigurationNeeded,
                           // ConfigurationAndSWHardeningNeeded, OutOfDate,
                           // OutOfDateConfigurationNeeded, Revoked, Unmatched
  std::string tcb_date;    // of the matched level; empty when Unmatched
  std::vector<std::string> advisory_ids;
  std::string qe_tcb_status;  // from the QE identity tcbLevels, "Unmatched" when none applies
  std::vector<std::string> qe_advisory_ids;
  // TDX with a TDX module major version > 0 (TEE_TCB_SVN[1]): status from tdxModuleIdentities
  // "TDX_%02X", or "IdentityNotFound".
  std::optional<std::string> tdx_module_tcb_status;
  std::string tdx_module_identity_id;
};

struct Verdict {
  bool ok = false;
  QuoteKind kind = QuoteKind::sgx;
  bool simulated = false;
  std::vector<Check> checks;
  std::string first_failure;  // "<check>: <reason>" of the first failed required check

  std::uint16_t quote_version = 0;
  std::uint16_t body_type = 0;
  std::size_t trailing_bytes = 0;
  std::optional<SgxReportBody> sgx;  // the enclave's report (SGX quotes)
  std::optional<TdReportBody> td;    // the TD's report (TDX quotes)
  std::array<std::uint8_t, 32> sim_measurement{};  // sim quotes
  crypto::Ed25519PublicKey sim_quoting_key{};      // sim quotes
  Bytes report_data;                 // 64 bytes
  std::string fmspc;                 // lowercase hex, from the PCK certificate; empty if unknown
  std::string pceid;
  std::optional<TcbEvaluation> tcb;  // set when collateral was given

  const Check* find(std::string_view name) const noexcept;
  // Ordered (name, lowercase hex or decimal) pairs: mrenclave, mrsigner, isvprodid, isvsvn (SGX);
  // mrtd, rtmr0..3, mrseam, ... (TDX); measurement, quoting_key (sim).
  std::vector<std::pair<std::string, std::string>> measurements() const;
};

// invalid_argument when the quote cannot be parsed (the parser's message) or an option is unusable
// (the trusted root is not a certificate). Everything else is reported in the Verdict.
Result<Verdict> verify_quote(ByteSpan quote, const VerifyOptions& options);

// One JSON object: ok, kind, simulated, first_failure, checks [{name, passed, required, reason}],
// measurements {...}, report_data, fmspc, tcb {...}.
std::string verdict_to_json(const Verdict& v);

// "2025-06-19T10:56:11Z", "...+00:00", fractional seconds, or decimal unix seconds.
Result<std::chrono::sys_seconds> parse_time(std::string_view text);

}  // namespace nsl::attest
