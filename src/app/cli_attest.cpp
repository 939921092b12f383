// `nsl attest ...`: offline remote-attestation tools for operators (attest/verify.hpp).
//
//   nsl attest verify QUOTE_FILE [--collateral DIR] [--root FILE] [--pck-chain PEM] [--at TIME]
//                    [--allow-simulated] [--sim-key HEX] [--json]
//
// Exit status: 0 the quote is valid; 1 it was read and is invalid (including unparseable); 2 usage
// or I/O error (unreadable file, bad option value, unusable collateral or root).
#include <cctype>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/cli.hpp"
#include "app/cli_args.hpp"
#include "attest/quote.hpp"
#include "attest/sim_quote.hpp"
#include "attest/verify.hpp"
#include "core/strings.hpp"

namespace nsl::app {

namespace {
constexpr const char* kAttestUsage = R"(usage:
  nsl attest verify QUOTE_FILE [options]    verify an SGX/TDX DCAP quote or an nsl sim quote
options:
  --collateral DIR     Intel PCS collateral: tcb_info.json, qe_identity.json, their issuer chains,
                       pck_crl.der, pck_crl_issuer_chain.pem, root_ca_crl.der (enables TCB checks)
  --root FILE          trusted root CA, PEM or DER (default: the pinned Intel SGX Root CA)
  --pck-chain FILE     PEM PCK chain, leaf first, for quotes that do not carry one
  --at TIME            verification time, RFC 3339 or unix seconds (default: now)
  --allow-simulated    accept nsl sim quotes (never in production)
  --sim-key HEX        pin the sim quoting key (32-byte Ed25519 public key)
  --json               one JSON object instead of text
QUOTE_FILE holds the raw quote bytes, or the same as hex text.
exit status: 0 valid, 1 invalid, 2 usage or I/O error
)";

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return s;
}

// Raw bytes, or hex text (optional 0x, surrounding whitespace) decoded.
crypto::Bytes quote_bytes(const std::string& file) {
  std::string_view t = file;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  if (t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2);
  if (!t.empty() && is_hex(t)) {
    if (auto b = from_hex(t)) return *b;
  }
  return crypto::Bytes(file.begin(), file.end());
}

int usage_error(std::ostream& err, const std::string& msg) {
  err << "nsl attest verify: " << msg << "\n";
  return 2;
}

void print_human(std::ostream& out, const std::string& path, const attest::Verdict& v) {
  out << "quote: " << path << " (" << attest::quote_kind_name(v.kind);
  if (v.kind != attest::QuoteKind::sim) out << ", v" << v.quote_version << ", body type " << v.body_type;
  if (v.trailing_bytes != 0) out << ", " << v.trailing_bytes << " trailing bytes ignored";
  out << ")\n";
  out << "checks:\n";
  for (const attest::Check& c : v.checks) {
    const char* mark = c.passed ? "ok  " : (c.required ? "FAIL" : "info");
    out << "  " << mark << "  " << c.name;
    if (!c.reason.empty()) out << " - " << c.reason;
    out << "\n";
  }
  out << "measurements:\n";
  for (const auto& [name, value] : v.measurements()) out << "  " << name << ": " << value << "\n";
  out << "  report_data: " << to_hex(v.report_data) << "\n";
  if (!v.fmspc.empty()) out << "fmspc: " << v.fmspc << "  pceid: " << v.pceid << "\n";
  if (v.tcb) {
    out << "tcb status: " << v.tcb->tcb_status;
    if (!v.tcb->advisory_ids.empty()) {
      out << " (";
      for (std::size_t i = 0; i < v.tcb->advisory_ids.size(); ++i) out << (i ? ", " : "") << v.tcb->advisory_ids[i];
      out << ")";
    }
    out << "\nqe tcb status: " << v.tcb->qe_tcb_status << "\n";
    if (v.tcb->tdx_module_tcb_status) {
      out << "tdx module tcb status: " << *v.tcb->tdx_module_tcb_status << " (" << v.tcb->tdx_module_identity_id
          << ")\n";
    }
  } else if (v.kind != attest::QuoteKind::sim) {
    out << "tcb status: not evaluated (no --collateral)\n";
  }
  if (v.simulated) out << "SIMULATED quote: no hardware guarantee\n";
  out << (v.ok ? "result: VALID\n" : "result: INVALID - " + v.first_failure + "\n");
}

int verify(const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) return usage_error(err, "expected exactly one QUOTE_FILE\n" + std::string(kAttestUsage));
  const std::string& path = a.positional[0];
  auto file = read_file(path);
  if (!file) return usage_error(err, "cannot read " + path);
  const crypto::Bytes quote = quote_bytes(*file);

  attest::VerifyOptions opt;
  opt.allow_simulated = a.flag("--allow-simulated");
  if (auto dir = a.option("--collateral")) {
    auto c = attest::load_collateral(*dir);
    if (!c.ok()) return usage_error(err, c.error().message());
    opt.collateral = std::move(*c);
  }
  if (auto root = a.option("--root")) {
    auto r = read_file(*root);
    if (!r) return usage_error(err, "cannot read " + *root);
    opt.trusted_root.assign(r->begin(), r->end());
  }
  if (auto chain = a.option("--pck-chain")) {
    auto c = read_file(*chain);
    if (!c) return usage_error(err, "cannot read " + *chain);
    opt.pck_chain_pem = std::move(*c);
  }
  if (auto at = a.option("--at")) {
    auto t = attest::parse_time(*at);
    if (!t.ok()) return usage_error(err, "--at: " + t.error().message());
    opt.now = *t;
  }
  if (auto key = a.option("--sim-key")) {
    auto b = from_hex(*key);
    if (!b || b->size() != 32) return usage_error(err, "--sim-key must be 32 bytes of hex");
    crypto::Ed25519PublicKey k{};
    std::copy(b->begin(), b->end(), k.begin());
    opt.sim_quoting_key = k;
  }

  // A quote that does not parse is an invalid quote (1); other errors are about the options (2).
  Status parsed;
  if (!attest::is_sim_quote(quote)) {
    auto q = attest::parse_quote(quote);
    if (!q.ok()) parsed = q.error();
  } else if (opt.allow_simulated) {
    auto d = attest::sim_quote_decode(quote);
    if (!d.ok()) parsed = d.error();
  }
  if (!parsed.ok()) {
    if (a.flag("--json")) {
      out << nlohmann::json{{"ok", false}, {"error", parsed.error().message()}}.dump() << "\n";
    } else {
      out << "quote: " << path << "\nresult: INVALID - " << parsed.error().message() << "\n";
    }
    return 1;
  }
  auto v = attest::verify_quote(quote, opt);
  if (!v.ok()) return usage_error(err, v.error().message());
  if (a.flag("--json")) {
    out << attest::verdict_to_json(*v) << "\n";
  } else {
    print_human(out, path, *v);
  }
  return v->ok ? 0 : 1;
}

}  // namespace

int run_attest_cli(const std::vector<std::string>& args, std::istream&, std::ostream& out, std::ostream& err) {
  if (args.size() < 2 || args[1] == "help" || args[1] == "--help") {
    (args.size() < 2 ? err : out) << kAttestUsage;
    return args.size() < 2 ? 2 : 0;
  }
  const std::string& sub = args[1];
  if (sub != "verify") {
    err << "nsl attest: unknown subcommand '" << sub << "'\n" << kAttestUsage;
    return 2;
  }
  CliArgs a;
  if (!a.parse(args, 2, {"--collateral", "--root", "--pck-chain", "--at", "--sim-key"},
               {"--allow-simulated", "--json"})) {
    return usage_error(err, a.error);
  }
  return verify(a, out, err);
}

}  // namespace nsl::app
