// nsl/app/system_routes.hpp — routes every nsl process serves regardless of capability:
// GET /health/live, GET /health/ready, GET /v1/info on the API ports and GET /metrics on the metrics port.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "app/health.hpp"
#include "config/config.hpp"
#include "core/secret_string.hpp"
#include "http/router.hpp"

namespace nsl::obs {
class Registry;
}

namespace nsl::app {

// State the system routes read; reloadable parts are guarded by `mu`.
struct SystemState {
  std::string profile;
  std::string enclave_mode = "none";  // sim / gramine-sgx / tdx / snp ("none" when no enclave is configured)
  // The "enclave" object of /v1/info: mode, simulated, ready, measurement, seal policy (set at start-up).
  std::function<nlohmann::json()> enclave_info;
  double started_at = 0;              // unix seconds
  bool read_only = false;             // server.read_only: a read-only secondary that refuses writes
  mutable std::mutex mu;
  SecretString metrics_token;         // empty: /metrics is open (bind the metrics port privately)
};

Status add_api_system_routes(http::Router& router, const Health& health, const SystemState& state);
Status add_metrics_routes(http::Router& router, const obs::Registry& registry, const SystemState& state);

}  // namespace nsl::app
