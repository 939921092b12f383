// nsl/app/route_helpers.hpp — the small pieces every JSON route of the API shares: response
// shapes, OAuth-style errors, paging, the caller's principal, role lists in request bodies.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/blocking.hpp"
#include "auth/principal.hpp"
#include "http/problem.hpp"
#include "http/types.hpp"
#include "services/identity/repo.hpp"
#include "services/identity/service.hpp"

namespace nsl::app {

// "2026-11-30T04:10:25.683Z" from Unix milliseconds.
std::string rfc3339_ms(std::int64_t ms);
nlohmann::json opt_time(const std::optional<std::int64_t>& ms);
nlohmann::json binding_json(const identity::repo::RoleBindingRow& b);
nlohmann::json bindings_json(const std::vector<identity::repo::RoleBindingRow>& bs);

// 'status' with a JSON body, never cached.
http::Response json_response(int status, const nlohmann::json& j);
// The same for a body that carries a secret (a credential shown once, a secret value): marked
// sensitive, so the server wipes it after writing it.
http::Response secret_json_response(int status, const nlohmann::json& j);
// RFC 9457 problem+json with the RFC 6749 §5.2 members `error` / `error_description` added, for
// OAuth client libraries (token, login, refresh endpoints).
http::Response oauth_error(const http::Request& req, const Error& e, std::string_view oauth_code);

// A request body that may carry a secret (a secret value, a plaintext to encrypt) and its parsed
// form: both wiped when this goes out of scope.
//   WipedRequestBody body(req);
//   NSL_TRY_ASSIGN(body.parsed, http::parse_json_body(req));
struct WipedRequestBody {
  http::Request& req;
  nlohmann::json parsed;
  explicit WipedRequestBody(http::Request& r) : req(r) {}
  WipedRequestBody(const WipedRequestBody&) = delete;
  WipedRequestBody& operator=(const WipedRequestBody&) = delete;
  ~WipedRequestBody();
};

// The authenticated caller (the access middleware ran: non-public routes only).
inline const auth::Principal& principal_of(const http::Request& req) { return *req.ctx.principal; }
identity::Actor actor_of(const http::Request& req);

// ?limit= (1..max, default def) and ?cursor=.
Result<std::pair<int, std::optional<std::string>>> paging(const http::Request& req, int def,
                                                          int max);
// A cursor that is an id this service handed out ([a-z0-9_]{1,64}).
Result<std::optional<std::string>> cursor_id(const std::optional<std::string>& cursor);
// "roles": [role | {role, resource}], non-empty when `required`.
Result<std::vector<auth::RoleBinding>> roles_from(const nlohmann::json& body, bool required = true);
// application/x-www-form-urlencoded → map; a repeated parameter is refused.
Result<std::map<std::string, std::string>> parse_form(std::string_view body);

// GET handler of an id-ordered listing of the caller's tenant: ?limit= (1..100, default 50) and
// ?cursor= (the last id of the previous page); {items, next_cursor}.
template <class ListFn, class ToJson>
http::Handler id_listing(boost::asio::thread_pool& pool, ListFn list, ToJson to_json) {
  return [&pool, list, to_json](http::Request& req) -> boost::asio::awaitable<http::Response> {
    auto pg = paging(req, 50, 100);
    if (!pg.ok()) co_return http::problem(pg.error(), req);
    auto after = cursor_id(pg->second);
    if (!after.ok()) co_return http::problem(after.error(), req);
    const auth::Principal& p = principal_of(req);
    auto rows = co_await offload(pool, [&] { return list(p.tenant, pg->first, *after); });
    if (!rows.ok()) co_return http::problem(rows.error(), req);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : *rows) items.push_back(to_json(r));
    nlohmann::json out{{"items", items}, {"next_cursor", nullptr}};
    if (static_cast<int>(rows->size()) == pg->first) out["next_cursor"] = rows->back().id;
    co_return json_response(200, out);
  };
}

}  // namespace nsl::app
