// Signing through the enclave socket vs directly in process.
//
// BM_EnclaveSignInProcess calls TrustedCore::sign() in a loop: the baseline, with no transport at all (key cache
// hit + ECDSA P-256). BM_EnclaveSignSocket/N does the same signatures through nsl-enclave's server and the
// client over a Unix socket in this process, keeping N requests in flight (sign_async, a window of N). The
// ratio items_per_second(socket, N) / items_per_second(in-process) is the share of raw signing throughput the
// protocol keeps; bench/enclave_ratio.sh prints it against one in-process thread and against one per CPU.
// Goal: >= 0.7 for pipelined (N >= 16) signing.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "crypto/hash.hpp"
#include "enclave/client.hpp"
#include "enclave/trusted/core.hpp"
#include "enclave/trusted/server.hpp"
#include "obs/log.hpp"

namespace nsl::enclave::trusted {
namespace {

const Binding kBinding{.tenant_id = "bench", .object_id = "key-1", .version = 1, .purpose = "signing"};

// One enclave (core + socket server + client) for the whole run.
struct Rig {
  Rig() {
    obs::set_sink([](std::string_view) {});  // the server's log lines would mix with benchmark output
    char tmpl[] = "/tmp/nsl-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    auto c = TrustedCore::open({.mode = Mode::sim, .data_dir = dir, .measurement_override = Bytes(32, 1)});
    if (!c.ok()) std::abort();
    core = std::move(*c);
    auto k = core->generate_key(kBinding, KeyCurve::secp256r1);
    if (!k.ok()) std::abort();
    key = std::move(*k);
    auto s = Server::listen(*core, {.socket_path = dir + "/e.sock"});
    if (!s.ok()) std::abort();
    server = std::move(*s);
    thread = std::thread([this] { server->run(); });
    client = std::make_unique<EnclaveClient>(ClientOptions{.socket_path = dir + "/e.sock", .connections = 2});
    for (int i = 0; i < 500 && !client->ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!client->ready()) std::abort();
  }
  ~Rig() {
    client.reset();
    server->stop();
    thread.join();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<TrustedCore> core;
  SealedKey key;
  std::unique_ptr<Server> server;
  std::thread thread;
  std::unique_ptr<EnclaveClient> client;
};

Rig& rig() {
  static Rig r;
  return r;
}

const auto kDigest = crypto::sha256(crypto::as_bytes("bench message"));

void BM_EnclaveSignInProcess(benchmark::State& state) {
  Rig& r = rig();
  const auto payload = SignPayload::of_digest(kDigest);
  for (auto _ : state) {
    auto sig = r.core->sign(kBinding, r.key.sealed, payload);
    if (!sig.ok()) state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
// threads:1 is "direct in-process signing"; ThreadPerCpu() is the same with every core busy, which is what the
// enclave's worker pool (one thread per core by default) can reach at best: the fair ceiling for pipelined calls.
BENCHMARK(BM_EnclaveSignInProcess)->UseRealTime()->Threads(1)->ThreadPerCpu();

// Each iteration signs `batch` digests through the socket with at most N in flight.
void BM_EnclaveSignSocket(benchmark::State& state) {
  Rig& r = rig();
  const auto window = static_cast<int>(state.range(0));
  const int batch = std::max(64, window * 4);
  const auto payload = SignPayload::of_digest(kDigest);
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  int failures = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return in_flight < window; });
        ++in_flight;
      }
      r.client->sign_async(kBinding, r.key.sealed, payload, [&](Result<Signature> sig) {
        std::lock_guard lock(mu);
        if (!sig.ok()) ++failures;
        --in_flight;
        cv.notify_all();
      });
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  if (failures > 0) state.SkipWithError("socket signing failed");
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_EnclaveSignSocket)->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

}  // namespace
}  // namespace nsl::enclave::trusted
