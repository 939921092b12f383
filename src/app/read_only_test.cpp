// The write gate of a read-only secondary: which requests it refuses, how, and that it answers
// before the access middleware runs; and, over the route tables `nsl serve` registers, exactly
// which non-GET routes count as reads.
#include "app/read_only.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "app/serve_routes_fixture.hpp"
#include "app/system_routes.hpp"
#include "harness/harness.hpp"
#include "obs/metrics.hpp"

namespace nsl::app {
namespace {

namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;

http::Handler ok_handler() {
  return [](Request&) -> asio::awaitable<Response> { co_return Response::json(200, "{}"); };
}

http::Router sample_routes() {
  http::Router r;
  EXPECT_TRUE(r.add({.method = Method::get, .pattern = "/v1/info", .handler = ok_handler(), .is_public = true}).ok());
  EXPECT_TRUE(r.add({.method = Method::get, .pattern = "/v1/things", .handler = ok_handler(), .permission = "keys:read"})
                  .ok());
  EXPECT_TRUE(r.add({.method = Method::post, .pattern = "/v1/things", .handler = ok_handler(), .permission = "keys:create"})
                  .ok());
  EXPECT_TRUE(r.add({.method = Method::put, .pattern = "/v1/things/{id}", .handler = ok_handler(), .permission = "keys:admin"})
                  .ok());
  EXPECT_TRUE(r.add({.method = Method::patch, .pattern = "/v1/things/{id}", .handler = ok_handler(), .permission = "keys:admin"})
                  .ok());
  EXPECT_TRUE(r.add({.method = Method::del, .pattern = "/v1/things/{id}", .handler = ok_handler(), .permission = "keys:admin"})
                  .ok());
  // A POST that only reads, and a GET that writes (an audited read).
  EXPECT_TRUE(r.add({.method = Method::post,
                     .pattern = "/v1/things/{id}/check",
                     .handler = ok_handler(),
                     .permission = "keys:read",
                     .writes = false})
                  .ok());
  EXPECT_TRUE(r.add({.method = Method::get,
                     .pattern = "/v1/audited/{id}",
                     .handler = ok_handler(),
                     .permission = "keys:read",
                     .writes = true})
                  .ok());
  EXPECT_TRUE(r.add({.method = Method::post, .pattern = "/v1/auth/token", .handler = ok_handler(), .is_public = true})
                  .ok());
  return r;
}

struct Gate {
  obs::Registry registry;
  std::atomic<int> authenticated{0};  // requests that reached the (stand-in) access middleware
  http::Dispatcher d{sample_routes(), registry, {.access_log = false}};
  Gate() {
    d.use(read_only_middleware());
    d.use([this](Request& req, http::Next next) -> asio::awaitable<Response> {
      ++authenticated;
      co_return co_await next(req);
    });
  }
  Response call(Method m, std::string path) {
    Request q;
    q.method = m;
    q.method_text = std::string(http::method_name(m));
    q.path = q.target = std::move(path);
    q.headers.add("authorization", "Bearer nsl_whatever");
    asio::io_context ioc;
    auto fut = asio::co_spawn(ioc, d.handle(q), asio::use_future);
    ioc.run();
    return fut.get();
  }
};

TEST(ReadOnly, RefusesWritesWithTheReadOnlyProblemBeforeAuthentication) {
  Gate g;
  struct Case {
    Method m;
    const char* path;
  };
  for (const Case& c : {Case{Method::post, "/v1/things"}, Case{Method::put, "/v1/things/a"},
                        Case{Method::patch, "/v1/things/a"}, Case{Method::del, "/v1/things/a"},
                        Case{Method::get, "/v1/audited/a"}, Case{Method::post, "/v1/auth/token"}}) {
    SCOPED_TRACE(std::string(http::method_name(c.m)) + " " + c.path);
    Response r = g.call(c.m, c.path);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.headers.get("content-type"), "application/problem+json");
    EXPECT_FALSE(r.headers.has("retry-after"));  // not transient: lasts until the region is promoted
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["type"], "urn:nsl:problem:read_only");
    EXPECT_EQ(j["code"], "unavailable");
    EXPECT_EQ(j["status"], 503);
    EXPECT_EQ(j["title"], "Service Unavailable");
    EXPECT_EQ(j["detail"], "this nsl is a read-only secondary: send writes to the primary region");
    EXPECT_EQ(j["instance"], c.path);
    EXPECT_FALSE(j["request_id"].get<std::string>().empty());
  }
  EXPECT_EQ(g.authenticated.load(), 0);
}

TEST(ReadOnly, ReadsAndUnmatchedPathsPass) {
  Gate g;
  EXPECT_EQ(g.call(Method::get, "/v1/info").status, 200);
  EXPECT_EQ(g.call(Method::get, "/v1/things").status, 200);
  EXPECT_EQ(g.call(Method::head, "/v1/things").status, 200);  // HEAD is served by the GET route
  EXPECT_EQ(g.call(Method::post, "/v1/things/a/check").status, 200);
  EXPECT_EQ(g.authenticated.load(), 4);
  EXPECT_EQ(g.call(Method::get, "/v1/nope").status, 404);
  EXPECT_EQ(g.call(Method::post, "/v1/info").status, 405);
}

TEST(ReadOnly, RouteWritesDefaultsByMethod) {
  for (Method m : {Method::get, Method::head}) EXPECT_FALSE(http::route_writes({.method = m}));
  for (Method m : {Method::post, Method::put, Method::patch, Method::del, Method::options, Method::other}) {
    EXPECT_TRUE(http::route_writes({.method = m}));
  }
  EXPECT_TRUE(http::route_writes({.method = Method::get, .writes = true}));
  EXPECT_FALSE(http::route_writes({.method = Method::post, .writes = false}));
}


// The documented decision (docs/operations.md, "Multi-region read-only secondary"): every GET but
// the secret value read (audited) reads, and of the rest only introspection and signature verification change
// nothing (token issue/revoke, login and refresh append audit records or refresh tokens; signing
// spends ledgers and idempotency records). A new route that writes on GET, or a new POST that
// only reads, must say so with Route::writes and update this list.
TEST(ReadOnly, ServeRoutesThatPassAreTheGetsPlusIntrospectAndVerify) {
  ServeRoutes s;
  ASSERT_GE(s.router.routes().size(), 30u);
  std::set<std::string> passing_non_get, refused_get;
  for (const http::Route& r : s.router.routes()) {
    const std::string name = std::string(http::method_name(r.method)) + " " + r.pattern;
    const bool get = r.method == Method::get;
    if (get && refused_when_read_only(r)) refused_get.insert(name);
    if (!get && !refused_when_read_only(r)) passing_non_get.insert(name);
  }
  EXPECT_EQ(passing_non_get, (std::set<std::string>{"POST /v1/auth/introspect", "POST /v1/keys/{id}/verify"}));
  // A secret value read appends an audit record.
  EXPECT_EQ(refused_get, (std::set<std::string>{"GET /v1/secrets/{path*}"}));
}

// The services' read-only modes, on the tables a primary filled: verification keys load, nothing
// is written, nothing is issued; an API key authenticates without its last_used_at moving.
TEST(ReadOnly, VerifyOnlyTokensAndUnrecordedApiKeyUseWriteNothing) {
  ServeRoutes s;  // its SQLite database and sim enclave
  auto created = s.ids->create_tenant("acme", {});
  ASSERT_TRUE(created.ok()) << created.error();
  ASSERT_TRUE(s.tokens->maintain().ok());  // the primary's keys
  auto count_keys = [&] {
    auto rows = s.db->with_system([](store::Tx& tx) { return tx.query("SELECT count(*) FROM system_keys", {}); });
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? (*rows)[0][0].value_or("?") : "?";
  };
  const std::string keys_before = count_keys();

  identity::IdentityService ro_ids(*s.db, s.audit.get(), Clock::real(), {.record_api_key_use = false});
  auto p = ro_ids.authenticate_api_key(created->admin_token.reveal());
  ASSERT_TRUE(p.ok()) << p.error();
  auto row = s.ids->get_api_key(created->tenant.id, created->admin_key.id);
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(row->last_used_at.has_value());

  auto token = s.tokens->issue(*p);
  ASSERT_TRUE(token.ok()) << token.error();
  auth::TokenService ro(*s.db, *s.enclave, auth::TokenOptions{.verify_only = true}, Clock::real());
  ASSERT_TRUE(ro.maintain().ok());
  EXPECT_EQ(count_keys(), keys_before);
  EXPECT_FALSE(ro.jwks()["keys"].empty());
  auto verified = ro.verify(token->token);
  ASSERT_TRUE(verified.ok()) << verified.error();
  EXPECT_EQ(verified->subject, p->subject);
  auto issued = ro.issue(*p);
  ASSERT_FALSE(issued.ok());
  EXPECT_EQ(issued.error().code(), ErrorCode::unavailable);
  EXPECT_EQ(count_keys(), keys_before);

  // The primary's service records the use as before.
  ASSERT_TRUE(s.ids->authenticate_api_key(created->admin_token.reveal()).ok());
  EXPECT_TRUE(s.ids->get_api_key(created->tenant.id, created->admin_key.id)->last_used_at.has_value());
}

}  // namespace
}  // namespace nsl::app
