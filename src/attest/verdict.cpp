// The I/O and presentation side of attest/verify.hpp: loading a collateral directory, time parsing,
// Verdict measurements and JSON.
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attest/verify.hpp"
#include "core/strings.hpp"

namespace nsl::attest {
namespace {

constexpr std::size_t kMaxCollateralFile = 4 * 1024 * 1024;

Result<std::string> read_file(const std::string& dir, const char* name) {
  const std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) return err::not_found("collateral: cannot open " + path);
  std::string data;
  char buf[8192];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > kMaxCollateralFile) return err::invalid_argument("collateral: " + path + " is too large");
  }
  if (in.bad()) return err::invalid_argument("collateral: cannot read " + path);
  return data;
}

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::string hexs(std::span<const std::uint8_t> b) { return to_hex(b); }

}  // namespace

Result<Collateral> load_collateral(const std::string& dir) {
  Collateral c;
  NSL_TRY_ASSIGN(c.tcb_info_json, read_file(dir, "tcb_info.json"));
  NSL_TRY_ASSIGN(c.tcb_info_issuer_chain_pem, read_file(dir, "tcb_info_issuer_chain.pem"));
  NSL_TRY_ASSIGN(c.qe_identity_json, read_file(dir, "qe_identity.json"));
  NSL_TRY_ASSIGN(c.qe_identity_issuer_chain_pem, read_file(dir, "qe_identity_issuer_chain.pem"));
  NSL_TRY_ASSIGN(std::string pck_crl, read_file(dir, "pck_crl.der"));
  // Optional: without it the CA certificates of the PCK chain are taken as the CRL issuer chain.
  auto crl_chain = read_file(dir, "pck_crl_issuer_chain.pem");
  if (crl_chain.ok()) {
    c.pck_crl_issuer_chain_pem = std::move(*crl_chain);
  } else if (crl_chain.error().code() != ErrorCode::not_found) {
    return std::move(crl_chain).error();
  }
  NSL_TRY_ASSIGN(std::string root_crl, read_file(dir, "root_ca_crl.der"));
  c.pck_crl = to_bytes(pck_crl);
  c.root_ca_crl = to_bytes(root_crl);
  return c;
}

Result<std::chrono::sys_seconds> parse_time(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos) {
    auto v = parse_u64(s);
    if (!v || *v > 253402300799ULL) return err::invalid_argument("time: unix seconds out of range");
    return std::chrono::sys_seconds(std::chrono::seconds(static_cast<std::int64_t>(*v)));
  }
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  const auto bad = [&] {
    return err::invalid_argument("time: expected RFC 3339 (2025-06-19T10:56:11Z) or unix seconds, got '" +
                                 std::string(s.substr(0, 40)) + "'");
  };
  if (s.size() < 20 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se)) {
    return bad();
  }
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return bad();
  }
  int offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, om) || oh > 23 ||
        om > 59) {
      return bad();
    }
    offset = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || se > 60) return bad();
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return bad();
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const std::int64_t t = days * 86400 + h * 3600 + mi * 60 + std::min(se, 59) - offset;
  return std::chrono::sys_seconds(std::chrono::seconds(t));
}

std::vector<std::pair<std::string, std::string>> Verdict::measurements() const {
  std::vector<std::pair<std::string, std::string>> m;
  if (kind == QuoteKind::sim) {
    m.emplace_back("measurement", hexs(sim_measurement));
    m.emplace_back("quoting_key", hexs(sim_quoting_key));
    return m;
  }
  if (sgx) {
    m.emplace_back("mrenclave", hexs(sgx->mrenclave));
    m.emplace_back("mrsigner", hexs(sgx->mrsigner));
    m.emplace_back("isvprodid", std::to_string(sgx->isvprodid));
    m.emplace_back("isvsvn", std::to_string(sgx->isvsvn));
    m.emplace_back("attributes", hexs(sgx->attributes));
    m.emplace_back("miscselect", hexs(std::span(sgx->raw).subspan(16, 4)));
    m.emplace_back("cpusvn", hexs(sgx->cpusvn));
    m.emplace_back("config_svn", std::to_string(sgx->config_svn));
    m.emplace_back("config_id", hexs(sgx->config_id));
    m.emplace_back("isv_ext_prod_id", hexs(sgx->isv_ext_prod_id));
    m.emplace_back("isv_family_id", hexs(sgx->isv_family_id));
  }
  if (td) {
    m.emplace_back("mrtd", hexs(td->mrtd));
    for (std::size_t i = 0; i < 4; ++i) m.emplace_back("rtmr" + std::to_string(i), hexs(td->rtmr[i]));
    m.emplace_back("mrseam", hexs(td->mrseam));
    m.emplace_back("mrsignerseam", hexs(td->mrsignerseam));
    m.emplace_back("mrconfigid", hexs(td->mrconfigid));
    m.emplace_back("mrowner", hexs(td->mrowner));
    m.emplace_back("mrownerconfig", hexs(td->mrownerconfig));
    m.emplace_back("tee_tcb_svn", hexs(td->tee_tcb_svn));
    m.emplace_back("td_attributes", hexs(td->td_attributes));
    m.emplace_back("xfam", hexs(td->xfam));
    m.emplace_back("seam_attributes", hexs(td->seam_attributes));
    if (td->td15) {
      m.emplace_back("tee_tcb_svn2", hexs(td->tee_tcb_svn2));
      m.emplace_back("mrservicetd", hexs(td->mrservicetd));
    }
  }
  return m;
}

std::string verdict_to_json(const Verdict& v) {
  using nlohmann::json;
  json j;
  j["ok"] = v.ok;
  j["kind"] = std::string(quote_kind_name(v.kind));
  j["simulated"] = v.simulated;
  j["quote_version"] = v.quote_version;
  if (v.kind != QuoteKind::sim) j["body_type"] = v.body_type;
  j["first_failure"] = v.first_failure.empty() ? json(nullptr) : json(v.first_failure);
  json checks = json::array();
  for (const Check& c : v.checks) {
    checks.push_back({{"name", c.name}, {"passed", c.passed}, {"required", c.required}, {"reason", c.reason}});
  }
  j["checks"] = std::move(checks);
  json m = json::object();
  for (const auto& [name, value] : v.measurements()) m[name] = value;
  j["measurements"] = std::move(m);
  j["report_data"] = to_hex(v.report_data);
  if (!v.fmspc.empty()) j["fmspc"] = v.fmspc;
  if (!v.pceid.empty()) j["pceid"] = v.pceid;
  if (v.tcb) {
    json t{{"tcb_status", v.tcb->tcb_status},
           {"tcb_date", v.tcb->tcb_date},
           {"advisory_ids", v.tcb->advisory_ids},
           {"qe_tcb_status", v.tcb->qe_tcb_status},
           {"qe_advisory_ids", v.tcb->qe_advisory_ids}};
    if (v.tcb->tdx_module_tcb_status) {
      t["tdx_module_tcb_status"] = *v.tcb->tdx_module_tcb_status;
      t["tdx_module_identity"] = v.tcb->tdx_module_identity_id;
    }
    j["tcb"] = std::move(t);
  }
  // Reasons may quote certificate names from untrusted input: replace invalid UTF-8 rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace nsl::attest
