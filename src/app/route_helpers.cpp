#include "app/route_helpers.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "core/json_dump.hpp"
#include "core/json_strict.hpp"
#include "core/secret_string.hpp"
#include "core/strings.hpp"

namespace nsl::app {
using http::Request;
using http::Response;
using nlohmann::json;

std::string rfc3339_ms(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

json opt_time(const std::optional<std::int64_t>& ms) {
  return ms ? json(rfc3339_ms(*ms)) : json(nullptr);
}

json binding_json(const identity::repo::RoleBindingRow& b) {
  return json{{"id", b.id},
              {"principal", b.principal},
              {"role", b.role},
              {"resource", b.resource.empty() ? json(nullptr) : json(b.resource)},
              {"created_at", rfc3339_ms(b.created_at)}};
}

json bindings_json(const std::vector<identity::repo::RoleBindingRow>& bs) {
  json out = json::array();
  for (const auto& b : bs) out.push_back(binding_json(b));
  return out;
}

Response json_response(int status, const json& j) {
  Response res = Response::json(status, dump_json(j));
  res.headers.set("cache-control", "no-store");
  return res;
}

WipedRequestBody::~WipedRequestBody() {
  wipe_json_strings(parsed);
  SecretString::wipe(req.body);
}

Response secret_json_response(int status, const json& j) {
  Response res = json_response(status, j);
  res.sensitive = true;
  return res;
}

// RFC 6749 §5.2 clients read `error`; the body stays RFC 9457 problem+json with that member added.
Response oauth_error(const Request& req, const Error& e, std::string_view oauth_code) {
  Response res = http::problem(e, req);
  auto j = json::parse(res.body, nullptr, false);
  if (j.is_object()) {
    j["error"] = oauth_code;
    j["error_description"] = e.message();
    res.body = j.dump();
  }
  if (oauth_code == "invalid_client") res.headers.set("www-authenticate", "Basic realm=\"nsl\"");
  res.headers.set("cache-control", "no-store");
  return res;
}

identity::Actor actor_of(const Request& req) {
  return {.subject = req.ctx.principal ? req.ctx.principal->subject : "anonymous",
          .request_id = req.ctx.request_id};
}

// ?limit= (1..max, default def) and ?cursor= (an id this service handed out).
Result<std::pair<int, std::optional<std::string>>> paging(const Request& req, int def, int max) {
  int limit = def;
  if (auto l = req.query_param("limit")) {
    auto v = parse_u64(*l);
    if (!v || *v < 1 || *v > static_cast<std::uint64_t>(max)) {
      return err::invalid_argument("limit must be an integer from 1 to " + std::to_string(max));
    }
    limit = static_cast<int>(*v);
  }
  std::optional<std::string> cursor = req.query_param("cursor");
  return std::make_pair(limit, cursor);
}

Result<std::optional<std::string>> cursor_id(const std::optional<std::string>& cursor) {
  if (!cursor) return std::optional<std::string>();
  if (cursor->empty() || cursor->size() > 64 ||
      !std::all_of(cursor->begin(), cursor->end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return err::invalid_argument("cursor is not one this service returned");
  }
  return cursor;
}

Result<std::vector<auth::RoleBinding>> roles_from(const json& body, bool required) {
  if (!required && !body.contains("roles")) return std::vector<auth::RoleBinding>{};
  if (!body.contains("roles") || !body["roles"].is_array() || (required && body["roles"].empty())) {
    return err::invalid_argument(
        "roles must be a non-empty array of {\"role\": ..., \"resource\": ...}");
  }
  std::vector<auth::RoleBinding> out;
  for (const auto& r : body["roles"]) {
    const json& role = r.is_object() && r.contains("role") ? r["role"] : r;
    if (!role.is_string())
      return err::invalid_argument("each role must be a string or {\"role\": string}");
    auto parsed = auth::parse_role(role.get<std::string>());
    if (!parsed) return err::invalid_argument("unknown role \"" + role.get<std::string>() + "\"");
    auth::RoleBinding b{*parsed, std::nullopt};
    if (r.is_object() && r.contains("resource") && !r["resource"].is_null()) {
      if (!r["resource"].is_string()) return err::invalid_argument("resource must be a string");
      b.resource = r["resource"].get<std::string>();
      if (b.resource->empty() || b.resource->size() > 128) {
        return err::invalid_argument("resource must be 1..128 characters");
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

// application/x-www-form-urlencoded → map (first value wins on a duplicate: refused instead).
Result<std::map<std::string, std::string>> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i <= body.size()) {
    std::size_t j = body.find('&', i);
    if (j == std::string_view::npos) j = body.size();
    std::string part(body.substr(i, j - i));
    if (!part.empty()) {
      std::replace(part.begin(), part.end(), '+', ' ');
      const auto eq = part.find('=');
      auto k = http::percent_decode(std::string_view(part).substr(0, eq));
      auto v = http::percent_decode(
          eq == std::string::npos ? "" : std::string_view(part).substr(eq + 1));
      if (!k || !v) return err::invalid_argument("malformed form body");
      if (!out.emplace(*k, *v).second)
        return err::invalid_argument("form parameter \"" + *k + "\" repeated");
    }
    i = j + 1;
  }
  return out;
}

}  // namespace nsl::app
