// nsl-enclave — the trusted process: the only one that holds private keys and the sealing key in plaintext.
//
//   nsl-enclave [--config FILE]      serve the enclave protocol on enclave.socket until SIGTERM/SIGINT
//   nsl-enclave version              print the build version
//
// Configuration is nsl's own (same file, same NSL_* environment): profile, data.dir, log.*, enclave.*.
// `nsl serve` starts it this way when enclave.spawn is true; production runs it on its own (SGX DaemonSet).
#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "enclave/trusted/core.hpp"
#include "enclave/trusted/hardening.hpp"
#include "enclave/trusted/server.hpp"
#include "obs/log.hpp"

namespace {

constexpr const char* kUsage =
    "usage: nsl-enclave [--config FILE] | nsl-enclave version\n"
    "Serves the nsl enclave protocol on enclave.socket (default <data.dir>/enclave.sock) until SIGTERM.\n";

int run(const std::string& config_path) {
  using namespace nsl;  // NOLINT(google-build-using-namespace)
  // Signals go to one thread (sigwait) so that no worker is interrupted mid-operation.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto cfg = config::load(config_path, config::process_env());
  if (!cfg.ok()) {
    std::cerr << "nsl-enclave: configuration error:\n" << cfg.error().message() << "\n";
    return 2;
  }
  obs::Level lvl = obs::Level::info;
  obs::parse_level(cfg->log.level, lvl);
  obs::set_level(lvl);
  obs::set_redactions(config::secret_values(*cfg));

  auto mode = enclave::parse_mode(cfg->enclave.mode);
  if (!mode.ok()) {
    std::cerr << "nsl-enclave: " << mode.error().message() << "\n";
    return 2;
  }
  const enclave::trusted::HardeningReport hardening = enclave::trusted::harden_process();
  if (!hardening.not_dumpable || !hardening.memory_locked) {
    // Under Gramine the host cannot read enclave memory whatever prctl/mlock say (Gramine does not implement
    // them), so this is information there; elsewhere it is a gap the operator should close.
    obs::log(*mode == enclave::Mode::gramine_sgx ? obs::Level::info : obs::Level::warn,
             "enclave: process hardening incomplete",
             {{"not_dumpable", hardening.not_dumpable}, {"memory_locked", hardening.memory_locked},
              {"detail", hardening.detail}});
  }

  {
    std::error_code ec;
    std::filesystem::create_directories(cfg->data.dir, ec);
    if (ec) {
      obs::log_error("enclave: cannot create the data directory", {{"dir", cfg->data.dir}, {"error", ec.message()}});
      obs::flush();
      return 1;
    }
  }
  enclave::trusted::CoreOptions core_options;
  core_options.mode = *mode;
  core_options.data_dir = cfg->data.dir;
  core_options.seal_policy = cfg->enclave.seal_policy;
  core_options.key_cache_capacity = cfg->enclave.key_cache_size;
  auto core = enclave::trusted::TrustedCore::open(std::move(core_options));
  if (!core.ok()) {
    obs::log_error("enclave: cannot start", {{"error", core.error().message()}});
    obs::flush();
    return 1;
  }
  auto identity = (*core)->identity();
  if (*mode == enclave::Mode::sim) {
    obs::log_warn(
        "SIMULATED ENCLAVE: no hardware protection. Private keys and the sealing secret are readable by "
        "anyone with access to this host and its data dir. For development only.",
        {{"mode", "sim"},
         {"sealing_secret", cfg->data.dir + "/enclave/sealing.secret"},
         {"hint", "production needs enclave.mode = gramine-sgx, tdx or snp"}});
  }

  auto endpoint = config::enclave_endpoint(*cfg);  // validated by config::load
  enclave::trusted::ServerOptions server_options;
  server_options.socket_path = endpoint->path;
  server_options.tcp_host = endpoint->tcp_host;
  server_options.tcp_port = endpoint->tcp_port;
  server_options.token = cfg->enclave.token;
  server_options.workers = cfg->enclave.workers;
  server_options.max_frame = cfg->enclave.max_frame_bytes;
  auto server = enclave::trusted::Server::listen(**core, server_options);
  if (!server.ok()) {
    obs::log_error("enclave: cannot listen", {{"error", server.error().message()}});
    obs::flush();
    return 1;
  }
  obs::log_info("enclave started",
                {{"mode", cfg->enclave.mode},
                 {"seal_policy", cfg->enclave.seal_policy},
                 {"socket", config::enclave_socket_path(*cfg)},
                 {"version", identity.ok() ? identity->version : std::string("?")},
                 {"not_dumpable", hardening.not_dumpable},
                 {"memory_locked", hardening.memory_locked}});

  std::thread signals([&server, sigs] {
    for (;;) {
      int sig = 0;
      if (sigwait(&sigs, &sig) != 0) continue;
      if (sig == SIGHUP) continue;  // nothing to reload; restart to change settings
      obs::log_info("enclave: shutdown requested", {{"signal", sig}});
      (*server)->stop();
      return;
    }
  });
  (*server)->run();
  // run() returns only after stop(), which the signal thread called.
  signals.join();
  obs::flush();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "version" || a == "--version") {
      std::cout << "nsl-enclave " << nsl::enclave::trusted::kEnclaveVersion << "\n";
      return 0;
    }
    if (a == "help" || a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if ((a == "--config" || a == "-c") && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else {
      std::cerr << "nsl-enclave: unexpected argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  return run(config_path);
}
