// nsl/obs/process_metrics.hpp — the standard `process_*` metrics of Prometheus clients, for Linux.
//
// Values are read from /proc at scrape time (callback metrics), under the names every dashboard
// expects: process_resident_memory_bytes, process_virtual_memory_bytes, process_cpu_seconds_total
// (counter), process_open_fds, process_max_fds, process_start_time_seconds. A value that cannot be
// read scrapes as NaN.
// Thread-safety: read_process_stats() is reentrant; register_process_metrics() is meant for
// start-up, and calling it again on the same Registry is harmless.
//
//   obs::Registry reg;
//   obs::register_process_metrics(reg);
//   auto stats = obs::read_process_stats();  // Result<ProcessStats>, for diagnostics and tests
#pragma once

#include "core/result.hpp"
#include "obs/metrics.hpp"

namespace nsl::obs {

struct ProcessStats {
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double cpu_seconds = 0;  // user + system
  double open_fds = 0;
  double max_fds = 0;             // soft RLIMIT_NOFILE; +Inf when unlimited
  double start_time_seconds = 0;  // Unix time
};

// One consistent reading of all values; `unavailable` when /proc cannot be read or parsed.
Result<ProcessStats> read_process_stats();

void register_process_metrics(Registry& registry);

}  // namespace nsl::obs
