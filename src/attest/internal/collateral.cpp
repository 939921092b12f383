#include "attest/internal/collateral.hpp"

#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>

#include "attest/internal/x509.hpp"
#include "attest/verify.hpp"
#include "core/strings.hpp"

namespace nsl::attest::internal {
namespace {

using nlohmann::json;

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void skip_ws(std::string_view s, std::size_t& i) {
  while (i < s.size() && is_ws(s[i])) ++i;
}

// Advances past a JSON string starting at s[i] == '"'; false when unterminated.
bool skip_string(std::string_view s, std::size_t& i) {
  if (i >= s.size() || s[i] != '"') return false;
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      ++i;
      return true;
    }
  }
  return false;
}

// Advances past one JSON value (object/array by bracket depth, strings with escapes, literals).
bool skip_value(std::string_view s, std::size_t& i) {
  if (i >= s.size()) return false;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        if (!skip_string(s, i)) return false;
        continue;
      }
      if (c == '{' || c == '[') {
        if (++depth > 64) return false;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) {
          ++i;
          return true;
        }
      }
      ++i;
    }
    return false;
  }
  const std::size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_ws(s[i])) ++i;
  return i > start;
}

Result<Bytes> hex_field(const json& o, const char* name, std::size_t size) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string()) return err::invalid_argument(std::string(name) + " missing");
  auto b = from_hex(it->get<std::string>());
  if (!b || (size != 0 && b->size() != size)) {
    return err::invalid_argument(std::string(name) + " is not " + std::to_string(size) + " bytes of hex");
  }
  return *b;
}

Result<std::int64_t> date_field(const json& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string()) return err::invalid_argument(std::string(name) + " missing");
  auto t = parse_time(it->get<std::string>());
  if (!t.ok()) return err::invalid_argument(std::string(name) + ": " + t.error().message());
  return static_cast<std::int64_t>(t->time_since_epoch().count());
}

int int_field(const json& o, const char* name, int fallback) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_number_integer()) return fallback;
  const auto v = it->get<std::int64_t>();
  if (v < 0 || v > 0x7fffffff) return fallback;
  return static_cast<int>(v);
}

std::string str_field(const json& o, const char* name) {
  auto it = o.find(name);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> advisories(const json& level) {
  std::vector<std::string> out;
  auto it = level.find("advisoryIDs");
  if (it != level.end() && it->is_array()) {
    for (const auto& a : *it) {
      if (a.is_string()) out.push_back(a.get<std::string>());
    }
  }
  return out;
}

Result<std::vector<IsvLevel>> isv_levels(const json& o) {
  std::vector<IsvLevel> out;
  auto it = o.find("tcbLevels");
  if (it == o.end() || !it->is_array()) return err::invalid_argument("tcbLevels missing");
  for (const auto& l : *it) {
    if (!l.is_object()) return err::invalid_argument("tcbLevels entry is not an object");
    auto tcb = l.find("tcb");
    if (tcb == l.end() || !tcb->is_object()) return err::invalid_argument("tcbLevels entry without tcb");
    IsvLevel lv;
    lv.isvsvn = int_field(*tcb, "isvsvn", -1);
    if (lv.isvsvn < 0) return err::invalid_argument("tcb.isvsvn missing");
    lv.status = str_field(l, "tcbStatus");
    lv.date = str_field(l, "tcbDate");
    lv.advisories = advisories(l);
    out.push_back(std::move(lv));
  }
  return out;
}

// 16 SVNs from either "sgxtcbcomponents":[{"svn":n},...] (v3) or "sgxtcbcompNNsvn" (v2).
bool components(const json& tcb, const char* array_name, const char* v2_prefix, std::array<int, 16>& out) {
  auto arr = tcb.find(array_name);
  if (arr != tcb.end()) {
    if (!arr->is_array() || arr->size() != 16) return false;
    for (std::size_t i = 0; i < 16; ++i) {
      const json& c = (*arr)[i];
      if (!c.is_object()) return false;
      out[i] = int_field(c, "svn", -1);
      if (out[i] < 0) return false;
    }
    return true;
  }
  if (v2_prefix == nullptr) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%s%02zusvn", v2_prefix, i + 1);
    out[i] = int_field(tcb, name, -1);
    if (out[i] < 0) return false;
  }
  return true;
}

json parse_object(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : json();
}

}  // namespace

std::optional<std::string_view> raw_member(std::string_view s, std::string_view key) {
  std::size_t i = 0;
  skip_ws(s, i);
  if (i >= s.size() || s[i] != '{') return std::nullopt;
  ++i;
  while (true) {
    skip_ws(s, i);
    if (i < s.size() && s[i] == '}') return std::nullopt;
    const std::size_t k0 = i;
    if (!skip_string(s, i)) return std::nullopt;
    const std::string_view name = s.substr(k0 + 1, i - k0 - 2);
    skip_ws(s, i);
    if (i >= s.size() || s[i] != ':') return std::nullopt;
    ++i;
    skip_ws(s, i);
    const std::size_t v0 = i;
    if (!skip_value(s, i)) return std::nullopt;
    if (name == key) return s.substr(v0, i - v0);
    skip_ws(s, i);
    if (i >= s.size()) return std::nullopt;
    if (s[i] == ',') {
      ++i;
      continue;
    }
    return std::nullopt;
  }
}

Result<SignedJson> split_signed_json(std::string_view text, std::string_view key) {
  // Parse once for well-formedness, then take the inner text by position.
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (!j.is_object()) return err::invalid_argument("not a JSON object");
  auto body = raw_member(text, key);
  if (!body || body->empty() || body->front() != '{') {
    return err::invalid_argument("member \"" + std::string(key) + "\" missing or not an object");
  }
  auto sig = j.find("signature");
  if (sig == j.end() || !sig->is_string()) return err::invalid_argument("member \"signature\" missing");
  auto bytes = from_hex(sig->get<std::string>());
  if (!bytes || bytes->size() != 64) return err::invalid_argument("signature is not 64 bytes of hex");
  return SignedJson{std::string(*body), std::move(*bytes)};
}

Result<TcbInfo> parse_tcb_info(std::string_view body) {
  try {
    json j = parse_object(body);
    if (!j.is_object()) return err::invalid_argument("TCB info is not a JSON object");
    TcbInfo t;
    t.id = str_field(j, "id");
    if (t.id.empty()) t.id = "SGX";
    t.version = int_field(j, "version", 0);
    NSL_TRY_ASSIGN(t.issue_date, date_field(j, "issueDate"));
    NSL_TRY_ASSIGN(t.next_update, date_field(j, "nextUpdate"));
    NSL_TRY_ASSIGN(Bytes fmspc, hex_field(j, "fmspc", 6));
    NSL_TRY_ASSIGN(Bytes pceid, hex_field(j, "pceId", 2));
    t.fmspc = to_hex(fmspc);
    t.pceid = to_hex(pceid);
    auto levels = j.find("tcbLevels");
    if (levels == j.end() || !levels->is_array()) return err::invalid_argument("TCB info: tcbLevels missing");
    for (const auto& l : *levels) {
      if (!l.is_object()) return err::invalid_argument("TCB info: level is not an object");
      auto tcb = l.find("tcb");
      if (tcb == l.end() || !tcb->is_object()) return err::invalid_argument("TCB info: level without tcb");
      TcbLevel lv;
      if (!components(*tcb, "sgxtcbcomponents", "sgxtcbcomp", lv.sgx_svn)) {
        return err::invalid_argument("TCB info: level without 16 SGX TCB components");
      }
      lv.pcesvn = int_field(*tcb, "pcesvn", -1);
      if (lv.pcesvn < 0) return err::invalid_argument("TCB info: level without pcesvn");
      if (tcb->contains("tdxtcbcomponents")) {
        if (!components(*tcb, "tdxtcbcomponents", nullptr, lv.tdx_svn)) {
          return err::invalid_argument("TCB info: malformed tdxtcbcomponents");
        }
        lv.has_tdx = true;
      }
      lv.status = str_field(l, "tcbStatus");
      lv.date = str_field(l, "tcbDate");
      lv.advisories = advisories(l);
      t.levels.push_back(std::move(lv));
    }
    auto mods = j.find("tdxModuleIdentities");
    if (mods != j.end() && mods->is_array()) {
      for (const auto& m : *mods) {
        if (!m.is_object()) continue;
        ModuleIdentity mi;
        mi.id = str_field(m, "id");
        NSL_TRY_ASSIGN(mi.levels, isv_levels(m));
        t.modules.push_back(std::move(mi));
      }
    }
    return t;
  } catch (const std::exception& e) {
    return err::invalid_argument(std::string("TCB info: ") + e.what());
  }
}

Result<QeIdentity> parse_qe_identity(std::string_view body) {
  try {
    json j = parse_object(body);
    if (!j.is_object()) return err::invalid_argument("QE identity is not a JSON object");
    QeIdentity q;
    q.id = str_field(j, "id");
    if (q.id.empty()) q.id = "QE";
    q.version = int_field(j, "version", 0);
    NSL_TRY_ASSIGN(q.issue_date, date_field(j, "issueDate"));
    NSL_TRY_ASSIGN(q.next_update, date_field(j, "nextUpdate"));
    NSL_TRY_ASSIGN(q.miscselect, hex_field(j, "miscselect", 4));
    NSL_TRY_ASSIGN(q.miscselect_mask, hex_field(j, "miscselectMask", 4));
    NSL_TRY_ASSIGN(q.attributes, hex_field(j, "attributes", 16));
    NSL_TRY_ASSIGN(q.attributes_mask, hex_field(j, "attributesMask", 16));
    NSL_TRY_ASSIGN(q.mrsigner, hex_field(j, "mrsigner", 32));
    q.isvprodid = int_field(j, "isvprodid", -1);
    if (q.isvprodid < 0) return err::invalid_argument("QE identity: isvprodid missing");
    NSL_TRY_ASSIGN(q.levels, isv_levels(j));
    return q;
  } catch (const std::exception& e) {
    return err::invalid_argument(std::string("QE identity: ") + e.what());
  }
}

const TcbLevel* match_tcb_level(const TcbInfo& info, const SgxExtension& pck, const TdReportBody* td) {
  for (const TcbLevel& lv : info.levels) {
    bool ok = lv.pcesvn <= pck.pcesvn;
    for (std::size_t i = 0; ok && i < 16; ++i) ok = lv.sgx_svn[i] <= pck.comp_svn[i];
    if (ok && td != nullptr && info.id == "TDX") {
      if (!lv.has_tdx) continue;
      // TDX module 1.5+ (TEE_TCB_SVN[1] > 0): components 0 and 1 are the module's own SVN and
      // major version, judged through tdxModuleIdentities instead.
      const std::size_t first = td->tee_tcb_svn[1] > 0 ? 2 : 0;
      for (std::size_t i = first; ok && i < 16; ++i) ok = lv.tdx_svn[i] <= td->tee_tcb_svn[i];
    }
    if (ok) return &lv;
  }
  return nullptr;
}

const IsvLevel* match_isv_level(const std::vector<IsvLevel>& levels, int isvsvn) {
  for (const IsvLevel& lv : levels) {
    if (lv.isvsvn <= isvsvn) return &lv;
  }
  return nullptr;
}

QeMatch match_qe_identity(const QeIdentity& id, const SgxReportBody& r) {
  QeMatch m;
  if (!std::equal(id.mrsigner.begin(), id.mrsigner.end(), r.mrsigner.begin(), r.mrsigner.end())) {
    m.reason = "QE mrsigner " + to_hex(r.mrsigner) + " is not " + to_hex(id.mrsigner);
    return m;
  }
  if (id.isvprodid != r.isvprodid) {
    m.reason = "QE isvprodid " + std::to_string(r.isvprodid) + " is not " + std::to_string(id.isvprodid);
    return m;
  }
  for (std::size_t i = 0; i < 4; ++i) {
    if ((r.raw[16 + i] & id.miscselect_mask[i]) != id.miscselect[i]) {
      m.reason = "QE miscselect does not match the identity under its mask";
      return m;
    }
  }
  for (std::size_t i = 0; i < 16; ++i) {
    if ((r.raw[48 + i] & id.attributes_mask[i]) != id.attributes[i]) {
      m.reason = "QE attributes do not match the identity under its mask";
      return m;
    }
  }
  m.ok = true;
  m.reason = id.id + " identity (isvprodid " + std::to_string(id.isvprodid) + ")";
  return m;
}

}  // namespace nsl::attest::internal
