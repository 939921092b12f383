#include "obs/process_metrics.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "core/strings.hpp"

namespace nsl::obs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Plain read(2) to EOF: /proc files report size 0, so stream-size tricks do not work, and this
// never throws.
std::optional<std::string> read_proc_file(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// The n-th (0-based) space-separated field of `s` as an unsigned integer.
std::optional<std::uint64_t> field_u64(std::string_view s, std::size_t n) {
  std::size_t pos = 0;
  for (std::size_t i = 0;; ++i) {
    while (pos < s.size() && s[pos] == ' ') ++pos;
    const std::size_t end = std::min(s.find_first_of(" \n", pos), s.size());
    if (pos >= end) return std::nullopt;
    if (i == n) return parse_u64(s.substr(pos, end - pos));
    pos = end;
  }
}

struct SelfStat {
  std::uint64_t utime_ticks = 0;
  std::uint64_t stime_ticks = 0;
  std::uint64_t start_ticks = 0;  // since boot
};

std::optional<SelfStat> read_self_stat() {
  auto text = read_proc_file("/proc/self/stat");
  if (!text) return std::nullopt;
  // Field 2 is the command name in parentheses and may itself contain spaces and ')': count from
  // the last ')'. What follows starts at field 3 (state), so field k of proc(5) is index k - 3
  // here.
  const std::size_t paren = text->rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  const std::string_view rest = std::string_view(*text).substr(paren + 1);
  auto utime = field_u64(rest, 14 - 3);
  auto stime = field_u64(rest, 15 - 3);
  auto start = field_u64(rest, 22 - 3);
  if (!utime || !stime || !start) return std::nullopt;
  return SelfStat{*utime, *stime, *start};
}

struct SelfStatm {
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

std::optional<SelfStatm> read_self_statm() {
  const long page = ::sysconf(_SC_PAGESIZE);
  auto text = read_proc_file("/proc/self/statm");
  if (!text || page <= 0) return std::nullopt;
  auto size = field_u64(*text, 0);
  auto resident = field_u64(*text, 1);
  if (!size || !resident) return std::nullopt;
  return SelfStatm{static_cast<double>(*size) * static_cast<double>(page),
                   static_cast<double>(*resident) * static_cast<double>(page)};
}

double clock_ticks_per_second() {
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return ticks > 0 ? static_cast<double>(ticks) : kNaN;
}

std::optional<double> cpu_seconds() {
  auto stat = read_self_stat();
  const double ticks = clock_ticks_per_second();
  if (!stat || !(ticks > 0)) return std::nullopt;
  return static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks;
}

// Boot time (Unix seconds) from the `btime` line of /proc/stat.
std::optional<double> boot_time_seconds() {
  auto text = read_proc_file("/proc/stat");
  if (!text) return std::nullopt;
  const std::string_view s = *text;
  std::size_t pos = s.starts_with("btime ") ? 0 : s.find("\nbtime ");
  if (pos == std::string_view::npos) return std::nullopt;
  if (s[pos] == '\n') ++pos;
  auto v = field_u64(s.substr(pos), 1);
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

std::optional<double> start_time_seconds() {
  auto stat = read_self_stat();
  auto boot = boot_time_seconds();
  const double ticks = clock_ticks_per_second();
  if (!stat || !boot || !(ticks > 0)) return std::nullopt;
  return *boot + static_cast<double>(stat->start_ticks) / ticks;
}

std::optional<double> open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  const int own = ::dirfd(dir);
  double n = 0;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name.starts_with('.')) continue;
    // Listing the directory takes a descriptor of its own; it is ours, not the process's steady
    // state.
    if (auto fd = parse_u64(name); fd && own >= 0 && *fd == static_cast<std::uint64_t>(own))
      continue;
    ++n;
  }
  ::closedir(dir);
  return n;
}

std::optional<double> max_fds() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return std::nullopt;
  if (lim.rlim_cur == RLIM_INFINITY) return std::numeric_limits<double>::infinity();
  return static_cast<double>(lim.rlim_cur);
}

}  // namespace

Result<ProcessStats> read_process_stats() {
  auto statm = read_self_statm();
  if (!statm) return err::unavailable("cannot read /proc/self/statm");
  auto cpu = cpu_seconds();
  if (!cpu) return err::unavailable("cannot read /proc/self/stat");
  auto fds = open_fds();
  if (!fds) return err::unavailable("cannot list /proc/self/fd");
  auto max = max_fds();
  if (!max) return err::unavailable("getrlimit(RLIMIT_NOFILE) failed");
  auto start = start_time_seconds();
  if (!start) return err::unavailable("cannot read the process start time from /proc");
  ProcessStats s;
  s.resident_memory_bytes = statm->resident_bytes;
  s.virtual_memory_bytes = statm->virtual_bytes;
  s.cpu_seconds = *cpu;
  s.open_fds = *fds;
  s.max_fds = *max;
  s.start_time_seconds = *start;
  return s;
}

void register_process_metrics(Registry& registry) {
  registry.callback("process_resident_memory_bytes", "Resident memory size in bytes.",
                    MetricType::gauge, [] {
                      auto s = read_self_statm();
                      return s ? s->resident_bytes : kNaN;
                    });
  registry.callback("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                    MetricType::gauge, [] {
                      auto s = read_self_statm();
                      return s ? s->virtual_bytes : kNaN;
                    });
  registry.callback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                    MetricType::counter, [] { return cpu_seconds().value_or(kNaN); });
  registry.callback("process_open_fds", "Number of open file descriptors.", MetricType::gauge,
                    [] { return open_fds().value_or(kNaN); });
  registry.callback("process_max_fds", "Maximum number of open file descriptors.",
                    MetricType::gauge, [] { return max_fds().value_or(kNaN); });
  // Fixed for the life of the process, so read once here instead of on every scrape.
  const double start = start_time_seconds().value_or(kNaN);
  registry.callback("process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds.", MetricType::gauge,
                    [start] { return start; });
}

}  // namespace nsl::obs
