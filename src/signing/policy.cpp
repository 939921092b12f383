#include "signing/policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "chain/evm/address.hpp"
#include "chain/evm/tx.hpp"
#include "core/json_strict.hpp"

namespace nsl::signing {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

Error bad(std::string_view field, std::string_view why) {
  return err::invalid_argument("policy: " + std::string(field) + ": " + std::string(why));
}

std::string at(std::string_view field, std::size_t i) { return std::string(field) + "[" + std::to_string(i) + "]"; }

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "0x" + 40 hex digits, lowercased.
std::optional<std::string> hash160_text(std::string_view s) {
  if (s.size() != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !is_hex(s.substr(2))) return std::nullopt;
  return "0x" + lower(s.substr(2));
}

Status check_keys(const json& obj, std::string_view where, std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : obj.items()) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      if (where.empty()) return err::invalid_argument("policy: unknown field '" + k + "'");
      return bad(where, "unknown field '" + k + "'");
    }
  }
  return ok_status();
}

Result<const json*> list_field(const json& v, std::string_view field, std::size_t max = kMaxPolicyListSize) {
  if (!v.is_array()) return bad(field, "must be a list");
  if (v.size() > max) return bad(field, "at most " + std::to_string(max) + " entries");
  return &v;
}

template <class T>
Status no_duplicates(std::vector<T>& items, std::string_view field) {
  std::sort(items.begin(), items.end());
  if (std::adjacent_find(items.begin(), items.end()) != items.end()) return bad(field, "duplicate entry");
  return ok_status();
}

Result<std::vector<std::uint32_t>> parse_magics(const json& v) {
  NSL_TRY_ASSIGN(const json* list, list_field(v, "networks.neo"));
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    if (!e.is_number_unsigned() || e.get<std::uint64_t>() > 0xFFFFFFFFu) {
      return bad(at("networks.neo", i), "must be an N3 network magic (an integer 0..4294967295)");
    }
    out.push_back(static_cast<std::uint32_t>(e.get<std::uint64_t>()));
  }
  NSL_TRY(no_duplicates(out, "networks.neo"));
  return out;
}

Result<std::vector<std::uint64_t>> parse_chain_ids(const json& v) {
  NSL_TRY_ASSIGN(const json* list, list_field(v, "networks.evm"));
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    if (!e.is_number_unsigned() || e.get<std::uint64_t>() == 0 || e.get<std::uint64_t>() > evm::kMaxChainId) {
      return bad(at("networks.evm", i),
                 "must be an EVM chain id (an integer 1.." + std::to_string(evm::kMaxChainId) + ")");
    }
    out.push_back(e.get<std::uint64_t>());
  }
  NSL_TRY(no_duplicates(out, "networks.evm"));
  return out;
}

bool valid_method(std::string_view m) {
  return !m.empty() && m.size() <= kMaxMethodNameSize &&
         std::all_of(m.begin(), m.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

Result<std::vector<ContractRule>> parse_contracts(const json& v) {
  NSL_TRY_ASSIGN(const json* list, list_field(v, "neo_contracts"));
  std::vector<ContractRule> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string where = at("neo_contracts", i);
    const json& e = (*list)[i];
    if (!e.is_object()) return bad(where, "must be an object {\"hash\": ..., \"methods\": [...]}");
    NSL_TRY(check_keys(e, where, {"hash", "methods"}));
    ContractRule rule;
    const auto h = e.find("hash");
    if (h == e.end()) return bad(where + ".hash", "required");
    std::optional<std::string> hash = h->is_string() ? hash160_text(h->get<std::string>()) : std::nullopt;
    if (!hash) return bad(where + ".hash", "must be 0x + 40 hex digits (the contract hash as N3 displays it)");
    rule.hash = *hash;
    if (const auto m = e.find("methods"); m != e.end()) {
      NSL_TRY_ASSIGN(const json* methods, list_field(*m, where + ".methods", kMaxContractMethods));
      if (methods->empty()) return bad(where + ".methods", "must not be empty (omit it to allow every method)");
      for (std::size_t j = 0; j < methods->size(); ++j) {
        const json& name = (*methods)[j];
        if (!name.is_string() || !valid_method(name.get<std::string>())) {
          return bad(at(where + ".methods", j), "must be a method name (1..64 printable ASCII characters)");
        }
        rule.methods.push_back(name.get<std::string>());
      }
      NSL_TRY(no_duplicates(rule.methods, where + ".methods"));
    }
    out.push_back(std::move(rule));
  }
  std::sort(out.begin(), out.end(), [](const ContractRule& a, const ContractRule& b) { return a.hash < b.hash; });
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].hash == out[i - 1].hash) return bad("neo_contracts", "duplicate contract " + out[i].hash);
  }
  return out;
}

Result<std::vector<std::string>> parse_recipients(const json& v) {
  NSL_TRY_ASSIGN(const json* list, list_field(v, "evm_recipients"));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    if (!e.is_string()) return bad(at("evm_recipients", i), "must be an address string");
    auto a = evm::parse_address(e.get<std::string>());
    if (!a.ok()) return bad(at("evm_recipients", i), a.error().message());
    out.push_back(a->to_lower_hex());
  }
  NSL_TRY(no_duplicates(out, "evm_recipients"));
  return out;
}

Result<std::vector<std::string>> parse_selectors(const json& v) {
  NSL_TRY_ASSIGN(const json* list, list_field(v, "evm_selectors"));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    const std::string s = e.is_string() ? e.get<std::string>() : std::string();
    if (s == "none") {
      out.push_back(s);
    } else if (s.size() == 10 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && is_hex(s.substr(2))) {
      out.push_back("0x" + lower(s.substr(2)));
    } else {
      return bad(at("evm_selectors", i), "must be 0x + 8 hex digits (a 4-byte function selector) or \"none\"");
    }
  }
  NSL_TRY(no_duplicates(out, "evm_selectors"));
  return out;
}

Result<std::map<std::string, evm::U256>> parse_limits(const json& v, std::string_view field) {
  if (!v.is_object()) return bad(field, "must be an object {\"<asset>\": \"<decimal amount>\"}");
  if (v.size() > kMaxPolicyListSize) return bad(field, "at most " + std::to_string(kMaxPolicyListSize) + " assets");
  std::map<std::string, evm::U256> out;
  for (const auto& [k, amount] : v.items()) {
    auto asset = canonical_asset(k);
    if (!asset.ok()) return bad(field, asset.error().message());
    const std::string where = std::string(field) + "." + *asset;
    if (!amount.is_string()) return bad(where, "must be a decimal string (e.g. \"100000000\")");
    auto value = evm::U256::from_decimal(amount.get<std::string>());
    if (!value.ok()) return bad(where, "must be a non-negative decimal integer below 2^256");
    if (!out.emplace(*asset, *value).second) return bad(field, "duplicate asset " + *asset);
  }
  return out;
}

std::optional<int> parse_hhmm(const json& v, bool allow_24) {
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  if (s.size() != 5 || s[2] != ':' || !std::isdigit(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1])) || !std::isdigit(static_cast<unsigned char>(s[3])) ||
      !std::isdigit(static_cast<unsigned char>(s[4]))) {
    return std::nullopt;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (allow_24 && h == 24 && m == 0) return 1440;
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

Result<std::vector<TimeWindow>> parse_windows(const json& v) {
  NSL_TRY_ASSIGN(const json* list, list_field(v, "time_windows"));
  std::vector<TimeWindow> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string where = at("time_windows", i);
    const json& e = (*list)[i];
    if (!e.is_object()) return bad(where, "must be an object {\"days\": [...], \"start\": \"HH:MM\", \"end\": \"HH:MM\"}");
    NSL_TRY(check_keys(e, where, {"days", "start", "end"}));
    for (const char* f : {"days", "start", "end"}) {
      if (!e.contains(f)) return bad(where + "." + f, "required");
    }
    TimeWindow w;
    const json& days = e.at("days");
    if (!days.is_array() || days.empty() || days.size() > kDays.size()) {
      return bad(where + ".days", "must be a non-empty list of mon, tue, wed, thu, fri, sat, sun");
    }
    for (const json& d : days) {
      const auto it = d.is_string() ? std::find(kDays.begin(), kDays.end(), d.get<std::string>()) : kDays.end();
      if (it == kDays.end()) return bad(where + ".days", "must be a non-empty list of mon, tue, wed, thu, fri, sat, sun");
      const auto bit = static_cast<std::uint8_t>(1u << (it - kDays.begin()));
      if ((w.days & bit) != 0) return bad(where + ".days", "duplicate day " + d.get<std::string>());
      w.days = static_cast<std::uint8_t>(w.days | bit);
    }
    const auto start = parse_hhmm(e.at("start"), false);
    if (!start) return bad(where + ".start", "must be \"HH:MM\" (00:00..23:59, UTC)");
    const auto end = parse_hhmm(e.at("end"), true);
    if (!end) return bad(where + ".end", "must be \"HH:MM\" (00:01..24:00, UTC)");
    if (*start >= *end) return bad(where, "start must be before end (windows do not wrap past midnight: use two)");
    w.start_minute = *start;
    w.end_minute = *end;
    out.push_back(w);
  }
  const auto key = [](const TimeWindow& w) { return std::tuple(w.days, w.start_minute, w.end_minute); };
  std::sort(out.begin(), out.end(), [&](const TimeWindow& a, const TimeWindow& b) { return key(a) < key(b); });
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) return bad("time_windows", "duplicate entry");
  return out;
}

std::string hhmm(int minute) {
  const std::array<char, 5> out = {static_cast<char>('0' + minute / 600), static_cast<char>('0' + minute / 60 % 10),
                                   ':', static_cast<char>('0' + minute % 60 / 10),
                                   static_cast<char>('0' + minute % 10)};
  return std::string(out.begin(), out.end());
}

}  // namespace

Result<std::string> canonical_asset(std::string_view asset) {
  if (asset == "evm:native") return std::string(asset);
  const auto fail = [&] {
    return err::invalid_argument("asset '" + std::string(asset.substr(0, 64)) +
                                 "' must be neo:0x<40 hex>, evm:native or evm:0x<40 hex>");
  };
  if (asset.size() != 46) return fail();
  const std::string_view prefix = asset.substr(0, 4);
  if (prefix != "neo:" && prefix != "evm:") return fail();
  const auto hash = hash160_text(asset.substr(4));
  if (!hash) return fail();
  return std::string(prefix) + *hash;
}

Result<Policy> parse_policy(std::string_view text) {
  if (text.size() > kMaxPolicySize) {
    return err::invalid_argument("policy: too large (at most " + std::to_string(kMaxPolicySize) + " bytes)");
  }
  auto parsed = parse_json_strict(text, 5, true);
  if (!parsed.ok()) return err::invalid_argument("policy: " + parsed.error().message());
  const json& j = *parsed;
  NSL_TRY(check_keys(j, "",
                     {"networks", "neo_contracts", "evm_recipients", "evm_selectors", "max_value_per_tx",
                      "max_value_per_24h", "time_windows", "allow_raw_digest", "allow_messages",
                      "approvals_required"}));
  Policy p;
  if (const auto n = j.find("networks"); n != j.end()) {
    if (!n->is_object()) return bad("networks", "must be an object {\"neo\": [...], \"evm\": [...]}");
    NSL_TRY(check_keys(*n, "networks", {"neo", "evm"}));
    if (const auto neo = n->find("neo"); neo != n->end()) {
      NSL_TRY_ASSIGN(p.neo_networks, parse_magics(*neo));
    }
    if (const auto evm = n->find("evm"); evm != n->end()) {
      NSL_TRY_ASSIGN(p.evm_chain_ids, parse_chain_ids(*evm));
    }
  }
  if (const auto c = j.find("neo_contracts"); c != j.end()) {
    NSL_TRY_ASSIGN(p.neo_contracts, parse_contracts(*c));
  }
  if (const auto r = j.find("evm_recipients"); r != j.end()) {
    NSL_TRY_ASSIGN(p.evm_recipients, parse_recipients(*r));
  }
  if (const auto s = j.find("evm_selectors"); s != j.end()) {
    NSL_TRY_ASSIGN(p.evm_selectors, parse_selectors(*s));
  }
  if (const auto m = j.find("max_value_per_tx"); m != j.end()) {
    NSL_TRY_ASSIGN(p.max_value_per_tx, parse_limits(*m, "max_value_per_tx"));
  }
  if (const auto m = j.find("max_value_per_24h"); m != j.end()) {
    NSL_TRY_ASSIGN(p.max_value_per_24h, parse_limits(*m, "max_value_per_24h"));
  }
  if (const auto t = j.find("time_windows"); t != j.end()) {
    NSL_TRY_ASSIGN(p.time_windows, parse_windows(*t));
  }
  for (const auto& [name, field] : {std::pair{"allow_raw_digest", &p.allow_raw_digest},
                                    std::pair{"allow_messages", &p.allow_messages}}) {
    if (const auto b = j.find(name); b != j.end()) {
      if (!b->is_boolean()) return bad(name, "must be true or false");
      *field = b->get<bool>();
    }
  }
  if (const auto a = j.find("approvals_required"); a != j.end()) {
    if (!a->is_number_integer()) return bad("approvals_required", "must be an integer");
    if (a->get<std::int64_t>() != 0) return bad("approvals_required", "not supported yet");
  }
  return p;
}

std::string canonical_json(const Policy& p) {
  json j = json::object();
  if (p.neo_networks || p.evm_chain_ids) {
    json n = json::object();
    if (p.neo_networks) n["neo"] = *p.neo_networks;
    if (p.evm_chain_ids) n["evm"] = *p.evm_chain_ids;
    j["networks"] = std::move(n);
  }
  if (p.neo_contracts) {
    json list = json::array();
    for (const auto& c : *p.neo_contracts) {
      json e = {{"hash", c.hash}};
      if (!c.methods.empty()) e["methods"] = c.methods;
      list.push_back(std::move(e));
    }
    j["neo_contracts"] = std::move(list);
  }
  if (p.evm_recipients) j["evm_recipients"] = *p.evm_recipients;
  if (p.evm_selectors) j["evm_selectors"] = *p.evm_selectors;
  for (const auto& [name, limits] :
       {std::pair{"max_value_per_tx", &p.max_value_per_tx}, std::pair{"max_value_per_24h", &p.max_value_per_24h}}) {
    if (!*limits) continue;
    json m = json::object();
    for (const auto& [asset, value] : **limits) m[asset] = value.to_decimal();
    j[name] = std::move(m);
  }
  if (p.time_windows) {
    json list = json::array();
    for (const auto& w : *p.time_windows) {
      json days = json::array();
      for (std::size_t d = 0; d < kDays.size(); ++d) {
        if ((w.days >> d) & 1u) days.push_back(kDays[d]);
      }
      list.push_back({{"days", std::move(days)}, {"start", hhmm(w.start_minute)}, {"end", hhmm(w.end_minute)}});
    }
    j["time_windows"] = std::move(list);
  }
  j["allow_raw_digest"] = p.allow_raw_digest;
  j["allow_messages"] = p.allow_messages;
  return j.dump();
}

}  // namespace nsl::signing
