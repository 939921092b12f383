// nsl/enclave/supervisor.hpp — runs nsl-enclave as a child of `nsl serve` (embedded profile, enclave.spawn).
//
// start() launches the binary; a monitor thread waits for it and, when it exits for any reason, launches it
// again after a backoff that doubles from `backoff_initial` up to `backoff_max` and resets once a run has lasted
// `stable_after`. Every exit is logged with its status. The child gets PR_SET_PDEATHSIG(SIGTERM), so it never
// outlives nsl, runs in its own process group (a terminal's Ctrl-C reaches nsl only, which drains before stopping
// it), and inherits stdout/stderr (its JSON log lines interleave with nsl's) and the environment (so it
// reads the same NSL_* configuration). stop() sends SIGTERM, waits up to `stop_timeout`, then SIGKILLs.
//
// Readiness is not decided here: the enclave client reports whether the enclave answers.
//
// Thread-safety: start()/stop() from one thread; running(), pid() and restarts() from any.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"

namespace nsl::enclave {

struct SupervisorOptions {
  std::string binary;             // absolute or relative path of nsl-enclave
  std::vector<std::string> args;  // argv[1..]
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{10000};
  std::chrono::milliseconds stable_after{30000};
  std::chrono::milliseconds stop_timeout{5000};
};

class Supervisor {
 public:
  explicit Supervisor(SupervisorOptions options) : opt_(std::move(options)) {}
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Launches the first child; failed_precondition if the binary is not an executable file.
  Status start();
  void stop();

  bool running() const noexcept { return pid_.load() > 0; }
  pid_t pid() const noexcept { return pid_.load(); }
  unsigned restarts() const noexcept { return restarts_.load(); }

 private:
  Result<pid_t> spawn();
  void monitor();

  SupervisorOptions opt_;
  std::atomic<pid_t> pid_{0};
  std::atomic<unsigned> restarts_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread monitor_;
};

// The nsl-enclave next to the running executable (/proc/self/exe's directory), for enclave.binary = "".
std::string default_enclave_binary();

}  // namespace nsl::enclave
