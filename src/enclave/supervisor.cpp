#include "enclave/supervisor.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "core/thread_name.hpp"
#include "obs/log.hpp"

namespace nsl::enclave {

using Clock = std::chrono::steady_clock;

std::string default_enclave_binary() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "nsl-enclave";
  std::string self(buf, static_cast<std::size_t>(n));
  const auto slash = self.rfind('/');
  return slash == std::string::npos ? "nsl-enclave" : self.substr(0, slash + 1) + "nsl-enclave";
}

Supervisor::~Supervisor() { stop(); }

Status Supervisor::start() {
  struct stat st {};
  if (::stat(opt_.binary.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(opt_.binary.c_str(), X_OK) != 0) {
    return err::failed_precondition("enclave binary " + opt_.binary +
                                    " is not an executable file (set enclave.binary, or enclave.spawn = false "
                                    "to connect to an enclave run separately)");
  }
  NSL_TRY_ASSIGN(pid_t pid, spawn());
  pid_.store(pid);
  obs::log_info("enclave process started", {{"pid", static_cast<std::int64_t>(pid)}, {"binary", opt_.binary}});
  monitor_ = std::thread([this] {
    set_thread_name("nsl-supervisor");
    monitor();
  });
  return {};
}

Result<pid_t> Supervisor::spawn() {
  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<std::string> argv_store;
  argv_store.push_back(opt_.binary);
  argv_store.insert(argv_store.end(), opt_.args.begin(), opt_.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  sigset_t none;
  sigemptyset(&none);

  const pid_t pid = ::fork();
  if (pid < 0) return err::unavailable(std::string("cannot start the enclave: fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);  // nsl died between fork and prctl
    // Its own process group: a terminal's Ctrl-C (sent to the whole foreground group) reaches only nsl, which
    // drains its requests first and then stops the enclave.
    ::setpgid(0, 0);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD}) ::signal(s, SIG_DFL);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

namespace {

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(status));
  return "stopped";
}

}  // namespace

void Supervisor::monitor() {
  auto backoff = opt_.backoff_initial;
  auto started = Clock::now();
  for (;;) {
    const pid_t p = pid_.load();
    if (p > 0) {
      int status = 0;
      while (::waitpid(p, &status, 0) < 0 && errno == EINTR) {
      }
      pid_.store(0);
      {
        std::lock_guard lock(mu_);
        if (stopping_) {
          obs::log_info("enclave process stopped", {{"status", describe_exit(status)}});
          cv_.notify_all();
          return;
        }
      }
      if (Clock::now() - started >= opt_.stable_after) backoff = opt_.backoff_initial;
      obs::log_error("enclave process ended; restarting",
                     {{"status", describe_exit(status)},
                      {"restart_in_ms", static_cast<std::int64_t>(backoff.count())},
                      {"restarts", restarts_.load()}});
    }
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, backoff, [this] { return stopping_; })) return;
    }
    backoff = std::min(opt_.backoff_max, backoff * 2);
    auto pid = spawn();
    if (!pid.ok()) {
      obs::log_error("enclave restart failed", {{"error", pid.error().message()}});
      continue;
    }
    started = Clock::now();
    restarts_.fetch_add(1);
    {
      std::lock_guard lock(mu_);
      pid_.store(*pid);
      if (stopping_) ::kill(*pid, SIGTERM);  // stop() ran while this child was being started
    }
    obs::log_info("enclave process restarted", {{"pid", static_cast<std::int64_t>(*pid)}});
  }
}

void Supervisor::stop() {
  if (!monitor_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (const pid_t p = pid_.load(); p > 0) ::kill(p, SIGTERM);
  }
  cv_.notify_all();
  {
    std::unique_lock lock(mu_);
    const bool exited = cv_.wait_for(lock, opt_.stop_timeout, [this] { return pid_.load() == 0; });
    if (!exited) {
      if (const pid_t p = pid_.load(); p > 0) {
        obs::log_warn("enclave did not stop in time; killing it", {{"pid", static_cast<std::int64_t>(p)}});
        ::kill(p, SIGKILL);
      }
    }
  }
  monitor_.join();
}

}  // namespace nsl::enclave
