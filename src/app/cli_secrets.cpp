// `nsl secrets`: the versioned secrets store of a running nsl, for operators and CI scripts
// (docs/secrets.md "From the command line"). Values travel on standard input and output only,
// never in argv (visible to every user of the machine through ps and /proc).
//
//   printf '%s' "$DB_PASSWORD" | nsl secrets put app/db --field password
//   nsl secrets put app/db < value.json              # a JSON object on stdin
//   nsl secrets get app/db --field password          # that field's text on stdout
//
// Exit status: 0 done; 1 refused (by the server, or the server cannot be reached); 2 usage error.
#include <algorithm>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "app/cli.hpp"
#include "app/cli_args.hpp"
#include "app/cli_http.hpp"
#include "core/json_strict.hpp"
#include "core/secret_string.hpp"
#include "core/strings.hpp"

namespace nsl::app {
namespace {

using nlohmann::json;

constexpr const char* kSecretsUsage = R"(usage:
  nsl secrets put PATH [--cas N] [--field NAME]   write a new version; the value is read from stdin:
                                                  a JSON object, or with --field NAME all of stdin
                                                  (one trailing newline dropped) as {"NAME": "<text>"}
  nsl secrets get PATH [--version N] [--field NAME]
                                                  the value (a JSON object) on stdout, or one string field
  nsl secrets list [--prefix P]                   the paths (every page), one per line
  nsl secrets delete PATH [--versions 1,2]        soft-delete versions (default: the current one)
  nsl secrets undelete PATH --versions 1,2        restore soft-deleted versions
  nsl secrets destroy PATH --versions 1,2         erase versions for good
  nsl secrets metadata PATH                       versions and settings of a path (JSON)
  nsl secrets rotate-data-key                     a new data key for the tenant; then
  nsl secrets rewrap [--limit N]                  move stored versions to it (repeat while "more")
options:
  --url URL      the nsl API base URL (default: $NSL_URL)
  --token TOKEN  API key or access token (default: $NSL_TOKEN; prefer the variable: argv is visible to ps)
  --json         machine-readable output (put, delete, undelete, destroy, list, rotate-data-key)
Values are never taken from arguments. Paths are segments of [A-Za-z0-9._-] separated by '/'.
)";

int usage(std::ostream& err, const std::string& msg) {
  err << "nsl secrets: " << msg << "\n";
  return 2;
}
int refused(std::ostream& err, const std::string& msg) {
  err << "nsl secrets: " << msg << "\n";
  return 1;
}

// Characters a path (or a prefix) may have: they go into the URL as they are.
bool path_chars(std::string_view p) {
  return std::all_of(p.begin(), p.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '/';
  });
}

// All of standard input, wiped by the caller.
std::string read_all(std::istream& in) {
  std::string s;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    const auto n = static_cast<std::size_t>(in.gcount());
    if (s.capacity() < s.size() + n) {
      std::string bigger;
      bigger.reserve(std::max(s.capacity() * 2, s.size() + n));
      bigger.append(s);
      SecretString::wipe(s);
      s = std::move(bigger);
    }
    s.append(buf, n);
  }
  std::fill(std::begin(buf), std::end(buf), '\0');
  return s;
}

struct Wiped {
  std::string s;
  ~Wiped() { SecretString::wipe(s); }
};
struct WipedJson {
  json j;
  ~WipedJson() { wipe_json_strings(j); }
};

struct Call {
  std::string base;
  std::string token;
};

// One request; the expected status or a problem on `err`. nullopt when refused.
std::optional<ApiReply> call(const Call& c, std::string_view method, const std::string& route, std::string_view body,
                             long expect, std::ostream& err) {
  auto r = api_request(method, c.base + route, c.token, body);
  if (!r.ok()) {
    refused(err, r.error().message());
    return std::nullopt;
  }
  if (r->status != expect) {
    refused(err, std::string(method) + " " + route.substr(0, route.find('?')) + ": " + problem_text(*r));
    return std::nullopt;
  }
  return std::move(*r);
}

std::optional<std::uint64_t> number_option(const CliArgs& a, const std::string& name) {
  auto v = a.option(name);
  if (!v) return std::nullopt;
  return parse_u64(*v);
}

// --versions 1,2,3 → [1,2,3]; empty when absent; nullopt when malformed.
std::optional<std::vector<std::uint64_t>> versions_option(const CliArgs& a) {
  std::vector<std::uint64_t> out;
  auto v = a.option("--versions");
  if (!v) return out;
  std::string_view rest = *v;
  while (true) {
    const auto comma = rest.find(',');
    auto n = parse_u64(rest.substr(0, comma));
    if (!n || *n == 0) return std::nullopt;
    out.push_back(*n);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

int put(const Call& c, const CliArgs& a, const std::string& path, std::istream& in, std::ostream& out,
        std::ostream& err) {
  Wiped text{read_all(in)};
  WipedJson body;
  if (auto field = a.option("--field")) {
    if (field->empty()) return usage(err, "--field needs a name");
    if (!text.s.empty() && text.s.back() == '\n') text.s.pop_back();
    if (!text.s.empty() && text.s.back() == '\r') text.s.pop_back();
    body.j = json{{"data", json{{*field, text.s}}}};
  } else {
    json data = json::parse(text.s, nullptr, false);
    if (!data.is_object()) {
      wipe_json_strings(data);
      return usage(err, "standard input must be a JSON object (or use --field NAME for one text value)");
    }
    body.j = json{{"data", std::move(data)}};
  }
  if (a.option("--cas")) {
    auto cas = number_option(a, "--cas");
    if (!cas) return usage(err, "--cas must be a version number (0: only if the path has none)");
    body.j["options"] = json{{"cas", *cas}};
  }
  Wiped payload;
  try {
    payload.s = body.j.dump();
  } catch (const json::exception&) {
    return usage(err, "the value must be valid UTF-8");
  }
  auto r = call(c, "PUT", "/v1/secrets/" + path, payload.s, 200, err);
  if (!r) return 1;
  const json v = json::parse(r->body, nullptr, false);
  if (a.flag("--json")) {
    out << v.dump() << "\n";
  } else {
    out << "wrote " << path << " version " << v.value("version", 0) << "\n";
  }
  return 0;
}

int get(const Call& c, const CliArgs& a, const std::string& path, std::ostream& out, std::ostream& err) {
  std::string route = "/v1/secrets/" + path;
  if (a.option("--version")) {
    auto v = number_option(a, "--version");
    if (!v || *v == 0) return usage(err, "--version must be a version number");
    route += "?version=" + std::to_string(*v);
  }
  auto r = call(c, "GET", route, {}, 200, err);
  if (!r) return 1;
  WipedJson answer{json::parse(r->body, nullptr, false)};
  if (!answer.j.is_object() || !answer.j.contains("data") || !answer.j["data"].is_object())
    return refused(err, "the server's answer has no value");
  json& data = answer.j["data"];
  if (auto field = a.option("--field")) {
    if (!data.contains(*field)) return refused(err, "the value has no field '" + *field + "'");
    json& f = data[*field];
    if (f.is_string()) {
      out << f.get_ref<const std::string&>() << "\n";
    } else {
      Wiped t{f.dump()};
      out << t.s << "\n";
    }
    return 0;
  }
  Wiped t{data.dump()};
  out << t.s << "\n";
  return 0;
}

int list(const Call& c, const CliArgs& a, std::ostream& out, std::ostream& err) {
  const std::string prefix = a.option("--prefix").value_or("");
  if (!path_chars(prefix)) return usage(err, "--prefix may hold only path characters");
  std::optional<std::string> cursor;
  json all = json::array();
  do {
    std::string route = "/v1/secrets?limit=1000";
    if (!prefix.empty()) route += "&prefix=" + prefix;
    if (cursor) route += "&cursor=" + *cursor;
    auto r = call(c, "GET", route, {}, 200, err);
    if (!r) return 1;
    const json page = json::parse(r->body, nullptr, false);
    if (!page.is_object() || !page.contains("items") || !page["items"].is_array())
      return refused(err, "the server's answer is not a listing");
    for (const json& item : page["items"]) all.push_back(item);
    cursor.reset();
    if (page.contains("next_cursor") && page["next_cursor"].is_string()) {
      cursor = page["next_cursor"].get<std::string>();
      if (!path_chars(*cursor)) return refused(err, "the server's cursor is not a path");
    }
  } while (cursor);
  if (a.flag("--json")) {
    out << json{{"items", all}}.dump() << "\n";
  } else {
    for (const json& item : all) out << item.value("path", "") << "\n";
  }
  return 0;
}

int version_op(const Call& c, const CliArgs& a, const std::string& op, const std::string& path, std::ostream& out,
               std::ostream& err) {
  auto versions = versions_option(a);
  if (!versions) return usage(err, "--versions must be a comma-separated list of version numbers");
  std::optional<ApiReply> r;
  if (op == "delete") {
    std::string route = "/v1/secrets/" + path;
    if (!versions->empty()) {
      route += "?versions=";
      for (std::size_t i = 0; i < versions->size(); ++i) route += (i ? "," : "") + std::to_string((*versions)[i]);
    }
    r = call(c, "DELETE", route, {}, 204, err);
  } else {
    if (versions->empty()) return usage(err, op + " needs --versions");
    const std::string body = json{{"versions", *versions}}.dump();
    r = call(c, "POST", "/v1/secret-" + op + "/" + path, body, 204, err);
  }
  if (!r) return 1;
  if (a.flag("--json")) {
    out << json{{"path", path}, {"op", op}, {"versions", *versions}}.dump() << "\n";
  } else {
    out << op << (op == "destroy" ? "ed " : "d ") << path << "\n";
  }
  return 0;
}

}  // namespace

int run_secrets_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.size() < 2 || args[1] == "help" || args[1] == "--help") {
    (args.size() < 2 ? err : out) << kSecretsUsage;
    return args.size() < 2 ? 2 : 0;
  }
  const std::string& sub = args[1];
  static const std::set<std::string> kSubs = {"put",     "get",      "list",     "delete",          "undelete",
                                              "destroy", "metadata", "rewrap",   "rotate-data-key"};
  if (kSubs.count(sub) == 0) return usage(err, "unknown subcommand '" + sub + "'\n" + kSecretsUsage);
  CliArgs a;
  if (!a.parse(args, 2, {"--url", "--token", "--cas", "--field", "--version", "--versions", "--prefix", "--limit"},
               {"--json"})) {
    return usage(err, a.error);
  }
  const Call c{api_base_url(a.option("--url")), api_token(a.option("--token"))};
  if (c.base.empty()) return usage(err, "no API URL: --url or NSL_URL");
  if (c.token.empty()) return usage(err, "no token: --token or NSL_TOKEN");

  const bool takes_path = sub != "list" && sub != "rotate-data-key" && sub != "rewrap";
  if (a.positional.size() != (takes_path ? 1u : 0u))
    return usage(err, takes_path ? sub + " needs exactly one PATH" : sub + " takes no PATH");
  const std::string path = takes_path ? a.positional[0] : std::string();
  if (takes_path && (path.empty() || !path_chars(path)))
    return usage(err, "PATH is segments of [A-Za-z0-9._-] separated by '/'");

  if (sub == "put") return put(c, a, path, in, out, err);
  if (sub == "get") return get(c, a, path, out, err);
  if (sub == "list") return list(c, a, out, err);
  if (sub == "delete" || sub == "undelete" || sub == "destroy") return version_op(c, a, sub, path, out, err);
  if (sub == "metadata") {
    auto r = call(c, "GET", "/v1/secret-metadata/" + path, {}, 200, err);
    if (!r) return 1;
    out << json::parse(r->body, nullptr, false).dump(2) << "\n";
    return 0;
  }
  if (sub == "rotate-data-key") {
    auto r = call(c, "POST", "/v1/secret-data-key/rotate", {}, 200, err);
    if (!r) return 1;
    const json v = json::parse(r->body, nullptr, false);
    if (a.flag("--json")) {
      out << v.dump() << "\n";
    } else {
      out << "data key version " << v.value("version", 0) << " is now used for new versions\n";
    }
    return 0;
  }
  // rewrap
  json body = json::object();
  if (a.option("--limit")) {
    auto l = number_option(a, "--limit");
    if (!l || *l == 0 || *l > 10000) return usage(err, "--limit must be from 1 to 10000");
    body["limit"] = *l;
  }
  auto r = call(c, "POST", "/v1/secret-data-key/rewrap", body.dump(), 200, err);
  if (!r) return 1;
  out << json::parse(r->body, nullptr, false).dump() << "\n";
  return 0;
}

}  // namespace nsl::app
