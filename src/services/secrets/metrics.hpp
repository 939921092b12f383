// nsl/services/secrets/metrics.hpp — the secrets tier's operation metrics, shared by the key/value
// store (secrets::SecretsService) and transit (transit::TransitService):
//   nsl_secrets_operations_total{op,result}   result = "ok" or the error code name
//   nsl_secrets_operation_seconds{op}         latency histogram (default latency buckets)
// Registering the families twice hands the same ones back (obs::Registry), so both services count
// into one series set. Thread-safety: record() is safe for concurrent use.
#pragma once

#include <chrono>
#include <string_view>

#include "core/result.hpp"
#include "obs/metrics.hpp"

namespace nsl::secrets {

class OperationMetrics {
 public:
  explicit OperationMetrics(obs::Registry* registry);  // nullptr: records nothing
  void record(std::string_view op, const Status& st, std::chrono::steady_clock::time_point start) const;

 private:
  obs::CounterFamily* ops_ = nullptr;
  obs::HistogramFamily* seconds_ = nullptr;
};

}  // namespace nsl::secrets
