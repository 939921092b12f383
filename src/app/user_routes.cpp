#include "app/user_routes.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "app/access_routes.hpp"
#include "app/blocking.hpp"
#include "app/route_helpers.hpp"
#include "core/strings.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"

namespace nsl::app {
namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

namespace {

Response grant_error(const Request& req, const Error& e) {
  if (e.code() == ErrorCode::unauthenticated) return oauth_error(req, e, "invalid_grant");
  if (e.code() == ErrorCode::invalid_argument) return oauth_error(req, e, "invalid_request");
  return http::problem(e, req);
}

json user_json(const identity::User& u) {
  return json{{"id", u.id},
              {"email", u.email},
              {"disabled", u.disabled},
              {"totp_enabled", u.totp_enabled},
              {"created_at", rfc3339_ms(u.created_at)}};
}

// A string member, moved into a SecretString so no copy outlives the request.
Result<SecretString> take_secret(json& body, const char* name) {
  if (!body.contains(name) || !body[name].is_string())
    return err::invalid_argument(std::string(name) + " (string) is required");
  return SecretString::take(body[name].get_ref<std::string&>());
}

Result<std::string> string_member(const json& body, const char* name) {
  if (!body.contains(name) || !body[name].is_string())
    return err::invalid_argument(std::string(name) + " (string) is required");
  return body[name].get<std::string>();
}

// {refresh_token, grant_type?} from a form or JSON body.
Result<SecretString> refresh_param(const Request& req) {
  const std::string ct = ascii_lower(req.headers.get("content-type").value_or(""));
  std::optional<std::string> grant;
  SecretString token;
  if (ct.rfind("application/x-www-form-urlencoded", 0) == 0) {
    std::string_view rest = req.body;
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      std::string p(rest.substr(0, amp));
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      std::replace(p.begin(), p.end(), '+', ' ');
      const auto eq = p.find('=');
      auto k = http::percent_decode(std::string_view(p).substr(0, eq));
      auto v =
          http::percent_decode(eq == std::string::npos ? "" : std::string_view(p).substr(eq + 1));
      SecretString::wipe(p);
      if (!k || !v) return err::invalid_argument("malformed form body");
      if (*k == "refresh_token") token = SecretString::take(*v);
      if (*k == "grant_type") grant = *v;
    }
  } else {
    NSL_TRY_ASSIGN(json body, http::parse_json_body(req));
    if (!body.is_object()) return err::invalid_argument("the body must be a JSON object");
    if (body.contains("grant_type")) {
      NSL_TRY_ASSIGN(grant, string_member(body, "grant_type"));
    }
    NSL_TRY_ASSIGN(token, take_secret(body, "refresh_token"));
  }
  if (grant && *grant != "refresh_token")
    return err::invalid_argument("grant_type must be refresh_token");
  if (token.empty()) return err::invalid_argument("refresh_token is required");
  return token;
}

json token_json(const auth::IssuedToken& t, const identity::IssuedRefresh& r) {
  return json{{"access_token", t.token},
              {"token_type", "Bearer"},
              {"expires_in", t.expires_in},
              {"refresh_token", std::string(r.token.reveal())}};  // shown once
}

// Paging as on /v1/apikeys: ?limit=1..100 (50), ?cursor=<id this service returned>.
Result<std::pair<int, std::optional<std::string>>> paging(const Request& req) {
  int limit = 50;
  if (auto l = req.query_param("limit")) {
    auto v = parse_u64(*l);
    if (!v || *v < 1 || *v > 100)
      return err::invalid_argument("limit must be an integer from 1 to 100");
    limit = static_cast<int>(*v);
  }
  std::optional<std::string> cursor = req.query_param("cursor");
  if (cursor && (cursor->empty() || cursor->size() > 64 ||
                 !std::all_of(cursor->begin(), cursor->end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                 }))) {
    return err::invalid_argument("cursor is not one this service returned");
  }
  return std::make_pair(limit, cursor);
}

}  // namespace

Status add_user_routes(http::Router& router, UserRoutesDeps d) {
  auto& users = d.users;
  auto& tokens = d.tokens;
  auto& pool = d.pool;
  // Collected first, added after: a route's handler may itself use NSL_TRY.
  std::vector<http::Route> routes;

  routes.push_back(
      http::Route{.method = Method::post,
                  .pattern = "/v1/auth/login",
                  .handler = [&users, &tokens, &pool](Request& req) -> asio::awaitable<Response> {
                    auto body = http::parse_json_body(req);
                    if (!body.ok()) co_return oauth_error(req, body.error(), "invalid_request");
                    identity::LoginRequest lr{.request_id = req.ctx.request_id};
                    auto tenant = string_member(*body, "tenant");
                    auto email = string_member(*body, "email");
                    auto password = take_secret(*body, "password");
                    if (!tenant.ok()) co_return oauth_error(req, tenant.error(), "invalid_request");
                    if (!email.ok()) co_return oauth_error(req, email.error(), "invalid_request");
                    if (!password.ok())
                      co_return oauth_error(req, password.error(), "invalid_request");
                    lr.tenant = std::move(*tenant);
                    lr.email = std::move(*email);
                    lr.password = std::move(*password);
                    if (body->contains("totp") && !(*body)["totp"].is_null()) {
                      auto code = string_member(*body, "totp");
                      if (!code.ok()) co_return oauth_error(req, code.error(), "invalid_request");
                      lr.totp = std::move(*code);
                    }
                    auto out = co_await offload(pool, [&]() -> Result<json> {
                      NSL_TRY_ASSIGN(auth::Principal p, users.login(lr));
                      NSL_TRY_ASSIGN(auth::IssuedToken t, tokens.issue(p));
                      NSL_TRY_ASSIGN(identity::IssuedRefresh r, users.issue_refresh(p));
                      return token_json(t, r);
                    });
                    if (!out.ok()) co_return grant_error(req, out.error());
                    co_return secret_json_response(200, *out);
                  },
                  .is_public = true});

  routes.push_back(
      http::Route{.method = Method::post,
                  .pattern = "/v1/auth/refresh",
                  .handler = [&users, &tokens, &pool](Request& req) -> asio::awaitable<Response> {
                    auto presented = refresh_param(req);
                    if (!presented.ok()) co_return grant_error(req, presented.error());
                    auto out = co_await offload(pool, [&]() -> Result<json> {
                      NSL_TRY_ASSIGN(identity::RotatedRefresh r,
                                     users.rotate_refresh(presented->reveal(), actor_of(req)));
                      NSL_TRY_ASSIGN(auth::IssuedToken t, tokens.issue(r.principal));
                      return token_json(t, r.refresh);
                    });
                    if (!out.ok()) co_return grant_error(req, out.error());
                    co_return secret_json_response(200, *out);
                  },
                  .is_public = true});

  routes.push_back(
      http::Route{.method = Method::get,
                  .pattern = "/v1/users",
                  .handler = [&users, &pool](Request& req) -> asio::awaitable<Response> {
                    auto pg = paging(req);
                    if (!pg.ok()) co_return http::problem(pg.error(), req);
                    const auth::Principal& p = *req.ctx.principal;
                    auto rows = co_await offload(
                        pool, [&] { return users.list_users(p.tenant, pg->first, pg->second); });
                    if (!rows.ok()) co_return http::problem(rows.error(), req);
                    json items = json::array();
                    for (const auto& u : *rows) items.push_back(user_json(u));
                    json out{{"items", items}, {"next_cursor", nullptr}};
                    if (static_cast<int>(rows->size()) == pg->first)
                      out["next_cursor"] = rows->back().id;
                    co_return json_response(200, out);
                  },
                  .permission = "users:read"});

  routes.push_back(
      http::Route{.method = Method::post,
                  .pattern = "/v1/users",
                  .handler = [&users, &pool](Request& req) -> asio::awaitable<Response> {
                    auto body = http::parse_json_body(req);
                    if (!body.ok()) co_return http::problem(body.error(), req);
                    identity::NewUserRequest r;
                    auto email = string_member(*body, "email");
                    if (!email.ok()) co_return http::problem(email.error(), req);
                    auto password = take_secret(*body, "password");
                    if (!password.ok()) co_return http::problem(password.error(), req);
                    auto roles = roles_from(*body, /*required=*/false);
                    if (!roles.ok()) co_return http::problem(roles.error(), req);
                    r.email = std::move(*email);
                    r.password = std::move(*password);
                    r.roles = std::move(*roles);
                    const auth::Principal& p = *req.ctx.principal;
                    auto created = co_await offload(
                        pool, [&] { return users.create_user(p.tenant, r, &p, actor_of(req)); });
                    if (!created.ok()) co_return http::problem(created.error(), req);
                    json j = user_json(created->user);
                    j["roles"] = bindings_json(created->bindings);
                    Response res = json_response(201, j);
                    res.headers.set("location", "/v1/users/" + created->user.id);
                    co_return res;
                  },
                  .permission = "users:write"});

  routes.push_back(
      http::Route{.method = Method::get,
                  .pattern = "/v1/users/{id}",
                  .handler = [&users, &pool](Request& req) -> asio::awaitable<Response> {
                    const auth::Principal& p = *req.ctx.principal;
                    const std::string id(req.param("id").value_or(""));
                    auto u = co_await offload(pool, [&] { return users.get_user(p.tenant, id); });
                    if (!u.ok()) co_return http::problem(u.error(), req);
                    co_return json_response(200, user_json(*u));
                  },
                  .permission = "users:read"});

  routes.push_back(
      http::Route{.method = Method::del,
                  .pattern = "/v1/users/{id}",
                  .handler = [&users, &pool](Request& req) -> asio::awaitable<Response> {
                    const auth::Principal& p = *req.ctx.principal;
                    const std::string id(req.param("id").value_or(""));
                    auto u = co_await offload(
                        pool, [&] { return users.disable_user(p.tenant, id, &p, actor_of(req)); });
                    if (!u.ok()) co_return http::problem(u.error(), req);
                    co_return json_response(200, user_json(*u));
                  },
                  .permission = "users:write"});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/users/{id}/totp",
      .handler = [&users, &pool](Request& req) -> asio::awaitable<Response> {
        const auth::Principal& p = *req.ctx.principal;
        const std::string id(req.param("id").value_or(""));
        auto en =
            co_await offload(pool, [&] { return users.begin_totp(p.tenant, id, actor_of(req)); });
        if (!en.ok()) co_return http::problem(en.error(), req);
        // The only time the secret leaves the service.
        co_return secret_json_response(200,
                                       json{{"otpauth_uri", std::string(en->otpauth_uri.reveal())},
                                            {"secret", std::string(en->secret.reveal())}});
      },
      .permission = "users:write"});

  routes.push_back(
      http::Route{.method = Method::post,
                  .pattern = "/v1/users/{id}/totp/confirm",
                  .handler = [&users, &pool](Request& req) -> asio::awaitable<Response> {
                    auto body = http::parse_json_body(req);
                    if (!body.ok()) co_return http::problem(body.error(), req);
                    auto code = string_member(*body, "code");
                    if (!code.ok()) co_return http::problem(code.error(), req);
                    const auth::Principal& p = *req.ctx.principal;
                    const std::string id(req.param("id").value_or(""));
                    auto st = co_await offload(pool, [&]() -> Result<identity::User> {
                      NSL_TRY(users.confirm_totp(p.tenant, id, *code, actor_of(req)));
                      return users.get_user(p.tenant, id);
                    });
                    if (!st.ok()) co_return http::problem(st.error(), req);
                    co_return json_response(200, user_json(*st));
                  },
                  .permission = "users:write"});

  for (auto& r : routes) NSL_TRY(router.add(std::move(r)));
  return {};
}

}  // namespace nsl::app
