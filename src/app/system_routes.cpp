#include "app/system_routes.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "app/build_info.hpp"
#include "http/problem.hpp"
#include "obs/metrics.hpp"

namespace nsl::app {

namespace asio = boost::asio;
using http::Request;
using http::Response;

Status add_api_system_routes(http::Router& router, const Health& health, const SystemState& state) {
  NSL_TRY(router.add({.method = http::Method::get,
                      .pattern = "/health/live",
                      .handler = [](Request&) -> asio::awaitable<Response> {
                        co_return Response::json(200, R"({"status":"alive"})");
                      },
                      .is_public = true}));
  NSL_TRY(router.add({.method = http::Method::get,
                      .pattern = "/health/ready",
                      .handler = [&health](Request&) -> asio::awaitable<Response> {
                        HealthReport r = co_await health.check();
                        Response res = Response::json(r.ready ? 200 : 503, render_health(r));
                        res.headers.add("cache-control", "no-store");
                        if (!r.ready) res.headers.add("retry-after", "5");
                        co_return res;
                      },
                      .is_public = true}));
  NSL_TRY(router.add({.method = http::Method::get,
                      .pattern = "/v1/info",
                      .handler = [&state](Request&) -> asio::awaitable<Response> {
                        double now = std::chrono::duration<double>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
                        nlohmann::json j{{"name", "nsl"},
                                         {"version", kVersion},
                                         {"git_revision", kGitRevision},
                                         {"build_type", kBuildType},
                                         {"profile", state.profile},
                                         {"enclave_mode", state.enclave_mode},
                                         {"read_only", state.read_only},
                                         {"uptime_seconds", static_cast<long long>(now - state.started_at)}};
                        if (state.enclave_info) {
                          j["enclave"] = state.enclave_info();
                          if (j["enclave"].value("simulated", false)) {
                            j["warnings"] = nlohmann::json::array(
                                {"simulated enclave: keys and secrets have no hardware protection; "
                                 "development only"});
                          }
                        }
                        co_return Response::json(200, j.dump());
                      },
                      .is_public = true}));
  return {};
}

Status add_metrics_routes(http::Router& router, const obs::Registry& registry, const SystemState& state) {
  return router.add({.method = http::Method::get,
                     .pattern = "/metrics",
                     .handler = [&registry, &state](Request& req) -> asio::awaitable<Response> {
                       {
                         std::lock_guard lk(state.mu);
                         if (!state.metrics_token.empty()) {
                           auto auth = req.headers.get("authorization");
                           constexpr std::string_view kBearer = "Bearer ";
                           bool ok = auth && auth->size() > kBearer.size() &&
                                     auth->substr(0, kBearer.size()) == kBearer &&
                                     state.metrics_token.equals(auth->substr(kBearer.size()));
                           if (!ok) {
                             Response res = http::problem(err::unauthenticated("metrics require a bearer token"), req);
                             res.headers.add("www-authenticate", "Bearer realm=\"metrics\"");
                             co_return res;
                           }
                         }
                       }
                       Response res;
                       res.status = 200;
                       res.headers.add("content-type", "text/plain; version=0.0.4; charset=utf-8");
                       res.body = registry.expose();
                       co_return res;
                     },
                     .is_public = true});
}

}  // namespace nsl::app
