// nsl/http/dispatcher.hpp — turns one parsed Request into one Response.
//
// Order for every request: request id (accept a well-formed X-Request-Id or mint one, always echoed) →
// W3C traceparent (continue the caller's trace or start one) → route (404 / 405 with Allow / 400 on a bad
// escape) → the middleware chain given to use() (authentication, rate limits, … added by later modules) →
// handler → metrics (RED per route) and one access-log line. A handler that throws yields a 500 problem and an
// error log line with the request id; the client never sees the exception text.
//
//   Dispatcher d(std::move(router), registry, {.access_log = true});
//   d.use([](Request& r, Next next) -> awaitable<Response> { ...; co_return co_await next(r); });
//   Response res = co_await d.handle(req);
//
// Thread-safety: use() at start-up only; handle() is safe from many threads at once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/router.hpp"
#include "http/types.hpp"

namespace nsl::obs {
class Registry;
}

namespace nsl::http {

class Dispatcher;

// The rest of the chain after a middleware.
class Next {
 public:
  boost::asio::awaitable<Response> operator()(Request& req) const;

 private:
  friend class Dispatcher;
  Next(const Dispatcher* d, std::size_t i) : d_(d), i_(i) {}
  const Dispatcher* d_;
  std::size_t i_;
};

using Middleware = std::function<boost::asio::awaitable<Response>(Request&, Next)>;

struct DispatcherOptions {
  bool access_log = true;   // one info line per request
  bool metrics = true;      // RED metrics per route
  std::string metric_prefix = "nsl_http";
};

class Dispatcher {
 public:
  Dispatcher(Router router, obs::Registry& registry, DispatcherOptions opts = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void use(Middleware m);
  void set_access_log(bool on) noexcept;
  boost::asio::awaitable<Response> handle(Request& req) const;
  const Router& router() const noexcept { return router_; }

  // The response for a request the transport rejected before dispatch (400 malformed, 413, 431): problem+json,
  // counted and access-logged like any other request under route "unmatched".
  Response transport_error(Request& req, const Error& e) const;

 private:
  friend class Next;
  boost::asio::awaitable<Response> run(Request& req, std::size_t i) const;
  void finish(const Request& req, Response& res) const;

  struct RouteMetrics;
  RouteMetrics* route_metrics(const Route* r) const;

  Router router_;
  std::vector<Middleware> chain_;
  std::vector<std::unique_ptr<RouteMetrics>> route_metrics_;  // parallel to router_.routes(), +1 for unmatched
  DispatcherOptions opts_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
  std::atomic<bool> access_log_;
};

// Parses a W3C traceparent header into ctx (trace_id, parent_span_id, trace_flags); false if malformed.
bool parse_traceparent(std::string_view v, RequestContext& ctx);
// True for an acceptable inbound X-Request-Id: 1..128 chars of [A-Za-z0-9._:-].
bool valid_request_id(std::string_view v) noexcept;

}  // namespace nsl::http
