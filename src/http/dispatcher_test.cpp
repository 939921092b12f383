#include "http/dispatcher.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "http/problem.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"

namespace nsl::http {
namespace {

namespace asio = boost::asio;

Response run(const Dispatcher& d, Request& req) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, d.handle(req), asio::use_future);
  ioc.run();
  return fut.get();
}

Router routes() {
  Router r;
  EXPECT_TRUE(r.add({.method = Method::get,
                     .pattern = "/v1/echo/{id}",
                     .handler = [](Request& q) -> asio::awaitable<Response> {
                       co_return Response::json(200, "{\"id\":\"" + std::string(*q.param("id")) + "\"}");
                     },
                     .is_public = true})
                  .ok());
  EXPECT_TRUE(r.add({.method = Method::get,
                     .pattern = "/v1/throw",
                     .handler = [](Request&) -> asio::awaitable<Response> {
                       throw std::runtime_error("secret internal detail");
                       co_return Response{};
                     },
                     .is_public = true})
                  .ok());
  return r;
}

Request get(std::string path) {
  Request q;
  q.method = Method::get;
  q.method_text = "GET";
  q.path = q.target = std::move(path);
  return q;
}

struct LogCapture {
  LogCapture() {
    obs::set_sink([this](std::string_view l) { lines.emplace_back(l); });
  }
  ~LogCapture() { obs::reset_sink(); }
  std::vector<std::string> lines;
};

TEST(Dispatcher, RoutesAndEchoesRequestId) {
  obs::Registry reg;
  Dispatcher d(routes(), reg);
  Request q = get("/v1/echo/42");
  q.headers.add("X-Request-Id", "client-id-1");
  Response r = run(d, q);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"id":"42"})");
  EXPECT_EQ(r.headers.get("x-request-id").value(), "client-id-1");
  EXPECT_EQ(r.headers.get("x-content-type-options").value(), "nosniff");
}

TEST(Dispatcher, MintsRequestIdWhenMissingOrInvalid) {
  obs::Registry reg;
  Dispatcher d(routes(), reg);
  Request q = get("/v1/echo/1");
  q.headers.add("X-Request-Id", "bad id with spaces\n");
  Response r = run(d, q);
  auto id = r.headers.get("x-request-id");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 32u);
  EXPECT_NE(*id, "bad id with spaces\n");
}

TEST(Dispatcher, NotFoundIsProblemJson) {
  obs::Registry reg;
  Dispatcher d(routes(), reg);
  Request q = get("/nope");
  Response r = run(d, q);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.get("content-type").value(), "application/problem+json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["type"], "urn:nsl:problem:not_found");
  EXPECT_EQ(j["title"], "Not Found");
  EXPECT_EQ(j["instance"], "/nope");
  EXPECT_EQ(j["request_id"], std::string(*r.headers.get("x-request-id")));
}

TEST(Dispatcher, MethodNotAllowedHasAllow) {
  obs::Registry reg;
  Dispatcher d(routes(), reg);
  Request q = get("/v1/echo/1");
  q.method = Method::post;
  q.method_text = "POST";
  Response r = run(d, q);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.get("allow").value(), "GET, HEAD");
}

TEST(Dispatcher, ExceptionBecomes500WithoutDetail) {
  LogCapture logs;
  obs::Registry reg;
  Dispatcher d(routes(), reg);
  Request q = get("/v1/throw");
  Response r = run(d, q);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret internal detail"), std::string::npos);
  obs::flush();
  bool logged = false;
  for (const auto& l : logs.lines) logged = logged || l.find("secret internal detail") != std::string::npos;
  EXPECT_TRUE(logged) << "the exception text belongs in the log";
}

TEST(Dispatcher, MiddlewareRunsInOrderAndCanShortCircuit) {
  obs::Registry reg;
  Dispatcher d(routes(), reg);
  std::vector<int> order;
  d.use([&](Request& q, Next next) -> asio::awaitable<Response> {
    order.push_back(1);
    Response r = co_await next(q);
    order.push_back(4);
    co_return r;
  });
  d.use([&](Request& q, Next next) -> asio::awaitable<Response> {
    order.push_back(2);
    if (q.headers.has("x-deny")) co_return problem(err::permission_denied("denied"), q);
    Response r = co_await next(q);
    order.push_back(3);
    co_return r;
  });
  Request q = get("/v1/echo/1");
  EXPECT_EQ(run(d, q).status, 200);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
  Request q2 = get("/v1/echo/1");
  q2.headers.add("x-deny", "1");
  EXPECT_EQ(run(d, q2).status, 403);
}

TEST(Dispatcher, AccessLogLineHasRequiredFields) {
  LogCapture logs;
  obs::Registry reg;
  Dispatcher d(routes(), reg);
  Request q = get("/v1/echo/7");
  q.headers.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  run(d, q);
  obs::flush();
  ASSERT_FALSE(logs.lines.empty());
  auto j = nlohmann::json::parse(logs.lines.back());
  for (const char* k : {"ts", "level", "msg", "request_id", "trace_id", "route", "method", "status", "latency_ms"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(j["route"], "/v1/echo/{id}");
  EXPECT_EQ(j["status"], 200);
}

TEST(Dispatcher, CountsRequestsPerRoutePattern) {
  obs::Registry reg;
  Dispatcher d(routes(), reg);
  for (int i = 0; i < 3; ++i) {
    Request q = get("/v1/echo/" + std::to_string(i));
    run(d, q);
  }
  Request q = get("/random/path/123");
  run(d, q);
  std::string text = reg.expose();
  EXPECT_NE(text.find(R"(nsl_http_requests_total{route="/v1/echo/{id}",method="GET",code="200"} 3)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(nsl_http_requests_total{route="unmatched",method="GET",code="404"} 1)"), std::string::npos);
  EXPECT_EQ(text.find("/random/path"), std::string::npos) << "raw paths must not become label values";
}

TEST(Traceparent, ParsesValidAndRejectsInvalid) {
  RequestContext c;
  EXPECT_TRUE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", c));
  EXPECT_EQ(c.parent_span_id, "00f067aa0ba902b7");
  EXPECT_EQ(c.trace_flags, 1);
  EXPECT_FALSE(parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01", c));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", c));
  EXPECT_FALSE(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", c));
  EXPECT_FALSE(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", c));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", c));
  EXPECT_TRUE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", c));
  EXPECT_FALSE(parse_traceparent("garbage", c));
}

TEST(Problem, EveryCodeMapsToAnErrorStatus) {
  for (int i = 0; i <= static_cast<int>(ErrorCode::deadline_exceeded); ++i) {
    auto code = static_cast<ErrorCode>(i);
    int s = status_for(code);
    EXPECT_GE(s, 400) << error_code_name(code);
    EXPECT_LE(s, 599) << error_code_name(code);
    EXPECT_NE(reason_phrase(s), "Unknown") << s;
  }
  EXPECT_EQ(status_for(ErrorCode::rate_limited), 429);
  EXPECT_EQ(status_for(ErrorCode::unavailable), 503);
}

TEST(Problem, EscapesDetail) {
  Response r = problem(err::invalid_argument("bad \"field\"\n"), "/x", "rid");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["detail"], "bad \"field\"\n");
  EXPECT_EQ(j["code"], "invalid_argument");
}

}  // namespace
}  // namespace nsl::http
