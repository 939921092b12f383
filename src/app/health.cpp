#include "app/health.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

namespace nsl::app {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

void Health::add_check(std::string name, HealthCheck check, bool critical) {
  checks_.push_back({std::move(name), std::move(check), critical});
}

asio::awaitable<HealthReport> Health::check() const {
  HealthReport r;
  auto ex = co_await asio::this_coro::executor;
  bool all_ok = true;
  // Checks run one after another, each bounded by the timeout; there are few and each is a single ping.
  for (const auto& entry : checks_) {
    const HealthCheck& fn = entry.fn;
    CheckResult c;
    c.name = entry.name;
    c.critical = entry.critical;
    auto t0 = std::chrono::steady_clock::now();
    asio::steady_timer timer(ex, timeout_);
    std::variant<Status, std::tuple<boost::system::error_code>> v;
    try {
      v = co_await (fn() || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    } catch (const std::exception&) {
      v = Status(err::internal("check failed"));
    }
    if (v.index() == 1) {
      c.ok = false;
      c.message = "timed out after " + std::to_string(timeout_.count()) + " ms";
    } else {
      const Status& s = std::get<0>(v);
      c.ok = s.ok();
      if (!s.ok()) c.message = s.error().message();
    }
    c.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    all_ok = all_ok && (c.ok || !c.critical);
    r.checks.push_back(std::move(c));
  }
  if (draining_.load()) {
    r.state = "draining";
  } else if (!started_.load()) {
    r.state = "starting";
  } else {
    r.state = all_ok ? "ready" : "degraded";
  }
  r.ready = r.state == "ready";
  co_return r;
}

std::string render_health(const HealthReport& r) {
  nlohmann::json j;
  j["status"] = r.state;
  j["ready"] = r.ready;
  nlohmann::json checks = nlohmann::json::object();
  for (const auto& c : r.checks) {
    nlohmann::json cj{{"ok", c.ok}, {"latency_ms", c.latency_ms}};
    if (!c.ok) cj["error"] = c.message;
    checks[c.name] = std::move(cj);
  }
  j["checks"] = std::move(checks);
  std::vector<std::string> failing, degraded;
  for (const auto& c : r.checks) {
    if (!c.ok) (c.critical ? failing : degraded).push_back(c.name);
  }
  if (!failing.empty()) j["failing"] = failing;
  if (!degraded.empty()) j["degraded"] = degraded;
  return j.dump();
}

}  // namespace nsl::app
