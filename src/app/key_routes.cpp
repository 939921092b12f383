#include "app/key_routes.hpp"

#include <algorithm>

#include "app/blocking.hpp"
#include "app/route_helpers.hpp"
#include "core/json_strict.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "services/keys/signing_request.hpp"

namespace nsl::app {
namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;


json key_view_json(const keys::KeyView& v) {
  const auto& k = v.key;
  json versions = json::array();
  std::string current_public_key;
  for (const auto& ver : v.versions) {
    versions.push_back(json{{"version", ver.version},
                            {"public_key", ver.public_key},
                            {"state", ver.state},
                            {"created_at", rfc3339_ms(ver.created_at)}});
    if (ver.version == k.current_version) current_public_key = ver.public_key;
  }
  json policy = nullptr;
  if (k.policy_json) {
    // Stored canonical by the service; a row that does not parse is shown as absent, not 500.
    auto p = parse_json_strict(*k.policy_json);
    if (p.ok()) policy = std::move(*p);
  }
  json j{{"id", k.id},
         {"label", k.label},
         {"curve", k.curve},
         {"purpose", k.purpose},
         {"exportable", k.exportable},
         {"state", k.state},
         {"current_version", k.current_version},
         {"public_key", current_public_key},
         {"rotation_days", k.rotation_days},
         {"next_rotation_at", opt_time(k.next_rotation_at)},
         {"destroy_after", opt_time(k.destroy_after)},
         {"created_at", rfc3339_ms(k.created_at)},
         {"updated_at", rfc3339_ms(k.updated_at)},
         {"policy", policy},
         {"policy_version", k.policy_version},
         {"versions", versions}};
  if (v.neo) {
    j["neo"] = json{{"address", v.neo->address},
                    {"script_hash", v.neo->script_hash},
                    {"verification_script", v.neo->verification_script}};
  }
  if (v.evm_address) j["evm"] = json{{"address", *v.evm_address}};
  return j;
}

namespace {

Result<keys::NewKeyRequest> new_key_request(const json& body) {
  NSL_TRY(keys::only_fields(body, {"curve", "label", "purpose", "exportable", "rotation_days"}));
  keys::NewKeyRequest r;
  if (!body.contains("curve") || !body["curve"].is_string())
    return err::invalid_argument("curve (string) is required");
  if (!body.contains("label") || !body["label"].is_string())
    return err::invalid_argument("label (string) is required");
  r.curve = body["curve"].get<std::string>();
  r.label = body["label"].get<std::string>();
  if (body.contains("purpose")) {
    if (!body["purpose"].is_string()) return err::invalid_argument("purpose must be a string");
    r.purpose = body["purpose"].get<std::string>();
  }
  NSL_TRY(read_key_options(body, r.exportable, r.rotation_days));
  return r;
}

// A body that must be absent, empty or `{}` (action routes take no parameters).
Status no_body(const Request& req) {
  if (req.body.empty()) return {};
  NSL_TRY_ASSIGN(json body, http::parse_json_body(req));
  return keys::only_fields(body, {});
}

Result<std::optional<int>> grace_days(const Request& req) {
  if (req.body.empty()) return std::optional<int>();
  NSL_TRY_ASSIGN(json body, http::parse_json_body(req));
  NSL_TRY(keys::only_fields(body, {"grace_days"}));
  if (!body.contains("grace_days") || body["grace_days"].is_null()) return std::optional<int>();
  const json& d = body["grace_days"];
  if (!d.is_number_integer() || d.get<std::int64_t>() < 0 || d.get<std::int64_t>() > 100000)
    return err::invalid_argument("grace_days must be an integer");
  return std::optional<int>(static_cast<int>(d.get<std::int64_t>()));
}

Result<keys::repo::KeyFilter> key_filter(const Request& req) {
  keys::repo::KeyFilter f;
  f.curve = req.query_param("curve");
  f.state = req.query_param("state");
  f.label_prefix = req.query_param("label_prefix");
  if (f.label_prefix && (f.label_prefix->empty() || f.label_prefix->size() > 128))
    return err::invalid_argument("label_prefix must be 1..128 characters");
  return f;
}

// One action on one key ({id}), answered with the key's view.
template <class Fn>
http::Handler key_action(asio::thread_pool& pool, int status, Fn fn) {
  return [&pool, status, fn](Request& req) -> asio::awaitable<Response> {
    const auth::Principal& p = principal_of(req);
    const std::string id(req.param("id").value_or(""));
    auto v = co_await offload(pool, [&]() -> Result<keys::KeyView> {
      return fn(req, p.tenant, id, actor_of(req));
    });
    if (!v.ok()) co_return http::problem(v.error(), req);
    co_return json_response(status, key_view_json(*v));
  };
}

}  // namespace

Status read_key_options(const json& body, bool& exportable, std::optional<int>& rotation_days) {
  if (body.contains("exportable")) {
    if (!body["exportable"].is_boolean()) return err::invalid_argument("exportable must be true or false");
    exportable = body["exportable"].get<bool>();
  }
  if (body.contains("rotation_days")) {
    const json& d = body["rotation_days"];
    // The service checks the range (0..3650); this only keeps the value an int.
    if (!d.is_number_integer() || d.get<std::int64_t>() < 0 || d.get<std::int64_t>() > 100000)
      return err::invalid_argument("rotation_days must be an integer from 0 (never) to 3650");
    rotation_days = static_cast<int>(d.get<std::int64_t>());
  }
  return {};
}

http::Handler key_making_handler(asio::thread_pool& pool, MakeKey make) {
  return [&pool, make = std::move(make)](Request& req) -> asio::awaitable<Response> {
    auto body = http::parse_json_body(req);
    if (!body.ok()) co_return http::problem(body.error(), req);
    const auth::Principal& p = principal_of(req);
    auto v = co_await offload(pool, [&] { return make(*body, p, actor_of(req)); });
    if (!v.ok()) co_return http::problem(v.error(), req);
    Response res = json_response(201, key_view_json(*v));
    res.headers.set("location", "/v1/keys/" + v->key.id);
    co_return res;
  };
}

Status add_key_routes(http::Router& router, KeyRoutesDeps d) {
  auto& ks = d.keys;
  auto& pool = d.pool;
  std::vector<http::Route> routes;
  const std::string keys_class = "keys";

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys",
      .handler = key_making_handler(pool,
                                    [&ks](const json& body, const auth::Principal& p,
                                          const identity::Actor& actor) -> Result<keys::KeyView> {
                                      NSL_TRY_ASSIGN(auto r, new_key_request(body));
                                      return ks.create(p.tenant, r, actor);
                                    }),
      .permission = "keys:create",
      .rate_class = keys_class});

  routes.push_back(http::Route{
      .method = Method::get,
      .pattern = "/v1/keys",
      .handler = [&ks, &pool](Request& req) -> asio::awaitable<Response> {
        auto pg = paging(req, 50, 100);
        if (!pg.ok()) co_return http::problem(pg.error(), req);
        auto after = cursor_id(pg->second);
        if (!after.ok()) co_return http::problem(after.error(), req);
        auto filter = key_filter(req);
        if (!filter.ok()) co_return http::problem(filter.error(), req);
        const auth::Principal& p = principal_of(req);
        auto rows = co_await offload(
            pool, [&] { return ks.list(p.tenant, *filter, pg->first, *after); });
        if (!rows.ok()) co_return http::problem(rows.error(), req);
        json items = json::array();
        for (const auto& v : *rows) items.push_back(key_view_json(v));
        json out{{"items", items}, {"next_cursor", nullptr}};
        if (static_cast<int>(rows->size()) == pg->first) out["next_cursor"] = rows->back().key.id;
        co_return json_response(200, out);
      },
      .permission = "keys:read",
      .rate_class = keys_class});

  routes.push_back(http::Route{
      .method = Method::get,
      .pattern = "/v1/keys/{id}",
      .handler = key_action(pool, 200,
                            [&ks](Request&, const store::TenantId& t, const std::string& id,
                                  const identity::Actor&) { return ks.get(t, id); }),
      .permission = "keys:read",
      .rate_class = keys_class});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys/{id}/disable",
      .handler = key_action(pool, 200,
                            [&ks](Request& req, const store::TenantId& t, const std::string& id,
                                  const identity::Actor& a) -> Result<keys::KeyView> {
                              NSL_TRY(no_body(req));
                              return ks.disable(t, id, a);
                            }),
      .permission = "keys:admin",
      .rate_class = keys_class});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys/{id}/enable",
      .handler = key_action(pool, 200,
                            [&ks](Request& req, const store::TenantId& t, const std::string& id,
                                  const identity::Actor& a) -> Result<keys::KeyView> {
                              NSL_TRY(no_body(req));
                              return ks.enable(t, id, a);
                            }),
      .permission = "keys:admin",
      .rate_class = keys_class});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys/{id}/rotate",
      .handler = key_action(pool, 200,
                            [&ks](Request& req, const store::TenantId& t, const std::string& id,
                                  const identity::Actor& a) -> Result<keys::KeyView> {
                              NSL_TRY(no_body(req));
                              return ks.rotate(t, id, a);
                            }),
      .permission = "keys:admin",
      .rate_class = keys_class});

  routes.push_back(http::Route{
      .method = Method::del,
      .pattern = "/v1/keys/{id}",
      .handler = key_action(pool, 202,
                            [&ks](Request& req, const store::TenantId& t, const std::string& id,
                                  const identity::Actor& a) -> Result<keys::KeyView> {
                              NSL_TRY_ASSIGN(std::optional<int> days, grace_days(req));
                              return ks.schedule_destruction(t, id, days, a);
                            }),
      .permission = "keys:admin",
      .rate_class = keys_class});

  routes.push_back(http::Route{
      .method = Method::put,
      .pattern = "/v1/keys/{id}/policy",
      .handler = key_action(pool, 200,
                            [&ks](Request& req, const store::TenantId& t, const std::string& id,
                                  const identity::Actor& a) -> Result<keys::KeyView> {
                              // Content type, strictness (duplicates, depth): as every body.
                              NSL_TRY(http::parse_json_body(req));
                              return ks.set_policy(t, id, req.body, a);
                            }),
      .permission = "keys:admin",
      .rate_class = keys_class});

  routes.push_back(http::Route{
      .method = Method::del,
      .pattern = "/v1/keys/{id}/policy",
      .handler = key_action(pool, 200,
                            [&ks](Request&, const store::TenantId& t, const std::string& id,
                                  const identity::Actor& a) { return ks.delete_policy(t, id, a); }),
      .permission = "keys:admin",
      .rate_class = keys_class});

  for (auto& r : routes) NSL_TRY(router.add(std::move(r)));
  return {};
}

}  // namespace nsl::app
