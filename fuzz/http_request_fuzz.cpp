// Fuzz target `http_request`: raw bytes → http::parse_request (the server's limits) → Dispatcher with the real
// system routes plus routes with path parameters → Response, checking the invariants every response must keep.
// A request the parser rejects goes through Dispatcher::transport_error, exactly as the server does.
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - status in 100..599; every response carries a non-empty x-request-id, equal to the caller's when the
//     caller sent a well-formed one;
//   - status >= 400: content-type application/problem+json, a body that parses as a JSON object whose
//     "status" equals the response status and whose "request_id" equals the header;
//   - a 405 carries an Allow header; an application/json body parses as JSON;
//   - a parser rejection is 400, 413 or 431;
//   - every log line (a handler exception logs an error) is one JSON object; lines go to a checking sink, not stdout.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "app/health.hpp"
#include "app/system_routes.hpp"
#include "http/dispatcher.hpp"
#include "http/parse.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"

namespace {

namespace asio = boost::asio;
using nsl::http::Method;
using nsl::http::Request;
using nsl::http::Response;
using Json = nlohmann::json;

constexpr std::size_t kMaxHeaderBytes = 16384;
constexpr std::size_t kMaxBodyBytes = 1 << 20;

[[noreturn]] void fail(const char* what, const Response& res) {
  std::fprintf(stderr, "http_request invariant violated: %s (status %d)\n", what, res.status);
  for (const auto& h : res.headers.all()) std::fprintf(stderr, "  %s: %s\n", h.name.c_str(), h.value.c_str());
  std::fprintf(stderr, "  body: %.*s\n", static_cast<int>(std::min<std::size_t>(res.body.size(), 2000)),
               res.body.data());
  std::abort();
}

// JSON the way handlers should render client-controlled text: invalid UTF-8 replaced, never thrown.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Routes with parameters, a rest parameter, a body, a handler-chosen error and a throwing handler, next to the
// real system routes; every route is public or declares a permission (the router refuses anything else).
void add_extra_routes(nsl::http::Router& r) {
  auto ok = [](nsl::Status s) {
    if (!s.ok()) {
      std::fprintf(stderr, "http_request fuzz: route setup failed: %s\n", s.error().message().c_str());
      std::abort();
    }
  };
  ok(r.add({.method = Method::get,
            .pattern = "/v1/keys/{id}",
            .handler = [](Request& req) -> asio::awaitable<Response> {
              std::string id(req.param("id").value_or(""));
              if (id == "missing") co_return nsl::http::problem(nsl::err::not_found("key not found"), req);
              if (id == "boom") throw std::runtime_error("handler failure");  // must become a 500 problem
              co_return Response::json(200, dump(Json{{"id", id}, {"q", req.query_param("v").value_or("")}}));
            },
            .permission = "keys:read"}));
  ok(r.add({.method = Method::post,
            .pattern = "/v1/keys/{id}/sign",
            .handler = [](Request& req) -> asio::awaitable<Response> {
              Json in = Json::parse(req.body, nullptr, false);
              if (in.is_discarded() || !in.is_object()) {
                co_return nsl::http::problem(nsl::err::invalid_argument("body must be a JSON object"), req);
              }
              co_return Response::json(200, dump(Json{{"id", req.param("id").value_or("")},
                                                      {"bytes", req.body.size()}}));
            },
            .permission = "keys:sign",
            .rate_class = "keys"}));
  ok(r.add({.method = Method::del,
            .pattern = "/v1/keys/{id}",
            .handler = [](Request&) -> asio::awaitable<Response> {
              Response res;
              res.status = 204;
              co_return res;
            },
            .permission = "keys:delete"}));
  ok(r.add({.method = Method::put,
            .pattern = "/v1/tenants/{tenant}/items/{item}",
            .handler = [](Request& req) -> asio::awaitable<Response> {
              co_return Response::json(200, dump(Json{{"tenant", req.param("tenant").value_or("")},
                                                      {"item", req.param("item").value_or("")}}));
            },
            .permission = "items:write"}));
  ok(r.add({.method = Method::get,
            .pattern = "/v1/blobs/{bucket}/{path*}",
            .handler = [](Request& req) -> asio::awaitable<Response> {
              co_return Response::json(200, dump(Json{{"bucket", req.param("bucket").value_or("")},
                                                      {"path", req.param("path").value_or("")}}));
            },
            .is_public = true}));
}

// Built once: the Dispatcher and everything its routes reference live for the whole process.
struct Fixture {
  Fixture() {
    nsl::obs::set_sink([](std::string_view line) {
      if (line.empty() || line.back() != '\n' || !Json::accept(line.substr(0, line.size() - 1))) {
        std::fprintf(stderr, "http_request: log line is not one JSON object: %.*s\n", static_cast<int>(line.size()),
                     line.data());
        std::abort();
      }
    });
    health.add_check("fuzz", []() -> asio::awaitable<nsl::Status> { co_return nsl::Status{}; });
    health.set_started(true);
    state.profile = "embedded";
    nsl::http::Router router;
    auto check = [](nsl::Status s) {
      if (!s.ok()) {
        std::fprintf(stderr, "http_request fuzz: setup failed: %s\n", s.error().message().c_str());
        std::abort();
      }
    };
    check(nsl::app::add_api_system_routes(router, health, state));
    check(nsl::app::add_metrics_routes(router, registry, state));
    add_extra_routes(router);
    dispatcher = std::make_unique<nsl::http::Dispatcher>(std::move(router), registry,
                                                         nsl::http::DispatcherOptions{.access_log = false});
  }

  nsl::obs::Registry registry;
  nsl::app::Health health{std::chrono::milliseconds(1000)};
  nsl::app::SystemState state;
  std::unique_ptr<nsl::http::Dispatcher> dispatcher;
  asio::io_context ioc;
};

Fixture& fixture() {
  static Fixture* f = new Fixture();  // never destroyed: no exit-time ordering issues, no leak per input
  return *f;
}

Response dispatch(Fixture& fx, Request& req) {
  std::optional<Response> out;
  std::exception_ptr error;
  asio::co_spawn(fx.ioc, fx.dispatcher->handle(req), [&](std::exception_ptr e, Response r) {
    error = e;
    out = std::move(r);
  });
  fx.ioc.restart();
  fx.ioc.run();
  if (error) {
    // handle() turns handler exceptions into 500s; anything escaping it is a dispatcher bug.
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "http_request: exception escaped Dispatcher::handle: %s\n", e.what());
    }
    std::abort();
  }
  if (!out) {
    std::fprintf(stderr, "http_request: Dispatcher::handle did not complete\n");
    std::abort();
  }
  return std::move(*out);
}

void check_response(const Response& res, std::optional<std::string_view> inbound_id) {
  if (res.status < 100 || res.status > 599) fail("status out of range", res);
  auto rid = res.headers.get("x-request-id");
  if (!rid || rid->empty()) fail("missing x-request-id", res);
  if (inbound_id && nsl::http::valid_request_id(*inbound_id) && *rid != *inbound_id) {
    fail("well-formed inbound x-request-id not echoed", res);
  }
  auto ct = res.headers.get("content-type");
  if (res.status >= 400) {
    if (!ct || *ct != "application/problem+json") fail("error without application/problem+json", res);
    Json j = Json::parse(res.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail("problem body is not a JSON object", res);
    auto st = j.find("status");
    if (st == j.end() || !st->is_number_integer() || st->get<int>() != res.status) {
      fail("problem status differs from response status", res);
    }
    auto jr = j.find("request_id");
    if (jr == j.end() || !jr->is_string() || jr->get<std::string>() != *rid) {
      fail("problem request_id differs from x-request-id", res);
    }
    if (res.status == 405 && !res.headers.has("allow")) fail("405 without Allow", res);
  } else if (ct && *ct == "application/json") {
    if (!Json::accept(res.body)) fail("application/json body does not parse", res);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& fx = fixture();
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto parsed = nsl::http::parse_request(raw, kMaxHeaderBytes, kMaxBodyBytes);
  if (!parsed.ok()) {
    // The server's path for a request rejected before dispatch.
    Request req;
    req.path = "/";
    Response res = fx.dispatcher->transport_error(req, parsed.error());
    if (res.status != 400 && res.status != 413 && res.status != 431) fail("unexpected transport status", res);
    check_response(res, std::nullopt);
    return 0;
  }
  Request req = std::move(*parsed);
  req.remote_addr = "127.0.0.1";
  std::optional<std::string> inbound;
  if (auto v = req.headers.get("x-request-id")) inbound = std::string(*v);
  Response res = dispatch(fx, req);
  check_response(res, inbound);
  // A 5xx was logged by the dispatcher: write it now so that a bad line is blamed on this input.
  if (res.status >= 500) nsl::obs::flush();
  return 0;
}
