// nsl/app/health.hpp — liveness and readiness.
//
// Liveness (`/health/live`) means the process serves HTTP: no dependency is consulted, so a database outage
// never gets the pod killed. Readiness (`/health/ready`) runs every registered dependency check (storage,
// cache, enclave — each module registers its own) concurrently with a timeout, and is false while the process
// is starting or draining. The 503 body names each failing check.
//
//   Health h;
//   h.add_check("storage", [&]() -> awaitable<Status> { co_return store.ping(); });
//   h.set_ready(true);
//   HealthReport r = co_await h.check();   // r.ready, r.checks
//
// Thread-safety: add_check() at start-up; the rest from any thread.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace nsl::app {

using HealthCheck = std::function<boost::asio::awaitable<Status>()>;

struct CheckResult {
  std::string name;
  bool ok = false;
  std::string message;  // client-safe reason when not ok
  double latency_ms = 0;
  bool critical = true;  // false: a failure is reported ("degraded") but readiness stays true
};

struct HealthReport {
  bool ready = false;
  std::string state;  // "ready", "starting", "draining", "degraded"
  std::vector<CheckResult> checks;
};

class Health {
 public:
  explicit Health(std::chrono::milliseconds check_timeout = std::chrono::milliseconds(2000))
      : timeout_(check_timeout) {}
  // A critical check failing makes the replica not ready; a non-critical one (a dependency with a
  // declared fallback, such as Redis for the general rate limits) is reported under "degraded".
  void add_check(std::string name, HealthCheck check, bool critical = true);
  void set_started(bool v) noexcept { started_.store(v); }
  void set_draining(bool v) noexcept { draining_.store(v); }
  bool draining() const noexcept { return draining_.load(); }
  boost::asio::awaitable<HealthReport> check() const;

 private:
  std::chrono::milliseconds timeout_;
  struct Entry {
    std::string name;
    HealthCheck fn;
    bool critical;
  };
  std::vector<Entry> checks_;
  std::atomic<bool> started_{false};
  std::atomic<bool> draining_{false};
};

// JSON body for /health/ready.
std::string render_health(const HealthReport& r);

}  // namespace nsl::app
