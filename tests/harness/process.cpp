// ChildProcess: posix_spawn into a new process group, output to a log file.
//
// Exit is observed with waitid(WNOWAIT): the child stays a zombie until the destructor reaps it, so
// its pid (and process group id) cannot be recycled while we may still signal the group.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "harness/harness.hpp"

extern char** environ;

namespace nsl::testing {
namespace {

std::string make_temp_log_file() {
  const char* tmp = std::getenv("TMPDIR");
  std::string path = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/nsl-log-XXXXXX";
  const int fd = mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkostemp " + path);
  ::close(fd);
  return path;
}

// Our environment with OVERRIDES applied (same name replaces, new names are appended).
std::vector<std::string> build_env(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    const bool replaced = std::any_of(overrides.begin(), overrides.end(),
                                      [&](const auto& kv) { return kv.first == name; });
    if (!replaced) env.emplace_back(entry);
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// RAII for the posix_spawn attribute objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

void check(int rc, const char* what) {
  if (rc != 0) throw std::system_error(rc, std::generic_category(), what);
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv,
                           std::vector<std::pair<std::string, std::string>> env,
                           std::string log_file)
    : ChildProcess(ChildOptions{std::move(argv), std::move(env), std::move(log_file), {}}) {}

ChildProcess::ChildProcess(ChildOptions options) {
  if (options.argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  if (options.log_file.empty()) {
    log_file_ = make_temp_log_file();
    owns_log_file_ = true;
  } else {
    log_file_ = options.log_file;
  }

  SpawnSetup s;
  check(posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0), "addopen stdin");
  check(posix_spawn_file_actions_addopen(&s.actions, 1, log_file_.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644),
        "addopen log");
  check(posix_spawn_file_actions_adddup2(&s.actions, 1, 2), "adddup2");
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Descriptors the test holds open (listening sockets, pipes) must not leak into the child.
  check(posix_spawn_file_actions_addclosefrom_np(&s.actions, 3), "addclosefrom");
#endif
  if (!options.working_dir.empty()) {
    check(posix_spawn_file_actions_addchdir_np(&s.actions, options.working_dir.c_str()),
          "addchdir");
  }
  sigset_t empty_mask;
  sigset_t all_signals;
  sigemptyset(&empty_mask);
  sigfillset(&all_signals);
  check(posix_spawnattr_setflags(
            &s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
        "setflags");
  check(posix_spawnattr_setpgroup(&s.attr, 0), "setpgroup");
  check(posix_spawnattr_setsigmask(&s.attr, &empty_mask), "setsigmask");
  check(posix_spawnattr_setsigdefault(&s.attr, &all_signals), "setsigdefault");

  std::vector<std::string> env = build_env(options.env);
  std::vector<char*> argv_c = c_strings(options.argv);
  std::vector<char*> env_c = c_strings(env);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv_c[0], &s.actions, &s.attr, argv_c.data(), env_c.data());
  if (rc != 0) {
    if (owns_log_file_) ::unlink(log_file_.c_str());
    throw std::system_error(rc, std::generic_category(), "posix_spawnp " + options.argv[0]);
  }
  pid_ = pid;
}

ChildProcess::~ChildProcess() { kill_and_reap(); }

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      exit_code_(std::exchange(other.exit_code_, std::nullopt)),
      reaped_(std::exchange(other.reaped_, false)),
      log_file_(std::move(other.log_file_)),
      owns_log_file_(std::exchange(other.owns_log_file_, false)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = std::exchange(other.exit_code_, std::nullopt);
    reaped_ = std::exchange(other.reaped_, false);
    log_file_ = std::move(other.log_file_);
    owns_log_file_ = std::exchange(other.owns_log_file_, false);
  }
  return *this;
}

void ChildProcess::kill_and_reap() noexcept {
  if (pid_ > 0 && !reaped_) {
    // Not reaped yet, so pid_ still names our child and its group: neither can be someone else's.
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  if (owns_log_file_ && !log_file_.empty()) ::unlink(log_file_.c_str());
  owns_log_file_ = false;
  pid_ = -1;
}

std::optional<int> ChildProcess::poll_exit() {
  if (exit_code_ || pid_ <= 0) return exit_code_;
  siginfo_t info{};
  for (;;) {
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0) break;
    if (errno == EINTR) continue;
    // ECHILD: someone else reaped it (SIGCHLD ignored?); the status is lost.
    exit_code_ = -1;
    reaped_ = true;
    return exit_code_;
  }
  if (info.si_pid != pid_) return std::nullopt;  // still running
  if (info.si_code == CLD_EXITED) {
    exit_code_ = info.si_status;
  } else if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
    exit_code_ = 128 + info.si_status;
  }
  return exit_code_;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto step = std::chrono::milliseconds(1);
  for (;;) {
    if (auto code = poll_exit()) return code;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::nullopt;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(step, deadline - now));
    step = std::min(step * 2, std::chrono::milliseconds(20));
  }
}

bool ChildProcess::running() { return pid_ > 0 && !poll_exit().has_value(); }

bool ChildProcess::signal(int sig) { return running() && ::kill(pid_, sig) == 0; }

bool ChildProcess::signal_group(int sig) { return pid_ > 0 && !reaped_ && ::kill(-pid_, sig) == 0; }

std::string ChildProcess::output() const { return read_file(log_file_); }

bool ChildProcess::wait_for_output(std::string_view needle, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (output().find(needle) != std::string::npos) return true;
    if (!running()) return output().find(needle) != std::string::npos;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace nsl::testing
