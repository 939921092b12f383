#include "obs/process_metrics.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

namespace nsl::obs {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Full path of `name` on PATH, or "" when it is not there.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

TEST(ProcessMetrics, ValuesArePlausible) {
  const int fd =
      ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // at least one descriptor, whatever ctest gave us
  ASSERT_GE(fd, 0);
  auto stats = read_process_stats();
  ::close(fd);
  ASSERT_TRUE(stats.ok()) << stats.error();
  EXPECT_GT(stats->resident_memory_bytes, 0);
  EXPECT_GE(stats->virtual_memory_bytes, stats->resident_memory_bytes);
  EXPECT_GE(stats->cpu_seconds, 0);
  EXPECT_GT(stats->open_fds, 0);
  EXPECT_GE(stats->max_fds, stats->open_fds);
  // btime is whole seconds and starttime is in clock ticks: allow a little slack into the future.
  EXPECT_LE(stats->start_time_seconds, now_seconds() + 2);
  EXPECT_GT(stats->start_time_seconds, now_seconds() - 3600);
}

TEST(ProcessMetrics, OpenFdsFollowsDescriptors) {
  const double before = read_process_stats()->open_fds;
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const double during = read_process_stats()->open_fds;
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(during - before, 8);
}

TEST(ProcessMetrics, CpuSecondsGrowWithWork) {
  // Clock ticks are 10 ms and the machine may be busy: spin until the reading moves, within reason.
  const double before = read_process_stats()->cpu_seconds;
  double after = before;
  volatile double sink = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (after <= before && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 100000; ++i) sink = sink + std::sqrt(static_cast<double>(i));
    after = read_process_stats()->cpu_seconds;
  }
  EXPECT_GT(after, before);
}

TEST(ProcessMetrics, RegisteredWithStandardNamesAndTypes) {
  Registry reg;
  register_process_metrics(reg);
  register_process_metrics(reg);  // again: harmless
  const std::string e = reg.expose();
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\n", "# TYPE process_max_fds gauge\n",
        "# TYPE process_open_fds gauge\n", "# TYPE process_resident_memory_bytes gauge\n",
        "# TYPE process_start_time_seconds gauge\n",
        "# TYPE process_virtual_memory_bytes gauge\n"}) {
    EXPECT_NE(e.find(line), std::string::npos) << line;
  }
  const std::size_t pos = e.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_GT(std::stod(e.substr(pos + 31)), 0);
  EXPECT_EQ(e.find("NaN"), std::string::npos) << e;
}

// Everything the registry can print, including the process metrics, must pass `promtool check
// metrics` (parse and lint) with no complaint: the architecture names promtool as the judge of the
// exposition.
TEST(Promtool, AcceptsFullExposition) {
  const std::string promtool = find_on_path("promtool");
  ASSERT_FALSE(promtool.empty()) << "promtool is not on PATH; it is a declared test dependency "
                                    "(Debian package `prometheus`), install it";

  Registry reg;
  register_process_metrics(reg);
  auto& requests = reg.counter_family(
      "nsl_http_requests_total", "HTTP requests by route and status.", {"route", "method", "code"});
  requests.with({"/v1/keys/{id}/sign", "POST", "200"}).inc(12);
  requests.with({"/v1/\"odd\"\\path\nline", "GET", "404"}).inc();
  requests.with({"bad utf8 \xff", "GET", "500"}).inc();
  reg.counter_family("nsl_http_errors_total", "HTTP errors by code (none yet).", {"code"});
  reg.counter("nsl_audit_records_total", "Audit records appended.").inc(3);
  reg.gauge("nsl_http_in_flight_requests", "Requests being served.").set(2);
  auto& pool =
      reg.gauge_family("nsl_pool_connections", "Pool connections by state.", {"pool", "state"});
  pool.with({"pg", "idle"}).set(4);
  pool.with({"pg", "busy"}).set(std::numeric_limits<double>::quiet_NaN());
  pool.with({"redis", "idle"}).set(std::numeric_limits<double>::infinity());
  pool.with({"redis", "busy"}).set(-std::numeric_limits<double>::infinity());
  auto& latency = reg.histogram_family("nsl_http_request_duration_seconds", "Request latency.",
                                       {"route"}, default_latency_buckets());
  for (double v : {0.0001, 0.003, 0.2, 0.2, 7.0, 30.0}) latency.with({"/v1/keys"}).observe(v);
  reg.histogram("nsl_enclave_sign_duration_seconds", "Enclave sign latency.", {0.001, 0.01, 0.1})
      .observe(0.004);
  reg.histogram("nsl_unused_duration_seconds", "Never observed.", default_latency_buckets());
  reg.callback("nsl_cache_entries", "Entries in the token cache.", MetricType::gauge,
               [] { return 17.0; });
  reg.callback("nsl_cache_evictions_total", "Token cache evictions.", MetricType::counter,
               [] { return 1e6; });
  const std::string exposition = reg.expose();

  char path[] = "/tmp/nsl_obs_promtool_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const ssize_t written = ::write(fd, exposition.data(), exposition.size());
  ::close(fd);
  ASSERT_EQ(written, static_cast<ssize_t>(exposition.size()));

  const std::string command = "'" + promtool + "' check metrics < '" + path + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  const int status = ::pclose(pipe);
  ::unlink(path);

  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "promtool exit status " << status << "\n"
      << output << "\n--- exposition ---\n"
      << exposition;
  EXPECT_EQ(output, "") << "--- exposition ---\n" << exposition;
}

}  // namespace
}  // namespace nsl::obs
