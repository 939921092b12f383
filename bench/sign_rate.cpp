// bench/sign_rate.cpp — secp256r1 signing rates for bench/sign_load.sh (see bench/README.md, "Signing load").
//
//   bench_sign_rate raw SECONDS [THREADS]
//       The repo's crypto as nsl-enclave calls it, in this process: one secp256r1 key prepared once
//       (crypto::prepare_signing_key, as the enclave's key cache holds it) and shared by THREADS threads (default
//       1), each calling crypto::ecdsa_sign(key, digest) over a 32-byte digest in a loop (low-S, as the service
//       signs). Prints "raw threads=T signs=N seconds=S rate=R failures=F". Then, for comparison, the same for
//       SECONDS more with the per-call path crypto::ecdsa_sign(secp256r1, d, digest), which imports d into
//       OpenSSL on every call: "raw_per_call threads=T signs=N seconds=S per_call_rate=R failures=F" (the field
//       is not called "rate=", so sign_load.sh reads only the first line's figure).
//   bench_sign_rate enclave SOCKET SECONDS WINDOW [CONNECTIONS]
//       nsl's EnclaveClient -> a running nsl-enclave over its Unix socket: one secp256r1 key generated in the
//       enclave (a throw-away binding), then EnclaveClient::sign_async of a 32-byte digest with up to WINDOW
//       requests in flight, refilled a quarter of the window at a time (WINDOW=1: one at a time, a full round trip
//       each). CONNECTIONS defaults to nsl's
//       enclave.connections default (sign_load.sh passes the server's value). Prints "enclave window=W signs=N seconds=S rate=R failures=F".
//
// Plain programs rather than google-benchmark: the shell script needs one number per figure, from a fixed,
// configurable duration, and the enclave run needs a socket path from the running server.
#include <atomic>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "crypto/ecdsa.hpp"
#include "crypto/hash.hpp"
#include "enclave/client.hpp"
#include "obs/log.hpp"

namespace {

using Clock = std::chrono::steady_clock;

int usage() {
  std::fprintf(stderr,
               "usage: bench_sign_rate raw SECONDS [THREADS]\n"
               "       bench_sign_rate enclave SOCKET SECONDS WINDOW [CONNECTIONS]\n");
  return 2;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Runs `sign` on `threads` threads for `seconds`; returns {signatures, failures, elapsed seconds}.
template <class Sign>
std::tuple<long, long, double> run_threads(double seconds, int threads, const Sign& sign) {
  std::atomic<bool> stop{false};
  std::atomic<long> total{0};
  std::atomic<long> failures{0};
  std::vector<std::thread> pool;
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!sign()) failures.fetch_add(1);
        ++n;
      }
      total.fetch_add(n);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  return {total.load(), failures.load(), seconds_since(t0)};
}

int raw(double seconds, int threads) {
  using namespace nsl::crypto;  // NOLINT(google-build-using-namespace)
  const auto digest = sha256(as_bytes("nsl sign_rate digest"));
  const auto d = ec_generate_private_key(Curve::secp256r1);
  auto prepared = prepare_signing_key(Curve::secp256r1, d);
  if (!prepared.ok()) {
    std::fprintf(stderr, "bench_sign_rate: prepare_signing_key failed: %s\n", prepared.error().message().c_str());
    return 1;
  }
  const EcSigningKey& key = *prepared;
  const auto [n, failures, s] = run_threads(seconds, threads, [&] { return ecdsa_sign(key, digest).ok(); });
  std::printf("raw threads=%d signs=%ld seconds=%.3f rate=%.1f failures=%ld\n", threads, n, s,
              static_cast<double>(n) / s, failures);
  std::fflush(stdout);
  const auto [n2, failures2, s2] =
      run_threads(seconds, threads, [&] { return ecdsa_sign(Curve::secp256r1, d, digest).ok(); });
  std::printf("raw_per_call threads=%d signs=%ld seconds=%.3f per_call_rate=%.1f failures=%ld\n", threads, n2, s2,
              static_cast<double>(n2) / s2, failures2);
  return failures == 0 && failures2 == 0 ? 0 : 1;
}

int enclave_run(const std::string& socket, double seconds, int window, unsigned connections) {
  using namespace nsl;  // NOLINT(google-build-using-namespace)
  obs::set_sink([](std::string_view) {});  // the client's log lines would mix with the result
  enclave::EnclaveClient client({.socket_path = socket, .connections = connections});
  for (int i = 0; i < 1000 && !client.ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!client.ready()) {
    std::fprintf(stderr, "bench_sign_rate: enclave at %s not ready after 10 s\n", socket.c_str());
    return 1;
  }
  const enclave::Binding binding{.tenant_id = "bench-sign-rate", .object_id = "key-1", .version = 1,
                                 .purpose = "signing"};
  auto key = client.generate_key(binding, enclave::KeyCurve::secp256r1);
  if (!key.ok()) {
    std::fprintf(stderr, "bench_sign_rate: generate_key failed: %s\n", key.error().message().c_str());
    return 1;
  }
  const auto digest = crypto::sha256(crypto::as_bytes("nsl sign_rate digest"));
  const auto payload = enclave::SignPayload::of_digest(digest);
  // Warm the enclave's key cache (first use unseals the key) and the connections.
  for (int i = 0; i < 16; ++i) {
    if (auto s = client.sign(binding, key->sealed, payload); !s.ok()) {
      std::fprintf(stderr, "bench_sign_rate: sign failed: %s\n", s.error().message().c_str());
      return 1;
    }
  }
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  long done = 0;
  long failures = 0;
  // The window is refilled a quarter at a time: this loop wakes once per `refill` answers, not once per answer
  // (its wake-ups would otherwise cost the machine about as much as the enclave's own socket work).
  const int refill = std::max(1, window / 4);
  const auto t0 = Clock::now();
  const auto until = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < until) {
    int room = 0;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight <= window - refill; });
      room = window - in_flight;
      in_flight = window;
    }
    for (int i = 0; i < room; ++i) {
      client.sign_async(binding, key->sealed, payload, [&](Result<enclave::Signature> sig) {
        std::lock_guard lock(mu);
        if (!sig.ok()) ++failures;
        ++done;
        if (--in_flight == window - refill || in_flight == 0) cv.notify_all();
      });
    }
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  const double s = seconds_since(t0);
  std::printf("enclave window=%d connections=%u signs=%ld seconds=%.3f rate=%.1f failures=%ld\n", window,
              connections, done, s, static_cast<double>(done) / s, failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  if (mode == "raw") {
    const double secs = std::atof(argv[2]);
    const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
    if (secs <= 0 || threads < 1) return usage();
    return raw(secs, threads);
  }
  if (mode == "enclave" && argc >= 5) {
    const double secs = std::atof(argv[3]);
    const int window = std::atoi(argv[4]);
    const int conns = argc > 5 ? std::atoi(argv[5]) : static_cast<int>(nsl::enclave::ClientOptions{}.connections);
    if (secs <= 0 || window < 1 || conns < 1 || conns > 64) return usage();
    return enclave_run(argv[2], secs, window, static_cast<unsigned>(conns));
  }
  return usage();
}
