#include "app/access_routes.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

#include "app/blocking.hpp"
#include "app/route_helpers.hpp"
#include "core/base64.hpp"
#include "core/strings.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"

namespace nsl::app {
namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

Authenticator::RevokedFn revocation_check(cache::Cache& shared, cache::Cache& local) {
  return [&shared, &local](const auth::Principal& p) -> Result<bool> {
    const std::string key = revocation_key(p);
    if (key.empty()) return false;
    auto v = shared.get(key);
    if (v.ok()) return v->has_value();
    if (v.error().code() != ErrorCode::unavailable) return std::move(v).error();
    // Shared cache down: revocations made through this replica still hold; others' are missed
    // until it returns (the same degraded mode as the general rate limits, reported likewise).
    NSL_TRY_ASSIGN(std::optional<std::string> l, local.get(key));
    return l.has_value();
  };
}

namespace {

json api_key_json(const identity::repo::ApiKeyRow& k) {
  return json{{"id", k.id},
              {"name", k.name},
              {"prefix", k.prefix},
              {"scopes", k.scopes},
              {"created_by", k.created_by},
              {"created_at", rfc3339_ms(k.created_at)},
              {"expires_at", opt_time(k.expires_at)},
              {"revoked_at", opt_time(k.revoked_at)},
              {"last_used_at", opt_time(k.last_used_at)}};
}

json audit_json(const audit::AuditRecord& r) {
  return json{{"seq", r.seq},
              {"ts", rfc3339_ms(r.ts_ms)},
              {"actor", r.event.actor},
              {"action", r.event.action},
              {"resource", r.event.resource},
              {"request_id", r.event.request_id},
              {"result", r.event.result},
              {"detail", r.event.detail},
              {"prev_hash", r.prev_hash},
              {"hash", r.hash}};
}

// The token request's parameters from a form or JSON body, plus HTTP Basic client credentials.
Result<std::map<std::string, std::string>> token_params(const Request& req) {
  std::map<std::string, std::string> p;
  const std::string ct = ascii_lower(req.headers.get("content-type").value_or(""));
  if (ct.rfind("application/x-www-form-urlencoded", 0) == 0) {
    NSL_TRY_ASSIGN(p, parse_form(req.body));
  } else {
    NSL_TRY_ASSIGN(json body, http::parse_json_body(req));
    for (const auto& [k, v] : body.items()) {
      if (!v.is_string()) return err::invalid_argument("parameter \"" + k + "\" must be a string");
      p[k] = v.get<std::string>();
    }
  }
  if (auto h = req.headers.get("authorization");
      h && h->size() > 6 && iequals(h->substr(0, 6), "basic ")) {
    auto raw = base64_decode(trim(h->substr(6)));
    if (!raw) return err::unauthenticated("malformed Basic credentials");
    std::string text(raw->begin(), raw->end());
    const auto colon = text.find(':');
    if (colon == std::string::npos) return err::unauthenticated("malformed Basic credentials");
    auto id = http::percent_decode(text.substr(0, colon));
    auto secret = http::percent_decode(text.substr(colon + 1));
    SecretString::wipe(text);
    if (!id || !secret) return err::unauthenticated("malformed Basic credentials");
    if (p.count("client_secret") != 0)
      return err::invalid_argument("send client credentials once, not twice");
    p["client_id"] = *id;
    p["client_secret"] = *secret;
    SecretString::wipe(*secret);
  }
  return p;
}

std::string base_url(const Request& req, const std::string& issuer) {
  if (issuer.rfind("https://", 0) == 0 || issuer.rfind("http://", 0) == 0) {
    return issuer.back() == '/' ? issuer.substr(0, issuer.size() - 1) : issuer;
  }
  return std::string(req.tls ? "https://" : "http://") +
         std::string(req.headers.get("host").value_or("localhost"));
}

}  // namespace

Status add_access_routes(http::Router& router, AccessRoutesDeps d) {
  auto& ids = d.identity;
  auto& tokens = d.tokens;
  auto& audit = d.audit;
  auto& cache = d.cache;
  auto& local = d.local_cache;
  auto& pool = d.pool;
  // Collected first, added after: a route's handler may itself use NSL_TRY.
  std::vector<http::Route> routes;

  // ---- discovery ----
  routes.push_back(http::Route{.method = Method::get,
                               .pattern = "/.well-known/jwks.json",
                               .handler = [&tokens](Request&) -> asio::awaitable<Response> {
                                 Response res = Response::json(200, tokens.jwks().dump());
                                 res.headers.set("content-type", "application/jwk-set+json");
                                 res.headers.set("cache-control", "public, max-age=300");
                                 co_return res;
                               },
                               .is_public = true});
  routes.push_back(http::Route{.method = Method::get,
                               .pattern = "/.well-known/openid-configuration",
                               .handler = [&tokens](Request& req) -> asio::awaitable<Response> {
                                 const std::string base = base_url(req, tokens.options().issuer);
                                 json j{{"issuer", tokens.options().issuer},
                                        {"jwks_uri", base + "/.well-known/jwks.json"},
                                        {"token_endpoint", base + "/v1/auth/token"},
                                        {"introspection_endpoint", base + "/v1/auth/introspect"},
                                        {"revocation_endpoint", base + "/v1/auth/revoke"},
                                        {"grant_types_supported", {"client_credentials"}},
                                        {"token_endpoint_auth_methods_supported",
                                         {"client_secret_basic", "client_secret_post"}},
                                        {"response_types_supported", {"token"}},
                                        {"subject_types_supported", {"public"}},
                                        {"id_token_signing_alg_values_supported",
                                         {std::string(auth::jws_alg_name(tokens.options().alg))}},
                                        {"scopes_supported", auth::all_permissions()}};
                                 Response res = Response::json(200, j.dump());
                                 // URLs derived from the request's Host must not be kept by shared
                                 // caches.
                                 res.headers.set("cache-control", base != tokens.options().issuer
                                                                      ? "private, no-cache"
                                                                      : "public, max-age=300");
                                 co_return res;
                               },
                               .is_public = true});

  // ---- tokens ----
  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/auth/token",
      .handler = [&ids, &tokens, &audit, &pool](Request& req) -> asio::awaitable<Response> {
        auto params = token_params(req);
        if (!params.ok()) {
          co_return oauth_error(req, params.error(),
                                params.error().code() == ErrorCode::unauthenticated
                                    ? "invalid_client"
                                    : "invalid_request");
        }
        auto& p = *params;
        if (p["grant_type"] != "client_credentials") {
          co_return oauth_error(req, err::invalid_argument("grant_type must be client_credentials"),
                                "unsupported_grant_type");
        }
        std::string secret = p["client_secret"];
        SecretString key = SecretString::take(secret);
        p.erase("client_secret");
        std::string oauth_code;  // set where RFC 6749 names a specific error
        auto result = co_await offload(pool, [&]() -> Result<json> {
          NSL_TRY_ASSIGN(auth::Principal who, ids.authenticate_api_key(key.reveal()));
          if (p.count("client_id") != 0 && p["client_id"] != who.subject.substr(7) &&
              p["client_id"] != who.subject) {
            return err::unauthenticated("client_id does not match the client secret");
          }
          if (p.count("scope") != 0) {
            // A narrower token: every requested scope must already be within the key's own. A
            // wildcard is within them only when the key is unrestricted or holds that wildcard.
            std::vector<std::string> want = identity::repo::split_scopes(p["scope"]);
            oauth_code = "invalid_scope";
            if (want.empty()) return err::invalid_argument("scope is empty");
            for (const auto& s : want) {
              if (!auth::is_valid_scope(s)) {
                return err::invalid_argument("unknown scope \"" + s + "\"");
              }
              const bool within =
                  who.scopes.empty() ||
                  std::find(who.scopes.begin(), who.scopes.end(), s) != who.scopes.end() ||
                  (auth::is_known_permission(s) && auth::scope_allows(who.scopes, s));
              if (!within) {
                return err::invalid_argument("scope \"" + s + "\" exceeds the client's own scopes");
              }
            }
            oauth_code.clear();
            who.scopes = std::move(want);
          }
          NSL_TRY_ASSIGN(auth::IssuedToken t, tokens.issue(who));
          NSL_TRY(audit.append_wait({.tenant = who.tenant,
                                     .actor = who.subject,
                                     .action = "auth.token.issue",
                                     .resource = "token:" + t.jti,
                                     .request_id = req.ctx.request_id,
                                     .result = "ok"}));
          json out{
              {"access_token", t.token}, {"token_type", "Bearer"}, {"expires_in", t.expires_in}};
          if (!who.scopes.empty()) out["scope"] = identity::repo::join_scopes(who.scopes);
          return out;
        });
        if (!result.ok()) {
          const auto c = result.error().code();
          co_return oauth_error(req, result.error(),
                                !oauth_code.empty()                ? oauth_code
                                : c == ErrorCode::unauthenticated  ? "invalid_client"
                                : c == ErrorCode::invalid_argument ? "invalid_request"
                                                                   : "server_error");
        }
        co_return secret_json_response(200, *result);
      },
      .is_public = true});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/auth/revoke",
      .handler = [&tokens, &cache, &local, &audit, &pool,
                  &authn = d.authn](Request& req) -> asio::awaitable<Response> {
        auto params = token_params(req);
        if (!params.ok()) co_return oauth_error(req, params.error(), "invalid_request");
        std::string token = (*params)["token"];
        if (token.empty())
          co_return oauth_error(req, err::invalid_argument("token is required"), "invalid_request");
        auto done = co_await offload(pool, [&]() -> Status {
          // RFC 7009 §2.2: an invalid or unknown token is not an error.
          auto p = tokens.verify(token);
          if (!p.ok()) return {};
          const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
          const std::int64_t ttl = std::max<std::int64_t>(p->expires_at_ms - now_ms, 0) + 120'000;
          const std::string revoked = revocation_key(*p);
          if (revoked.empty()) return err::internal("verified token without an id");
          NSL_TRY(local.set(revoked, "1", std::chrono::milliseconds(ttl)));
          NSL_TRY(cache.set(revoked, "1", std::chrono::milliseconds(ttl)));
          authn.forget(token);
          return audit.append_wait({.tenant = p->tenant,
                                    .actor = p->subject,
                                    .action = "auth.token.revoke",
                                    .resource = "token:" + p->token_id,
                                    .request_id = req.ctx.request_id,
                                    .result = "ok"});
        });
        if (!done.ok()) co_return http::problem(done.error(), req);
        co_return json_response(200, json::object());
      },
      .is_public = true});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/auth/introspect",
      .handler = [&tokens, &cache, &local, &pool](Request& req) -> asio::awaitable<Response> {
        auto params = token_params(req);
        if (!params.ok()) co_return http::problem(params.error(), req);
        const std::string token = (*params)["token"];
        const auth::Principal& caller = principal_of(req);
        auto out = co_await offload(pool, [&]() -> Result<json> {
          auto p = tokens.verify(token);
          // Tokens of other tenants are "inactive" to this caller: existence is not
          // confirmed.
          if (!p.ok() || !(p->tenant == caller.tenant)) return json{{"active", false}};
          NSL_TRY_ASSIGN(bool revoked, revocation_check(cache, local)(*p));
          if (revoked) return json{{"active", false}};
          json roles = json::array();
          for (const auto& b : p->bindings) roles.push_back(auth::binding_to_string(b));
          json j{{"active", true},
                 {"token_type", "Bearer"},
                 {"sub", p->subject},
                 {"tid", p->tenant.str()},
                 {"jti", p->token_id},
                 {"exp", p->expires_at_ms / 1000},
                 {"iss", tokens.options().issuer},
                 {"aud", tokens.options().audience},
                 {"roles", roles}};
          if (!p->scopes.empty()) j["scope"] = identity::repo::join_scopes(p->scopes);
          return j;
        });
        if (!out.ok()) co_return http::problem(out.error(), req);
        co_return json_response(200, *out);
      },
      .permission = "tenants:read",
      .writes = false});  // verifies and reads the revocation list: a read-only secondary serves it

  // ---- tenants ----
  routes.push_back(
      http::Route{.method = Method::get,
                  .pattern = "/v1/tenants/{id}",
                  .handler = [&ids, &pool](Request& req) -> asio::awaitable<Response> {
                    const auth::Principal& p = principal_of(req);
                    if (req.param("id").value_or("") != p.tenant.str()) {
                      co_return http::problem(err::not_found("tenant not found"), req);
                    }
                    auto t = co_await offload(pool, [&] { return ids.get_tenant(p.tenant); });
                    if (!t.ok()) co_return http::problem(t.error(), req);
                    co_return json_response(200, json{{"id", t->id.str()}, {"name", t->name}});
                  },
                  .permission = "tenants:read"});

  // ---- API keys ----
  routes.push_back(http::Route{
      .method = Method::get,
      .pattern = "/v1/apikeys",
      .handler = id_listing(
          pool,
          [&ids](const store::TenantId& t, int limit, std::optional<std::string> after) {
            return ids.list_api_keys(t, limit, std::move(after));
          },
          api_key_json),
      .permission = "apikeys:read",
      .rate_class = "keys"});
  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/apikeys",
      .handler = [&ids, &pool](Request& req) -> asio::awaitable<Response> {
        auto body = http::parse_json_body(req);
        if (!body.ok()) co_return http::problem(body.error(), req);
        identity::NewApiKeyRequest r;
        if (!body->contains("name") || !(*body)["name"].is_string()) {
          co_return http::problem(err::invalid_argument("name (string) is required"), req);
        }
        r.name = (*body)["name"].get<std::string>();
        auto roles = roles_from(*body);
        if (!roles.ok()) co_return http::problem(roles.error(), req);
        r.roles = std::move(*roles);
        if (body->contains("scopes")) {
          const json& s = (*body)["scopes"];
          if (!s.is_array())
            co_return http::problem(err::invalid_argument("scopes must be an array"), req);
          for (const auto& x : s) {
            if (!x.is_string())
              co_return http::problem(err::invalid_argument("scopes must be strings"), req);
            r.scopes.push_back(x.get<std::string>());
          }
        }
        if (body->contains("expires_in")) {
          const json& e = (*body)["expires_in"];
          if (!e.is_number_unsigned()) {
            co_return http::problem(
                err::invalid_argument("expires_in must be a whole number of seconds"), req);
          }
          r.ttl = std::chrono::seconds(e.get<std::int64_t>());
        }
        const auth::Principal& p = principal_of(req);
        auto created = co_await offload(
            pool, [&] { return ids.create_api_key(p.tenant, r, &p, actor_of(req)); });
        if (!created.ok()) co_return http::problem(created.error(), req);
        json j = api_key_json(created->key);
        j["roles"] = bindings_json(created->bindings);
        j["api_key"] = std::string(created->token.reveal());  // the only time it is shown
        Response res = secret_json_response(201, j);
        res.headers.set("location", "/v1/apikeys/" + created->key.id);
        co_return res;
      },
      .permission = "apikeys:write",
      .rate_class = "keys"});
  routes.push_back(http::Route{.method = Method::get,
                               .pattern = "/v1/apikeys/{id}",
                               .handler = [&ids, &pool](Request& req) -> asio::awaitable<Response> {
                                 const auth::Principal& p = principal_of(req);
                                 const std::string id(req.param("id").value_or(""));
                                 auto k = co_await offload(
                                     pool, [&] { return ids.get_api_key(p.tenant, id); });
                                 if (!k.ok()) co_return http::problem(k.error(), req);
                                 co_return json_response(200, api_key_json(*k));
                               },
                               .permission = "apikeys:read",
                               .rate_class = "keys"});
  routes.push_back(http::Route{
      .method = Method::del,
      .pattern = "/v1/apikeys/{id}",
      .handler = [&ids, &pool, &authn = d.authn](Request& req) -> asio::awaitable<Response> {
        const auth::Principal& p = principal_of(req);
        const std::string id(req.param("id").value_or(""));
        auto k = co_await offload(
            pool, [&] { return ids.revoke_api_key(p.tenant, id, &p, actor_of(req)); });
        if (!k.ok()) co_return http::problem(k.error(), req);
        authn.forget_subject(p.tenant, "apikey:" + k->id);
        co_return json_response(200, api_key_json(*k));
      },
      .permission = "apikeys:write",
      .rate_class = "keys"});

  // ---- role bindings ----
  routes.push_back(http::Route{
      .method = Method::get,
      .pattern = "/v1/role-bindings",
      .handler = id_listing(
          pool,
          [&ids](const store::TenantId& t, int limit, std::optional<std::string> after) {
            return ids.list_role_bindings(t, limit, std::move(after));
          },
          binding_json),
      .permission = "roles:read",
      .rate_class = "keys"});
  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/role-bindings",
      .handler = [&ids, &pool](Request& req) -> asio::awaitable<Response> {
        auto body = http::parse_json_body(req);
        if (!body.ok()) co_return http::problem(body.error(), req);
        if (!body->contains("principal") || !(*body)["principal"].is_string()) {
          co_return http::problem(err::invalid_argument("principal (string) is required"), req);
        }
        json wrapped{{"roles", json::array({*body})}};
        auto roles = roles_from(wrapped);
        if (!roles.ok()) co_return http::problem(roles.error(), req);
        const auth::Principal& p = principal_of(req);
        const std::string principal = (*body)["principal"].get<std::string>();
        auto b = co_await offload(pool, [&] {
          return ids.create_role_binding(p.tenant, principal, roles->front(), &p, actor_of(req));
        });
        if (!b.ok()) co_return http::problem(b.error(), req);
        co_return json_response(201, binding_json(*b));
      },
      .permission = "roles:write",
      .rate_class = "keys"});
  routes.push_back(http::Route{.method = Method::del,
                               .pattern = "/v1/role-bindings/{id}",
                               .handler = [&ids, &pool](Request& req) -> asio::awaitable<Response> {
                                 const auth::Principal& p = principal_of(req);
                                 const std::string id(req.param("id").value_or(""));
                                 auto st = co_await offload(pool, [&] {
                                   return ids.delete_role_binding(p.tenant, id, &p, actor_of(req));
                                 });
                                 if (!st.ok()) co_return http::problem(st.error(), req);
                                 Response res;
                                 res.status = 204;
                                 co_return res;
                               },
                               .permission = "roles:write",
                               .rate_class = "keys"});

  // ---- audit ----
  routes.push_back(http::Route{
      .method = Method::get,
      .pattern = "/v1/audit",
      .handler = [&audit, &pool](Request& req) -> asio::awaitable<Response> {
        auto pg = paging(req, audit::kDefaultListLimit, audit::kMaxListLimit);
        if (!pg.ok()) co_return http::problem(pg.error(), req);
        audit::AuditFilter f;
        f.action = req.query_param("action");
        f.action_prefix = req.query_param("action_prefix");
        f.actor = req.query_param("actor");
        f.resource = req.query_param("resource");
        f.result = req.query_param("result");
        for (auto [name, slot] :
             {std::pair{"since_ms", &f.since_ms}, std::pair{"until_ms", &f.until_ms}}) {
          if (auto v = req.query_param(name)) {
            auto n = parse_u64(*v);
            if (!n || *n > static_cast<std::uint64_t>(INT64_MAX)) {
              co_return http::problem(
                  err::invalid_argument(std::string(name) + " must be Unix milliseconds"), req);
            }
            *slot = static_cast<std::int64_t>(*n);
          }
        }
        const auth::Principal& p = principal_of(req);
        auto page =
            co_await offload(pool, [&] { return audit.list(p.tenant, f, pg->second, pg->first); });
        if (!page.ok()) co_return http::problem(page.error(), req);
        json items = json::array();
        for (const auto& r : page->records) items.push_back(audit_json(r));
        co_return json_response(
            200,
            json{{"items", items},
                 {"next_cursor", page->next_cursor ? json(*page->next_cursor) : json(nullptr)}});
      },
      .permission = "audit:read"});
  for (auto& r : routes) NSL_TRY(router.add(std::move(r)));
  return {};
}

}  // namespace nsl::app
