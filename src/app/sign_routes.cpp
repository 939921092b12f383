#include "app/sign_routes.hpp"

#include "app/blocking.hpp"
#include "app/route_helpers.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"

namespace nsl::app {
namespace {

namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;

// One signing route: parse the body, run `fn` on the pool, answer its outcome.
template <class Fn>
http::Handler signing_handler(asio::thread_pool& pool, Fn fn) {
  return [&pool, fn](Request& req) -> asio::awaitable<Response> {
    auto body = http::parse_json_body(req);
    if (!body.ok()) co_return http::problem(body.error(), req);
    const auth::Principal& p = principal_of(req);
    const std::string id(req.param("id").value_or(""));
    auto out = co_await offload(pool, [&]() -> Result<keys::SignOutcome> { return fn(req, p, id, *body); });
    if (!out.ok()) co_return http::problem(out.error(), req);
    Response res = json_response(out->status, out->body);
    if (out->replayed) res.headers.set("idempotent-replayed", "true");
    co_return res;
  };
}

}  // namespace

Status add_sign_routes(http::Router& router, SignRoutesDeps d) {
  auto& signer = d.signer;
  std::vector<http::Route> routes;
  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys/{id}/sign",
      .handler = signing_handler(d.pool,
                                 [&signer](Request& req, const auth::Principal& p, const std::string& id,
                                           const nlohmann::json& body) {
                                   return signer.sign(p.tenant, id, body, p, actor_of(req));
                                 }),
      .permission = "keys:sign",
      .rate_class = "sign"});
  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys/{id}/sign-transaction",
      .handler = signing_handler(d.pool,
                                 [&signer](Request& req, const auth::Principal& p, const std::string& id,
                                           const nlohmann::json& body) {
                                   auto idem = req.headers.get("idempotency-key");
                                   std::optional<std::string_view> key;
                                   if (idem) key = *idem;
                                   return signer.sign_transaction(p.tenant, id, body, actor_of(req), key);
                                 }),
      .permission = "keys:sign",
      .rate_class = "sign"});
  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys/{id}/verify",
      .handler = signing_handler(d.pool,
                                 [&signer](Request&, const auth::Principal& p, const std::string& id,
                                           const nlohmann::json& body) { return signer.verify(p.tenant, id, body); }),
      .permission = "keys:read",
      .rate_class = "sign",
      .writes = false});  // public keys only: no audit record, ledger or idempotency record
  for (auto& r : routes) NSL_TRY(router.add(std::move(r)));
  return {};
}

}  // namespace nsl::app
