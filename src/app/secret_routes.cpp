#include "app/secret_routes.hpp"

#include <limits>

#include "app/blocking.hpp"
#include "app/route_helpers.hpp"
#include "core/secret_string.hpp"
#include "core/strings.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "services/keys/signing_request.hpp"

namespace nsl::app {
namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxDeleteAfterSeconds = 100LL * 365 * 24 * 3600;  // a century

json version_json(const secrets::VersionMeta& v) {
  return json{{"version", v.version},
              {"created_at", rfc3339_ms(v.created_time)},
              {"deletion_time", opt_time(v.deletion_time)},
              {"destroyed", v.destroyed}};
}

json metadata_json(const secrets::SecretMetadata& m) {
  json versions = json::array();
  for (const auto& v : m.versions) versions.push_back(version_json(v));
  json custom = json::object();
  for (const auto& [k, v] : m.custom_metadata) custom[k] = v;
  return json{{"path", m.path},
              {"max_versions", m.max_versions},
              {"effective_max_versions", m.effective_max_versions},
              {"cas_required", m.cas_required},
              {"delete_version_after_seconds", m.delete_version_after_ms / 1000},
              {"custom_metadata", custom},
              {"current_version", m.current_version},
              {"oldest_version", m.oldest_version},
              {"created_at", rfc3339_ms(m.created_time)},
              {"updated_at", rfc3339_ms(m.updated_time)},
              {"versions", versions}};
}

Result<std::uint32_t> version_number(std::string_view text, std::string_view what) {
  auto v = parse_u64(text);
  if (!v || *v < 1 || *v > std::numeric_limits<std::uint32_t>::max())
    return err::invalid_argument(std::string(what) + " must be a version number (1 or more)");
  return static_cast<std::uint32_t>(*v);
}

// ?versions=1,2,3 (absent: empty = the current version).
Result<std::vector<std::uint32_t>> versions_query(const Request& req) {
  std::vector<std::uint32_t> out;
  auto q = req.query_param("versions");
  if (!q) return out;
  std::string_view rest = *q;
  while (true) {
    const auto comma = rest.find(',');
    NSL_TRY_ASSIGN(std::uint32_t v, version_number(rest.substr(0, comma), "versions"));
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

// {"versions": [1, 2]} (required, non-empty).
Result<std::vector<std::uint32_t>> versions_body(const Request& req) {
  NSL_TRY_ASSIGN(json body, http::parse_json_body(req));
  NSL_TRY(keys::only_fields(body, {"versions"}));
  if (!body.contains("versions") || !body["versions"].is_array() || body["versions"].empty())
    return err::invalid_argument("versions (a non-empty array of version numbers) is required");
  std::vector<std::uint32_t> out;
  for (const json& v : body["versions"]) {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1 ||
        v.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max())
      return err::invalid_argument("versions must hold version numbers (1 or more)");
    out.push_back(static_cast<std::uint32_t>(v.get<std::uint64_t>()));
  }
  return out;
}

Result<secrets::MetadataUpdate> metadata_update(const json& body) {
  NSL_TRY(keys::only_fields(
      body, {"max_versions", "cas_required", "delete_version_after_seconds", "custom_metadata"}));
  secrets::MetadataUpdate u;
  if (body.contains("max_versions")) {
    const json& m = body["max_versions"];
    if (!m.is_number_unsigned() || m.get<std::uint64_t>() > 1000)
      return err::invalid_argument("max_versions must be an integer from 0 (the default) to 1000");
    u.max_versions = static_cast<int>(m.get<std::uint64_t>());
  }
  if (body.contains("cas_required")) {
    if (!body["cas_required"].is_boolean())
      return err::invalid_argument("cas_required must be true or false");
    u.cas_required = body["cas_required"].get<bool>();
  }
  if (body.contains("delete_version_after_seconds")) {
    const json& d = body["delete_version_after_seconds"];
    if (!d.is_number_unsigned() || d.get<std::uint64_t>() > kMaxDeleteAfterSeconds)
      return err::invalid_argument(
          "delete_version_after_seconds must be an integer from 0 (never) to 3153600000");
    u.delete_version_after_ms = static_cast<std::int64_t>(d.get<std::uint64_t>()) * 1000;
  }
  if (body.contains("custom_metadata")) {
    const json& c = body["custom_metadata"];
    if (!c.is_object())
      return err::invalid_argument("custom_metadata must be an object of string values");
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : c.items()) {
      if (!v.is_string()) return err::invalid_argument("custom_metadata values must be strings");
      m.emplace(k, v.get<std::string>());
    }
    u.custom_metadata = std::move(m);
  }
  return u;
}

std::string path_of(const Request& req) { return std::string(req.param("path").value_or("")); }

Response no_content() {
  Response res;
  res.status = 204;
  return res;
}

// The GET answer: {"data": <the stored JSON object>, "metadata": {...}}, built around the stored
// text without parsing it (it is the object write() serialized).
Response value_response(const secrets::SecretValue& v) {
  const auto bytes = v.data.reveal(SecretAccess::grant());
  const std::string meta = version_json(v.metadata).dump();
  Response res;
  res.status = 200;
  res.sensitive = true;
  res.body.reserve(bytes.size() + meta.size() + 24);
  res.body.append("{\"data\":");
  res.body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  res.body.append(",\"metadata\":");
  res.body.append(meta);
  res.body.push_back('}');
  res.headers.set("content-type", "application/json");
  res.headers.set("cache-control", "no-store");
  return res;
}

// A route that acts on one path and answers 204.
template <class Fn>
http::Handler path_action(asio::thread_pool& pool, Fn fn) {
  return [&pool, fn](Request& req) -> asio::awaitable<Response> {
    const auth::Principal& p = principal_of(req);
    const std::string path = path_of(req);
    auto st = co_await offload(pool, [&]() -> Status { return fn(req, p.tenant, path, actor_of(req)); });
    if (!st.ok()) co_return http::problem(st.error(), req);
    co_return no_content();
  };
}

}  // namespace

Status add_secret_routes(http::Router& router, SecretRoutesDeps d) {
  auto& kv = d.secrets;
  auto& pool = d.pool;
  std::vector<http::Route> routes;

  routes.push_back(http::Route{
      .method = Method::put,
      .pattern = "/v1/secrets/{path*}",
      .handler = [&kv, &pool](Request& req) -> asio::awaitable<Response> {
        WipedRequestBody body(req);
        auto parsed = http::parse_json_body(req);
        if (!parsed.ok()) co_return http::problem(parsed.error(), req);
        body.parsed = std::move(*parsed);
        const json& b = body.parsed;
        if (Status st = keys::only_fields(b, {"data", "options"}); !st.ok())
          co_return http::problem(st.error(), req);
        if (!b.contains("data") || !b["data"].is_object())
          co_return http::problem(err::invalid_argument("data (a JSON object) is required"), req);
        secrets::WriteOptions options;
        if (b.contains("options")) {
          const json& o = b["options"];
          Status st = o.is_object() ? keys::only_fields(o, {"cas"}, "options.")
                                    : Status(err::invalid_argument("options must be an object"));
          if (st.ok() && o.contains("cas")) {
            if (!o["cas"].is_number_unsigned() ||
                o["cas"].get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
              st = err::invalid_argument("options.cas must be a version number (0: only if absent)");
            } else {
              options.cas = static_cast<std::uint32_t>(o["cas"].get<std::uint64_t>());
            }
          }
          if (!st.ok()) co_return http::problem(st.error(), req);
        }
        const auth::Principal& p = principal_of(req);
        const std::string path = path_of(req);
        auto v = co_await offload(pool, [&] { return kv.write(p.tenant, path, b["data"], options, actor_of(req)); });
        if (!v.ok()) co_return http::problem(v.error(), req);
        co_return json_response(200, version_json(*v));
      },
      .permission = "secrets:write"});

  routes.push_back(http::Route{
      .method = Method::get,
      .pattern = "/v1/secrets/{path*}",
      .handler = [&kv, &pool](Request& req) -> asio::awaitable<Response> {
        std::optional<std::uint32_t> version;
        if (auto q = req.query_param("version"); q && *q != "0") {
          auto v = version_number(*q, "version");
          if (!v.ok()) co_return http::problem(v.error(), req);
          version = *v;
        }
        const auth::Principal& p = principal_of(req);
        const std::string path = path_of(req);
        auto v = co_await offload(pool, [&] { return kv.read(p.tenant, path, version, actor_of(req)); });
        if (!v.ok()) co_return http::problem(v.error(), req);
        co_return value_response(*v);
      },
      .permission = "secrets:read",
      .writes = true});  // every read is audited: a read-only secondary cannot serve it

  routes.push_back(http::Route{
      .method = Method::del,
      .pattern = "/v1/secrets/{path*}",
      .handler = path_action(pool,
                             [&kv](Request& req, const store::TenantId& t, const std::string& path,
                                   const identity::Actor& actor) -> Status {
                               NSL_TRY_ASSIGN(auto versions, versions_query(req));
                               return kv.delete_versions(t, path, versions, actor);
                             }),
      .permission = "secrets:write"});

  routes.push_back(http::Route{
      .method = Method::get,
      .pattern = "/v1/secrets",
      .handler = [&kv, &pool](Request& req) -> asio::awaitable<Response> {
        auto pg = paging(req, 100, 1000);
        if (!pg.ok()) co_return http::problem(pg.error(), req);
        const std::string prefix = req.query_param("prefix").value_or("");
        const auth::Principal& p = principal_of(req);
        auto page = co_await offload(pool, [&] { return kv.list(p.tenant, prefix, pg->first, pg->second); });
        if (!page.ok()) co_return http::problem(page.error(), req);
        json items = json::array();
        for (const auto& e : page->entries) {
          items.push_back(json{{"path", e.path},
                               {"current_version", e.current_version},
                               {"updated_at", rfc3339_ms(e.updated_time)}});
        }
        json out{{"items", items}, {"next_cursor", nullptr}};
        if (page->next_after) out["next_cursor"] = *page->next_after;
        co_return json_response(200, out);
      },
      .permission = "secrets:list"});

  routes.push_back(http::Route{
      .method = Method::get,
      .pattern = "/v1/secret-metadata/{path*}",
      .handler = [&kv, &pool](Request& req) -> asio::awaitable<Response> {
        const auth::Principal& p = principal_of(req);
        const std::string path = path_of(req);
        auto m = co_await offload(pool, [&] { return kv.metadata(p.tenant, path); });
        if (!m.ok()) co_return http::problem(m.error(), req);
        co_return json_response(200, metadata_json(*m));
      },
      .permission = "secrets:list"});

  routes.push_back(http::Route{
      .method = Method::patch,
      .pattern = "/v1/secret-metadata/{path*}",
      .handler = [&kv, &pool](Request& req) -> asio::awaitable<Response> {
        auto body = http::parse_json_body(req);
        if (!body.ok()) co_return http::problem(body.error(), req);
        auto update = metadata_update(*body);
        if (!update.ok()) co_return http::problem(update.error(), req);
        const auth::Principal& p = principal_of(req);
        const std::string path = path_of(req);
        auto m = co_await offload(pool, [&] { return kv.set_metadata(p.tenant, path, *update, actor_of(req)); });
        if (!m.ok()) co_return http::problem(m.error(), req);
        co_return json_response(200, metadata_json(*m));
      },
      .permission = "secrets:write"});

  routes.push_back(http::Route{
      .method = Method::del,
      .pattern = "/v1/secret-metadata/{path*}",
      .handler = path_action(pool,
                             [&kv](Request&, const store::TenantId& t, const std::string& path,
                                   const identity::Actor& actor) { return kv.delete_all(t, path, actor); }),
      .permission = "secrets:admin"});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/secret-undelete/{path*}",
      .handler = path_action(pool,
                             [&kv](Request& req, const store::TenantId& t, const std::string& path,
                                   const identity::Actor& actor) -> Status {
                               NSL_TRY_ASSIGN(auto versions, versions_body(req));
                               return kv.undelete(t, path, versions, actor);
                             }),
      .permission = "secrets:write"});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/secret-destroy/{path*}",
      .handler = path_action(pool,
                             [&kv](Request& req, const store::TenantId& t, const std::string& path,
                                   const identity::Actor& actor) -> Status {
                               NSL_TRY_ASSIGN(auto versions, versions_body(req));
                               return kv.destroy(t, path, versions, actor);
                             }),
      .permission = "secrets:admin"});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/secret-data-key/rotate",
      .handler = [&kv, &pool](Request& req) -> asio::awaitable<Response> {
        if (!req.body.empty()) {
          auto body = http::parse_json_body(req);
          Status st = body.ok() ? keys::only_fields(*body, {}) : Status(body.error());
          if (!st.ok()) co_return http::problem(st.error(), req);
        }
        const auth::Principal& p = principal_of(req);
        auto v = co_await offload(pool, [&] { return kv.rotate_data_key(p.tenant, actor_of(req)); });
        if (!v.ok()) co_return http::problem(v.error(), req);
        co_return json_response(200, json{{"version", *v}});
      },
      .permission = "secrets:admin"});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/secret-data-key/rewrap",
      .handler = [&kv, &pool](Request& req) -> asio::awaitable<Response> {
        int limit = 1000;
        if (!req.body.empty()) {
          auto body = http::parse_json_body(req);
          Status st = body.ok() ? keys::only_fields(*body, {"limit"}) : Status(body.error());
          if (st.ok() && body->contains("limit")) {
            const json& l = (*body)["limit"];
            if (!l.is_number_unsigned() || l.get<std::uint64_t>() < 1 || l.get<std::uint64_t>() > 10000) {
              st = err::invalid_argument("limit must be an integer from 1 to 10000");
            } else {
              limit = static_cast<int>(l.get<std::uint64_t>());
            }
          }
          if (!st.ok()) co_return http::problem(st.error(), req);
        }
        const auth::Principal& p = principal_of(req);
        auto r = co_await offload(pool, [&] { return kv.rewrap(p.tenant, limit); });
        if (!r.ok()) co_return http::problem(r.error(), req);
        co_return json_response(200, json{{"rewrapped", r->rewrapped}, {"to_version", r->to_version}, {"more", r->more}});
      },
      .permission = "secrets:admin"});

  for (auto& r : routes) NSL_TRY(router.add(std::move(r)));
  return {};
}

}  // namespace nsl::app
