#include "app/sign_routes.hpp"

#include <boost/asio/this_coro.hpp>

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

// Begins a signing where the handler runs when the key is in memory — that waits for nothing, and may run on
// the I/O thread (routes marked starts_on_io_thread, app/access.hpp) — else reads the key on the pool.
// `begin(key)` is a KeySigner::begin_*.
template <class Begin>
asio::awaitable<Result<keys::PendingSigning>> begin_signing(keys::KeySigner& signer, asio::thread_pool& pool,
                                                            const auth::Principal& p, std::string_view key_id,
                                                            Begin begin) {
  if (auto key = signer.key_in_memory(p.tenant, key_id)) co_return begin(std::move(key));
  co_return co_await offload(pool, [&] { return begin(nullptr); });
}

// A signing's phases (keys::PendingSigning) with no thread held while the enclave signs and while the
// audit record commits: the request's preparation runs where the handler runs (begin_signing), the
// enclave's answer and the audit group commit resume the request on its connection's strand, and only a
// key with rolling limits goes to the pool, to take its spend lock before and record its spends after.
asio::awaitable<Result<keys::SignOutcome>> run_signing(keys::KeySigner& signer, asio::thread_pool& pool,
                                                       Request& req, Result<keys::PendingSigning> pending) {
  if (!pending.ok()) co_return std::move(pending).error();
  keys::PendingSigning& p = *pending;
  if (p.needs_hold()) {
    Status held = co_await offload(pool, [&] { return signer.hold(p); });
    if (!held.ok()) co_return held.error();
  }
  asio::any_io_executor home = req.ctx.executor;
  if (!home) home = co_await asio::this_coro::executor;
  auto sig = co_await await_on<Result<enclave::TypedSignature>>(
      home, [&](std::function<void(Result<enclave::TypedSignature>)> done) { signer.sign_async(p, std::move(done)); });
  Status settled;
  if (p.needs_settle()) settled = co_await offload(pool, [&] { return signer.settle(p, sig); });
  Status audited;
  if (settled.ok()) {
    audited = co_await await_on<Status>(
        home, [&](std::function<void(Status)> done) { signer.audit_async(p, sig, std::move(done)); });
  }
  co_return signer.end(p, std::move(sig), settled, audited);
}

Response answer(Request& req, Result<keys::SignOutcome> out) {
  if (!out.ok()) return http::problem(out.error(), req);
  Response res = json_response(out->status, out->body);
  if (out->replayed) res.headers.set("idempotent-replayed", "true");
  return res;
}

// GCC 12 pairs asio's coroutine-frame operator new and delete wrongly in these handlers and warns
// (-Wmismatched-new-delete): both are asio's own (awaitable_frame_base, thread-local recycling).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
asio::awaitable<Response> sign(keys::KeySigner& signer, asio::thread_pool& pool, Request& req) {
  auto body = http::parse_json_body(req);
  if (!body.ok()) co_return http::problem(body.error(), req);
  const auth::Principal& p = principal_of(req);
  const std::string id(req.param("id").value_or(""));
  auto pending = co_await begin_signing(signer, pool, p, id, [&](keys::SigningKey key) {
    return signer.begin_sign(p.tenant, id, *body, p, actor_of(req), std::move(key));
  });
  co_return answer(req, co_await run_signing(signer, pool, req, std::move(pending)));
}

asio::awaitable<Response> sign_transaction(keys::KeySigner& signer, asio::thread_pool& pool,
                                                             Request& req) {
  auto body = http::parse_json_body(req);
  if (!body.ok()) co_return http::problem(body.error(), req);
  const auth::Principal& p = principal_of(req);
  const std::string id(req.param("id").value_or(""));
  const std::optional<std::string_view> idem = req.headers.get("idempotency-key");
  Result<keys::SignOutcome> out = err::internal("unreachable");
  if (idem) {
    // The reservation and the stored answer are database writes around the signing: all on the pool.
    out = co_await offload(pool, [&] { return signer.sign_transaction(p.tenant, id, *body, actor_of(req), idem); });
  } else {
    auto pending = co_await begin_signing(signer, pool, p, id, [&](keys::SigningKey key) {
      return signer.begin_transaction(p.tenant, id, *body, actor_of(req), std::move(key));
    });
    out = co_await run_signing(signer, pool, req, std::move(pending));
  }
  co_return answer(req, std::move(out));
}

asio::awaitable<Response> verify(keys::KeySigner& signer, asio::thread_pool& pool, Request& req) {
  auto body = http::parse_json_body(req);
  if (!body.ok()) co_return http::problem(body.error(), req);
  const auth::Principal& p = principal_of(req);
  const std::string id(req.param("id").value_or(""));
  co_return answer(req, co_await offload(pool, [&] { return signer.verify(p.tenant, id, *body); }));
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace

Status add_sign_routes(http::Router& router, SignRoutesDeps d) {
  auto& signer = d.signer;
  std::vector<http::Route> routes;
  routes.push_back(http::Route{.method = Method::post,
                               .pattern = "/v1/keys/{id}/sign",
                               .handler = [&signer, &pool = d.pool](Request& req) { return sign(signer, pool, req); },
                               .permission = "keys:sign",
                               .rate_class = "sign",
                               .starts_on_io_thread = true});
  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys/{id}/sign-transaction",
      .handler = [&signer, &pool = d.pool](Request& req) { return sign_transaction(signer, pool, req); },
      .permission = "keys:sign",
      .rate_class = "sign",
      .starts_on_io_thread = true});
  routes.push_back(http::Route{.method = Method::post,
                               .pattern = "/v1/keys/{id}/verify",
                               .handler = [&signer, &pool = d.pool](Request& req) { return verify(signer, pool, req); },
                               .permission = "keys:read",
                               .rate_class = "sign",
                               .writes = false});  // public keys only: no audit record, ledger or idempotency record
  for (auto& r : routes) NSL_TRY(router.add(std::move(r)));
  return {};
}

}  // namespace nsl::app
