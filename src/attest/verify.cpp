// verify_quote(): runs every check of attest/verify.hpp. DCAP: the quote's own signatures, the PCK
// chain, then (with collateral) the Intel-signed TCB info, QE identity and CRLs. Sim: the Ed25519
// signature, when simulated quotes are allowed.
#include "attest/verify.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <limits>

#include "attest/internal/collateral.hpp"
#include "attest/internal/x509.hpp"
#include "attest/sim_quote.hpp"
#include "core/strings.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/hash.hpp"

namespace nsl::attest {
namespace {

using namespace internal;  // NOLINT(google-build-using-namespace): this file is the module's core

constexpr std::int64_t kMinTime = std::numeric_limits<std::int64_t>::min();

class Checks {
 public:
  explicit Checks(Verdict& v) : v_(v) {}
  void add(std::string name, bool passed, std::string reason, bool required = true) {
    if (!passed && required && v_.first_failure.empty()) v_.first_failure = name + ": " + reason;
    v_.checks.push_back(Check{std::move(name), passed, std::move(reason), required});
  }
  void finish() {
    v_.ok = std::all_of(v_.checks.begin(), v_.checks.end(),
                        [](const Check& c) { return c.passed || !c.required; });
  }

 private:
  Verdict& v_;
};

Result<Verdict> verify_sim(ByteSpan in, const VerifyOptions& opt) {
  Verdict v;
  v.kind = QuoteKind::sim;
  v.simulated = true;
  Checks checks(v);
  auto decoded = sim_quote_decode(in);
  if (!opt.allow_simulated) {
    checks.add("sim_quote_allowed", false, "simulated quote not allowed (attestation.allow_simulated = false)");
    if (!decoded.ok()) checks.add("parse", false, decoded.error().message());
  } else {
    if (!decoded.ok()) return decoded.error();
    checks.add("sim_quote_allowed", true, "attestation.allow_simulated = true");
  }
  if (decoded.ok()) {
    const SimQuote& s = *decoded;
    v.quote_version = s.version;
    v.sim_measurement = s.measurement;
    v.sim_quoting_key = s.quoting_key;
    v.report_data.assign(s.report_data.begin(), s.report_data.end());
    checks.add("parse", true, "nsl sim quote v" + std::to_string(s.version));
    const bool sig = sim_quote_signature_valid(in);
    checks.add("sim_quote_signature", sig,
               sig ? "Ed25519 signature by the embedded quoting key" : "Ed25519 signature does not verify");
    if (opt.sim_quoting_key) {
      const bool pinned = std::equal(s.quoting_key.begin(), s.quoting_key.end(), opt.sim_quoting_key->begin());
      checks.add("sim_quoting_key_pinned", pinned,
                 pinned ? "quoting key is the pinned key"
                        : "quoting key " + to_hex(s.quoting_key) + " is not the pinned key " +
                              to_hex(*opt.sim_quoting_key));
    }
  }
  checks.finish();
  return v;
}

std::string svn_list(const std::array<int, 16>& a) {
  std::string s;
  for (std::size_t i = 0; i < a.size(); ++i) s += (i ? "," : "") + std::to_string(a[i]);
  return s;
}

struct Context {
  const Quote& q;
  const CertChain& pck_chain;
  X509* root;
  std::int64_t now;
  const Result<SgxExtension>& ext;
};

// A collateral signer chain plus the signature it makes over `body`.
struct SignedDoc {
  bool ok = false;
  std::string reason;
  ChainCheck chain;
};

SignedDoc check_signed_doc(const Result<SignedJson>& doc, const CertChain& chain, X509* root, std::int64_t now,
                           const char* what) {
  SignedDoc r;
  r.chain = check_chain(chain, root, now);
  if (!doc.ok()) {
    r.reason = std::string(what) + ": " + doc.error().message();
  } else if (chain.empty()) {
    r.reason = std::string(what) + " issuer chain has no certificate";
  } else if (!verify_rs_with_cert(chain[0].get(), crypto::as_bytes(doc->body), doc->signature)) {
    r.reason = std::string(what) + " signature does not verify under " + subject_cn(chain[0].get());
  } else if (!r.chain.signatures_ok) {
    r.reason = std::string(what) + " issuer chain: " + r.chain.signatures_reason;
  } else if (!r.chain.trusted_ok) {
    r.reason = std::string(what) + " issuer chain: " + r.chain.trusted_reason;
  } else {
    r.ok = true;
    r.reason = "signed by " + subject_cn(chain[0].get());
  }
  return r;
}

void check_collateral(const Collateral& c, const Context& ctx, Verdict& v, Checks& checks) {
  X509* leaf = ctx.pck_chain.empty() ? nullptr : ctx.pck_chain[0].get();
  const bool tdx = ctx.q.is_tdx();

  // Signatures of the two JSON documents over their exact inner text.
  const auto tcb_doc = split_signed_json(c.tcb_info_json, "tcbInfo");
  const auto qe_doc = split_signed_json(c.qe_identity_json, "enclaveIdentity");
  const CertChain tcb_chain = parse_pem_chain(c.tcb_info_issuer_chain_pem);
  const CertChain qe_chain = parse_pem_chain(c.qe_identity_issuer_chain_pem);
  const SignedDoc tcb_sig = check_signed_doc(tcb_doc, tcb_chain, ctx.root, ctx.now, "TCB info");
  const SignedDoc qe_sig = check_signed_doc(qe_doc, qe_chain, ctx.root, ctx.now, "QE identity");
  checks.add("tcb_info_signature", tcb_sig.ok, tcb_sig.reason);
  checks.add("qe_identity_signature", qe_sig.ok, qe_sig.reason);

  // CRLs.
  auto root_crl = parse_crl(c.root_ca_crl);
  auto pck_crl = parse_crl(c.pck_crl);
  CertChain crl_chain = parse_pem_chain(c.pck_crl_issuer_chain_pem);
  if (c.pck_crl_issuer_chain_pem.empty()) {  // the PCK chain's CA certificates issue the PCK CRL
    for (std::size_t i = 1; i < ctx.pck_chain.size(); ++i) {
      X509_up_ref(ctx.pck_chain[i].get());
      crl_chain.emplace_back(ctx.pck_chain[i].get());
    }
  }
  const ChainCheck crl_cc = check_chain(crl_chain, ctx.root, ctx.now);
  if (!root_crl.ok()) {
    checks.add("root_ca_crl_signature", false, "root CA CRL: " + root_crl.error().message());
  } else {
    const CrlCheck rc = check_crl_signature(root_crl->get(), ctx.root);
    checks.add("root_ca_crl_signature", rc.signature_ok, "root CA CRL: " + rc.reason);
  }
  if (!pck_crl.ok()) {
    checks.add("pck_crl_signature", false, "PCK CRL: " + pck_crl.error().message());
  } else if (crl_chain.empty()) {
    checks.add("pck_crl_signature", false, "PCK CRL issuer chain has no certificate");
  } else {
    const CrlCheck pc = check_crl_signature(pck_crl->get(), crl_chain[0].get());
    if (!pc.signature_ok) {
      checks.add("pck_crl_signature", false, "PCK CRL: " + pc.reason);
    } else if (!crl_cc.signatures_ok || !crl_cc.trusted_ok) {
      checks.add("pck_crl_signature", false,
                 "PCK CRL issuer chain: " + (crl_cc.signatures_ok ? crl_cc.trusted_reason : crl_cc.signatures_reason));
    } else {
      checks.add("pck_crl_signature", true, "PCK CRL " + pc.reason);
    }
  }
  if (!pck_crl.ok() || leaf == nullptr) {
    checks.add("pck_crl_issuer_matches_pck_issuer", false, "no PCK CRL or no PCK certificate");
    checks.add("pck_not_revoked", false, "no PCK CRL or no PCK certificate");
  } else {
    const X509_NAME* crl_issuer = X509_CRL_get_issuer(pck_crl->get());
    const X509_NAME* pck_issuer = X509_get_issuer_name(leaf);
    const bool same = X509_NAME_cmp(crl_issuer, pck_issuer) == 0;
    checks.add("pck_crl_issuer_matches_pck_issuer", same,
               same ? name_of(crl_issuer)
                    : "PCK CRL is issued by " + name_of(crl_issuer) + ", the PCK certificate by " +
                          name_of(pck_issuer));
    const bool revoked = crl_lists(pck_crl->get(), leaf);
    checks.add("pck_not_revoked", !revoked,
               revoked ? "PCK certificate serial is listed in the PCK CRL" : "serial not in the PCK CRL");
  }
  // Every certificate issued directly by the root (PCK CA, TCB signing, CRL issuer) against the
  // root CA CRL.
  if (!root_crl.ok()) {
    checks.add("intermediate_not_revoked", false, "no root CA CRL");
  } else {
    std::string revoked;
    int checked = 0;
    const std::array<const CertChain*, 4> chains = {&ctx.pck_chain, &tcb_chain, &qe_chain, &crl_chain};
    for (const CertChain* ch : chains) {
      for (const auto& cert : *ch) {
        if (ctx.root == nullptr || same_certificate(cert.get(), ctx.root)) continue;
        if (X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(ctx.root)) != 0) continue;
        if (X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())) == 0) continue;
        ++checked;
        if (crl_lists(root_crl->get(), cert.get()) && revoked.empty()) revoked = subject_cn(cert.get());
      }
    }
    checks.add("intermediate_not_revoked", revoked.empty(),
               revoked.empty() ? std::to_string(checked) + " CA/signing certificates not in the root CA CRL"
                               : revoked + " is revoked by the root CA CRL");
  }

  // Contents.
  Result<TcbInfo> tcb = tcb_doc.ok() ? parse_tcb_info(tcb_doc->body) : Result<TcbInfo>(tcb_doc.error());
  Result<QeIdentity> qe = qe_doc.ok() ? parse_qe_identity(qe_doc->body) : Result<QeIdentity>(qe_doc.error());
  if (!ctx.ext.ok() || !tcb.ok()) {
    const std::string why = !ctx.ext.ok() ? "PCK certificate: " + ctx.ext.error().message()
                                          : "TCB info: " + tcb.error().message();
    checks.add("fmspc_matches_tcb_info", false, why);
    checks.add("pceid_matches_tcb_info", false, why);
  } else {
    const std::string fmspc = to_hex(ctx.ext->fmspc);
    const std::string pceid = to_hex(ctx.ext->pceid);
    checks.add("fmspc_matches_tcb_info", fmspc == tcb->fmspc,
               fmspc == tcb->fmspc ? "FMSPC " + fmspc
                                   : "PCK FMSPC " + fmspc + " is not the TCB info FMSPC " + tcb->fmspc);
    checks.add("pceid_matches_tcb_info", pceid == tcb->pceid,
               pceid == tcb->pceid ? "PCE-ID " + pceid
                                   : "PCK PCE-ID " + pceid + " is not the TCB info PCE-ID " + tcb->pceid);
  }
  {
    const std::string want_tcb = tdx ? "TDX" : "SGX";
    const std::string want_qe = tdx ? "TD_QE" : "QE";
    std::string why;
    if (!tcb.ok()) {
      why = "TCB info: " + tcb.error().message();
    } else if (tcb->id != want_tcb) {
      why = "TCB info is for " + tcb->id + ", the quote is " + want_tcb;
    } else if (!qe.ok()) {
      why = "QE identity: " + qe.error().message();
    } else if (qe->id != want_qe) {
      why = "QE identity is " + qe->id + ", the quote needs " + want_qe;
    }
    checks.add("collateral_matches_tee_type", why.empty(), why.empty() ? want_tcb + " / " + want_qe : why);
  }
  if (!qe.ok()) {
    checks.add("qe_identity_matches", false, "QE identity: " + qe.error().message());
  } else {
    const QeMatch m = match_qe_identity(*qe, ctx.q.qe_report);
    checks.add("qe_identity_matches", m.ok, m.reason);
  }

  // Time: every item's own window, and every signer certificate, at `now`.
  struct Item {
    const char* name;
    std::int64_t from, to;
  };
  std::vector<Item> items;
  if (tcb.ok()) items.push_back({"TCB info", tcb->issue_date, tcb->next_update});
  if (qe.ok()) items.push_back({"QE identity", qe->issue_date, qe->next_update});
  if (pck_crl.ok()) items.push_back({"PCK CRL", crl_this_update(pck_crl->get()), crl_next_update(pck_crl->get())});
  if (root_crl.ok()) {
    items.push_back({"root CA CRL", crl_this_update(root_crl->get()), crl_next_update(root_crl->get())});
  }
  const bool all_items = items.size() == 4;
  std::int64_t lo = kMinTime;
  std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  std::string time_why = all_items ? "" : "a collateral item is unreadable";
  for (const Item& it : items) {
    if (it.from == kMinTime || it.to == kMinTime) {
      if (time_why.empty()) time_why = std::string(it.name) + " has no readable validity period";
      continue;
    }
    lo = std::max(lo, it.from);
    hi = std::min(hi, it.to);
    if (time_why.empty() && (ctx.now < it.from || ctx.now > it.to)) {
      time_why = std::string(it.name) + " is valid " + format_unix(it.from) + " to " + format_unix(it.to) +
                 ", not at " + format_unix(ctx.now);
    }
  }
  const bool window = all_items && lo <= hi;
  checks.add("collateral_window_nonempty", window,
             window ? format_unix(lo) + " to " + format_unix(hi)
                    : (all_items ? "items do not overlap: latest start " + format_unix(lo) + ", earliest end " +
                                       format_unix(hi)
                                 : "a collateral item is unreadable"));
  for (const ChainCheck* cc : {&tcb_sig.chain, &qe_sig.chain, &crl_cc}) {
    if (time_why.empty() && !cc->time_ok) time_why = "issuer chain: " + cc->time_reason;
  }
  checks.add("collateral_time_valid", time_why.empty(),
             time_why.empty() ? "all items valid at " + format_unix(ctx.now) : time_why);

  // TCB evaluation (reported; only Revoked fails).
  if (tcb.ok() && ctx.ext.ok()) {
    TcbEvaluation e;
    const TcbLevel* lv = match_tcb_level(*tcb, *ctx.ext, tdx ? &*ctx.q.td : nullptr);
    if (lv != nullptr) {
      e.tcb_status = lv->status;
      e.tcb_date = lv->date;
      e.advisory_ids = lv->advisories;
    } else {
      e.tcb_status = "Unmatched";
    }
    if (qe.ok()) {
      const IsvLevel* ql = match_isv_level(qe->levels, ctx.q.qe_report.isvsvn);
      e.qe_tcb_status = ql != nullptr ? ql->status : "Unmatched";
      if (ql != nullptr) e.qe_advisory_ids = ql->advisories;
    }
    if (tdx && tcb->id == "TDX" && ctx.q.td->tee_tcb_svn[1] > 0) {
      char id[16];
      std::snprintf(id, sizeof(id), "TDX_%02X", static_cast<unsigned>(ctx.q.td->tee_tcb_svn[1]));
      e.tdx_module_identity_id = id;
      const ModuleIdentity* mod = nullptr;
      for (const auto& m : tcb->modules) {
        if (iequals(m.id, id)) mod = &m;
      }
      if (mod == nullptr) {
        e.tdx_module_tcb_status = "IdentityNotFound";
      } else {
        const IsvLevel* ml = match_isv_level(mod->levels, ctx.q.td->tee_tcb_svn[0]);
        e.tdx_module_tcb_status = ml != nullptr ? ml->status : "Unmatched";
      }
    }
    std::string revoked;
    if (e.tcb_status == "Revoked") revoked = "platform TCB level is Revoked";
    if (e.qe_tcb_status == "Revoked") revoked = "QE TCB level is Revoked";
    if (e.tdx_module_tcb_status == std::optional<std::string>("Revoked")) revoked = "TDX module TCB is Revoked";
    checks.add("tcb_not_revoked", revoked.empty(),
               revoked.empty() ? "TCB status " + e.tcb_status + (lv ? "" : " (no level matches PCK SVNs " +
                                                                               svn_list(ctx.ext->comp_svn) + ")")
                               : revoked);
    v.tcb = std::move(e);
  } else {
    checks.add("tcb_not_revoked", false,
               !tcb.ok() ? "TCB info: " + tcb.error().message() : "PCK certificate: " + ctx.ext.error().message());
  }
}

Result<Verdict> verify_dcap(ByteSpan in, const VerifyOptions& opt) {
  NSL_TRY_ASSIGN(Quote q, parse_quote(in));

  // Trust anchors.
  const ByteSpan root_bytes = opt.trusted_root.empty() ? intel_sgx_root_ca_der() : ByteSpan(opt.trusted_root);
  auto root = parse_certificate(root_bytes);
  if (!root.ok()) return err::invalid_argument("trusted root: " + root.error().message());
  NSL_TRY_ASSIGN(X509Ptr intel_root, parse_certificate(intel_sgx_root_ca_der()));
  const std::int64_t now = opt.now ? opt.now->time_since_epoch().count()
                                   : std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();

  Verdict v;
  v.kind = q.is_tdx() ? QuoteKind::tdx : QuoteKind::sgx;
  v.quote_version = q.header.version;
  v.body_type = q.body_type;
  v.trailing_bytes = q.trailing_bytes;
  v.sgx = q.sgx;
  v.td = q.td;
  v.report_data.assign(q.report_data().begin(), q.report_data().end());
  Checks checks(v);

  checks.add("parse", true,
             "v" + std::to_string(q.header.version) + (q.is_tdx() ? " TDX" : " SGX") + " quote, body type " +
                 std::to_string(q.body_type) + ", " + std::to_string(in.size()) + " bytes, " +
                 std::to_string(q.trailing_bytes) + " trailing");
  checks.add("header_att_key_type_is_ecdsa_p256", q.header.att_key_type == kAttKeyTypeEcdsaP256, "ECDSA-P256");
  const bool intel_vendor = q.header.qe_vendor_id == kIntelQeVendorId;
  checks.add("header_qe_vendor_is_intel", intel_vendor,
             intel_vendor ? "Intel QE" : "QE vendor id " + to_hex(q.header.qe_vendor_id) + " is not Intel's");

  // Quote signature by the attestation key.
  Bytes sec1(1, 0x04);
  sec1.insert(sec1.end(), q.attest_key.begin(), q.attest_key.end());
  const bool on_curve = crypto::ec_check_public_key(crypto::Curve::secp256r1, sec1).ok();
  checks.add("attest_key_on_curve", on_curve, on_curve ? "P-256 point" : "attestation key is not a P-256 point");
  const bool qsig = on_curve && crypto::ecdsa_verify(crypto::Curve::secp256r1, sec1,
                                                     crypto::sha256(q.signed_region()), q.signature);
  checks.add("quote_signature", qsig,
             qsig ? "signed region [0," + std::to_string(q.signed_region_size) + ") verifies"
                  : (on_curve ? "signature over the signed region does not verify under the attestation key"
                              : "attestation key is not a P-256 point"));

  // PCK chain: the caller's (type 1..4 quotes) or the quote's own (type 5).
  std::string pem = opt.pck_chain_pem;
  if (pem.empty()) pem = q.cert_data.pem_chain();
  const CertChain chain = parse_pem_chain(pem);
  X509* leaf = chain.empty() ? nullptr : chain[0].get();
  const std::string no_chain =
      q.cert_data.type == kCertTypePckChain
          ? "certification data type 5 holds no PEM certificate chain"
          : "quote carries certification data type " + std::to_string(q.cert_data.type) +
                " (no PCK chain); supply the chain separately";

  const bool qe_sig = leaf != nullptr && verify_rs_with_cert(leaf, q.qe_report.raw, q.qe_report_signature);
  checks.add("qe_report_signature", qe_sig,
             leaf == nullptr ? no_chain
                             : (qe_sig ? "signed by " + subject_cn(leaf)
                                       : "QE report signature does not verify under the PCK certificate key"));

  Bytes bound(q.attest_key.begin(), q.attest_key.end());
  bound.insert(bound.end(), q.qe_auth_data.begin(), q.qe_auth_data.end());
  const auto digest = crypto::sha256(bound);
  const auto& rd = q.qe_report.report_data;
  const bool hash_ok = std::equal(digest.begin(), digest.end(), rd.begin());
  const bool zero_ok = std::all_of(rd.begin() + 32, rd.end(), [](std::uint8_t b) { return b == 0; });
  checks.add("qe_report_data_binding", hash_ok && zero_ok,
             !hash_ok  ? "QE report_data[0:32] is not SHA-256(attestation key || QE auth data)"
             : !zero_ok ? "QE report_data[32:64] is not zero"
                        : "QE report binds the attestation key");

  const ChainCheck cc = check_chain(chain, root->get(), now);
  checks.add("pck_chain_signatures", !chain.empty() && cc.signatures_ok,
             chain.empty() ? no_chain : cc.signatures_reason);
  checks.add("pck_chain_root_is_trusted", !chain.empty() && cc.trusted_ok, chain.empty() ? no_chain : cc.trusted_reason);
  checks.add("pck_chain_time_valid", !chain.empty() && cc.time_ok, chain.empty() ? no_chain : cc.time_reason);
  bool is_intel = false;
  if (!chain.empty()) {
    is_intel = same_certificate(root->get(), intel_root.get()) ? cc.trusted_ok
                                                               : check_chain(chain, intel_root.get(), now).trusted_ok;
  }
  checks.add("pck_chain_root_is_intel", is_intel,
             is_intel ? "chain ends at the Intel SGX Root CA" : "chain does not end at the Intel SGX Root CA",
             /*required=*/false);

  const Result<SgxExtension> ext = leaf != nullptr ? parse_sgx_extension(leaf)
                                                   : Result<SgxExtension>(err::invalid_argument(no_chain));
  if (ext.ok()) {
    v.fmspc = to_hex(ext->fmspc);
    v.pceid = to_hex(ext->pceid);
  }
  if (opt.collateral) {
    const Context ctx{q, chain, root->get(), now, ext};
    check_collateral(*opt.collateral, ctx, v, checks);
  }
  checks.finish();
  return v;
}

}  // namespace

std::string_view quote_kind_name(QuoteKind k) noexcept {
  switch (k) {
    case QuoteKind::sgx: return "sgx";
    case QuoteKind::tdx: return "tdx";
    case QuoteKind::sim: return "sim";
  }
  return "unknown";
}

const Check* Verdict::find(std::string_view name) const noexcept {
  for (const Check& c : checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<Verdict> verify_quote(ByteSpan quote, const VerifyOptions& options) {
  try {
    if (is_sim_quote(quote)) return verify_sim(quote, options);
    return verify_dcap(quote, options);
  } catch (const std::bad_alloc&) {
    return err::internal("out of memory while verifying a quote");
  } catch (const std::exception& e) {
    return err::internal(std::string("quote verification failed unexpectedly: ") + e.what());
  }
}

}  // namespace nsl::attest
