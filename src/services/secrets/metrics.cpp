#include "services/secrets/metrics.hpp"

#include "core/error.hpp"
#include "obs/metrics.hpp"

namespace nsl::secrets {

OperationMetrics::OperationMetrics(obs::Registry* registry) {
  if (registry == nullptr) return;
  ops_ = &registry->counter_family(
      "nsl_secrets_operations_total",
      "Secret (key/value) operations by operation and result (ok or error code)", {"op", "result"});
  seconds_ = &registry->histogram_family("nsl_secrets_operation_seconds",
                                         "Latency of secret (key/value) operations, seconds", {"op"},
                                         obs::default_latency_buckets());
}

void OperationMetrics::record(std::string_view op, const Status& st,
                              std::chrono::steady_clock::time_point start) const {
  if (ops_ == nullptr) return;
  const std::string_view result =
      st.ok() ? std::string_view("ok") : std::string_view(error_code_name(st.error().code()));
  ops_->with({op, result}).inc();
  seconds_->with({op}).observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace nsl::secrets
