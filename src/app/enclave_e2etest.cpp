// End-to-end tests of nsl-enclave as a real process: supervised by `nsl serve` on the embedded default, and run
// on its own. Load comes from the enclave client in this test process, over the same socket nsl uses.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/strings.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/hash.hpp"
#include "enclave/client.hpp"
#include "harness/harness.hpp"

namespace nsl::testing {
namespace {

using namespace std::chrono_literals;
using enclave::Binding;
using enclave::Bytes;
using enclave::EnclaveClient;
using enclave::KeyCurve;
using enclave::SignPayload;

std::string enclave_binary() { return build_dir() + "/bin/nsl-enclave"; }

nlohmann::json json_of(const HttpResponse& r) { return nlohmann::json::parse(r.body, nullptr, false); }

// The pid of the newest "enclave process (re)started" line in nsl's log, or -1.
pid_t enclave_pid(const std::string& logs) {
  pid_t pid = -1;
  std::istringstream in(logs);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    const auto msg = j.value("msg", "");
    if (msg == "enclave process started" || msg == "enclave process restarted") pid = j.value("pid", -1);
  }
  return pid;
}

class Serve {
 public:
  explicit Serve(const std::string& extra_toml = "") : http_(free_tcp_port()) {
    config_ = dir_.write_file("nsl.toml", "[server]\nhttp_port = " + std::to_string(http_) +
                                              "\nhttps_port = 0\nmetrics_port = 0\nworkers = 2\n"
                                              "[data]\ndir = \"" + dir_.path() + "/data\"\n" + extra_toml);
    proc_ = std::make_unique<ChildProcess>(std::vector<std::string>{nsl_binary(), "serve", "--config", config_},
                                           std::vector<std::pair<std::string, std::string>>{},
                                           dir_.path() + "/nsl.log");
  }
  std::string url(const std::string& p) const { return "http://127.0.0.1:" + std::to_string(http_) + p; }
  std::string socket() const { return dir_.path() + "/data/enclave.sock"; }
  std::string data() const { return dir_.path() + "/data"; }
  std::string logs() const { return proc_->output(); }
  bool wait_status(const std::string& path, int status, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (http_get(url(path)).status == status) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  ChildProcess& proc() { return *proc_; }
  const std::string& config() const { return config_; }
  TempDir& dir() { return dir_; }

 private:
  TempDir dir_;
  int http_;
  std::string config_;
  std::unique_ptr<ChildProcess> proc_;
};

bool wait_ready(const EnclaveClient& c, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!c.ready() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  return c.ready();
}

const Binding kBinding{.tenant_id = "tenant-a", .object_id = "key-1", .version = 1, .purpose = "signing"};

TEST(EnclaveE2E, EmbeddedDefaultSupervisesASimEnclaveAndSaysSo) {
  Serve s;
  ASSERT_TRUE(s.wait_status("/health/ready", 200, 20s)) << s.logs();
  auto info = json_of(http_get(s.url("/v1/info")));
  EXPECT_EQ(info["enclave_mode"], "sim");
  EXPECT_EQ(info["enclave"]["mode"], "sim");
  EXPECT_EQ(info["enclave"]["simulated"], true);
  EXPECT_EQ(info["enclave"]["ready"], true);
  EXPECT_EQ(info["enclave"]["seal_policy"], "signer");
  EXPECT_EQ(info["enclave"]["measurement"].get<std::string>().size(), 64u);
  ASSERT_TRUE(info["warnings"].is_array());
  EXPECT_NE(info["warnings"][0].get<std::string>().find("simulated enclave"), std::string::npos);
  auto ready = json_of(http_get(s.url("/health/ready")));
  EXPECT_EQ(ready["checks"]["enclave"]["ok"], true) << ready.dump();
  // The embedded database is created and migrated at start, and readiness checks it too.
  EXPECT_EQ(ready["checks"]["storage"]["ok"], true) << ready.dump();
  EXPECT_FALSE(read_file(s.data() + "/nsl.db").empty());
  EXPECT_NE(s.logs().find("database ready"), std::string::npos);
  EXPECT_NE(s.logs().find("SIMULATED ENCLAVE"), std::string::npos);

  struct stat st {};
  ASSERT_EQ(::stat(s.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((s.data() + "/enclave/sealing.secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// Ctrl-C in a terminal signals the whole foreground process group. The enclave runs in a group of its own, so
// nsl drains first and only then stops it with SIGTERM; everything exits cleanly.
TEST(EnclaveE2E, TerminalInterruptStopsNslFirstThenTheEnclave) {
  Serve s;
  ASSERT_TRUE(s.wait_status("/health/ready", 200, 20s)) << s.logs();
  ASSERT_TRUE(s.proc().signal_group(SIGINT));
  auto code = s.proc().wait_exit(20s);
  ASSERT_TRUE(code.has_value()) << s.logs();
  EXPECT_EQ(*code, 0) << s.logs();
  const std::string logs = s.logs();
  // nsl took the SIGINT; the enclave was stopped by nsl (SIGTERM), not by the terminal's SIGINT. (The two
  // processes' log lines interleave by write time, so their order in the file proves nothing.)
  EXPECT_NE(logs.find("\"msg\":\"shutdown requested: draining\",\"signal\":2"), std::string::npos) << logs;
  EXPECT_NE(logs.find("\"msg\":\"enclave: shutdown requested\",\"signal\":15"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("\"msg\":\"enclave: shutdown requested\",\"signal\":2"), std::string::npos) << logs;
  EXPECT_NE(logs.find("enclave process stopped"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("enclave process ended; restarting"), std::string::npos) << logs;
}

// Gramine keeps Unix sockets inside the enclave, so there the enclave listens on loopback TCP and every
// connection must first present the shared token.
TEST(EnclaveE2E, LoopbackTcpTransportWithToken) {
  const int port = free_tcp_port();
  const std::string token = "e2e-token-0123456789abcdef0123456789";
  Serve s("[enclave]\nsocket = \"tcp://127.0.0.1:" + std::to_string(port) + "\"\ntoken = \"" + token + "\"\n");
  ASSERT_TRUE(s.wait_status("/health/ready", 200, 20s)) << s.logs();
  EXPECT_EQ(s.logs().find(token), std::string::npos) << "the token reached a log line";
  EnclaveClient good({.tcp_host = "127.0.0.1", .tcp_port = static_cast<std::uint16_t>(port),
                      .token = SecretString(token)});
  ASSERT_TRUE(wait_ready(good, 5s));
  EXPECT_TRUE(good.generate_key(kBinding, KeyCurve::ed25519).ok());
  EnclaveClient bad({.tcp_host = "127.0.0.1", .tcp_port = static_cast<std::uint16_t>(port),
                     .token = SecretString(std::string(40, 'x'))});
  EXPECT_FALSE(wait_ready(bad, 500ms));
  EXPECT_FALSE(bad.generate_key(kBinding, KeyCurve::ed25519).ok());
}

// Runs `nsl ARGS...` to completion: exit code and output.
std::pair<int, std::string> run_nsl(std::vector<std::string> args, const std::string& log) {
  args.insert(args.begin(), nsl_binary());
  ChildProcess p(args, {}, log);
  auto code = p.wait_exit(30s);
  return {code.value_or(-1), p.output()};
}

// The operator's loop: ask the running enclave for a quote of its transport key, then verify it offline.
TEST(EnclaveE2E, QuoteFromTheRunningEnclaveVerifiesOnlyWhenSimulatedQuotesAreAllowed) {
  Serve s;
  ASSERT_TRUE(s.wait_status("/health/ready", 200, 20s)) << s.logs();
  const std::string log = s.dir().path() + "/cli.log";
  auto [info_rc, info_out] = run_nsl({"enclave", "info", "--config", s.config(), "--json"}, log);
  ASSERT_EQ(info_rc, 0) << info_out;
  auto info = nlohmann::json::parse(info_out, nullptr, false);
  ASSERT_TRUE(info.is_object()) << info_out;
  EXPECT_EQ(info["mode"], "sim");
  EXPECT_EQ(info["simulated"], true);
  const std::string quote = s.dir().path() + "/quote.bin";
  auto [q_rc, q_out] = run_nsl({"enclave", "quote", "--config", s.config(), "--out", quote, "--nonce", "00ff10", "--json"}, log);
  ASSERT_EQ(q_rc, 0) << q_out;
  auto q = nlohmann::json::parse(q_out, nullptr, false);
  EXPECT_EQ(q["format"], "sim");
  EXPECT_EQ(q["transport_public_key"], info["transport_public_key"]);
  auto [v_rc, v_out] = run_nsl({"attest", "verify", quote, "--allow-simulated", "--json"}, log);
  EXPECT_EQ(v_rc, 0) << v_out;
  auto v = nlohmann::json::parse(v_out, nullptr, false);
  ASSERT_TRUE(v.is_object()) << v_out;
  EXPECT_EQ(v.dump().find(q["report_data"].get<std::string>()) != std::string::npos, true) << v_out;
  auto [deny_rc, deny_out] = run_nsl({"attest", "verify", quote}, log);
  EXPECT_EQ(deny_rc, 1) << deny_out;
  EXPECT_NE(deny_out.find("simulated quote not allowed"), std::string::npos) << deny_out;
  auto [down_rc, down_out] = run_nsl({"enclave", "info", "--socket", s.dir().path() + "/nowhere.sock"}, log);
  EXPECT_EQ(down_rc, 1);
  EXPECT_NE(down_out.find("unavailable"), std::string::npos) << down_out;
}

// kill -9 of the enclave under signing load: calls fail cleanly (unavailable / deadline_exceeded, never a hang
// or a wrong answer), readiness drops, the supervisor restarts it, calls recover, and keys sealed before the
// crash still sign (same sealing secret, signer policy).
TEST(EnclaveE2E, KillNineMidLoadFailsCleanlyThenRecovers) {
  Serve s;
  ASSERT_TRUE(s.wait_status("/health/ready", 200, 20s)) << s.logs();
  EnclaveClient client({.socket_path = s.socket(), .connections = 2, .deadline = 2000ms,
                        .backoff_initial = 20ms, .backoff_max = 200ms});
  ASSERT_TRUE(wait_ready(client, 5s));
  auto key = client.generate_key(kBinding, KeyCurve::secp256r1);
  ASSERT_TRUE(key.ok()) << key.error().message();
  const auto digest = crypto::sha256(crypto::as_bytes("transfer 10 GAS"));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, clean_failures{0}, wrong{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&] {
      while (!stop.load()) {
        auto sig = client.sign(kBinding, key->sealed, SignPayload::of_digest(digest));
        if (sig.ok()) {
          if (crypto::ecdsa_verify(crypto::Curve::secp256r1, key->public_key, digest, *sig)) {
            ok.fetch_add(1);
          } else {
            wrong.fetch_add(1);
          }
        } else if (sig.error().code() == ErrorCode::unavailable ||
                   sig.error().code() == ErrorCode::deadline_exceeded) {
          clean_failures.fetch_add(1);
          std::this_thread::sleep_for(5ms);
        } else {
          wrong.fetch_add(1);
        }
      }
    });
  }
  std::this_thread::sleep_for(300ms);
  const int before_kill = ok.load();
  const pid_t pid = enclave_pid(s.logs());
  ASSERT_GT(pid, 0) << s.logs();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  // Readiness reports the outage (the restart backoff is 200 ms, so it is visible), then recovers.
  EXPECT_TRUE(s.wait_status("/health/ready", 503, 3s)) << "readiness never dropped";
  EXPECT_TRUE(s.wait_status("/health/ready", 200, 15s)) << s.logs();
  ASSERT_TRUE(wait_ready(client, 10s));
  const int after_restart = ok.load();
  std::this_thread::sleep_for(300ms);
  stop.store(true);
  for (auto& t : load) t.join();

  EXPECT_GT(before_kill, 0);
  EXPECT_GT(ok.load(), after_restart) << "signing did not resume after the restart";
  EXPECT_GT(clean_failures.load(), 0) << "the outage was not observed";
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_NE(s.logs().find("enclave process ended; restarting"), std::string::npos);
  EXPECT_NE(s.logs().find("killed by signal"), std::string::npos);
  EXPECT_GT(enclave_pid(s.logs()), 0);
  EXPECT_NE(enclave_pid(s.logs()), pid);
  // The key sealed before the crash still works with the restarted enclave.
  auto sig = client.sign(kBinding, key->sealed, SignPayload::of_digest(digest));
  ASSERT_TRUE(sig.ok()) << sig.error().message();
}

TEST(EnclaveE2E, StandaloneEnclaveKeepsSealedKeysAcrossRestartsAndStopsCleanly) {
  TempDir dir;
  const std::string sock = dir.path() + "/e.sock";
  const std::vector<std::pair<std::string, std::string>> env = {{"NSL_DATA_DIR", dir.path() + "/data"},
                                                                {"NSL_ENCLAVE_SOCKET", sock}};
  Bytes sealed;
  Bytes pub;
  const auto digest = crypto::sha256(crypto::as_bytes("hello"));
  {
    ChildProcess e({enclave_binary()}, env, dir.path() + "/e1.log");
    ASSERT_TRUE(e.wait_for_output("enclave started", 10s)) << e.output();
    EnclaveClient client({.socket_path = sock});
    ASSERT_TRUE(wait_ready(client, 5s));
    auto key = client.generate_key(kBinding, KeyCurve::secp256k1);
    ASSERT_TRUE(key.ok());
    sealed = key->sealed;
    pub = key->public_key;
    EXPECT_TRUE(e.signal(SIGTERM));
    auto code = e.wait_exit(10s);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << e.output();
    EXPECT_NE(e.output().find("enclave stopped"), std::string::npos);
    // The sealing secret never reaches the log.
    const std::string secret = read_file(dir.path() + "/data/enclave/sealing.secret");
    ASSERT_EQ(secret.size(), 32u);
    const std::string secret_hex =
        to_hex(std::span(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()));
    EXPECT_EQ(e.output().find(secret_hex), std::string::npos);
  }
  struct stat st {};
  EXPECT_NE(::stat(sock.c_str(), &st), 0) << "socket left behind after a clean stop";
  ChildProcess e2({enclave_binary()}, env, dir.path() + "/e2.log");
  ASSERT_TRUE(e2.wait_for_output("enclave started", 10s)) << e2.output();
  EnclaveClient client({.socket_path = sock});
  ASSERT_TRUE(wait_ready(client, 5s));
  auto sig = client.sign(kBinding, sealed, SignPayload::of_digest(digest));
  ASSERT_TRUE(sig.ok()) << sig.error().message();
  EXPECT_TRUE(crypto::ecdsa_verify(crypto::Curve::secp256k1, pub, digest, *sig));
  // Another tenant cannot use the blob.
  Binding other = kBinding;
  other.tenant_id = "tenant-b";
  auto stolen = client.sign(other, sealed, SignPayload::of_digest(digest));
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.error().code(), ErrorCode::permission_denied);
}

TEST(EnclaveE2E, RefusesALooseSealingSecret) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  dir.write_file("data/enclave/sealing.secret", std::string(32, 'x'));
  ::chmod((data + "/enclave").c_str(), 0700);
  ::chmod((data + "/enclave/sealing.secret").c_str(), 0644);
  ChildProcess e({enclave_binary()}, {{"NSL_DATA_DIR", data}, {"NSL_ENCLAVE_SOCKET", dir.path() + "/e.sock"}},
                 dir.path() + "/e.log");
  auto code = e.wait_exit(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(e.output().find("sealing.secret"), std::string::npos) << e.output();
}

TEST(EnclaveE2E, ProductionProfileRefusesTheSimEnclave) {
  TempDir dir;
  ChildProcess e({enclave_binary()}, {{"NSL_PROFILE", "production"}, {"NSL_DATA_DIR", dir.path()}},
                 dir.path() + "/e.log");
  auto code = e.wait_exit(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_NE(e.output().find("protects nothing"), std::string::npos) << e.output();
}

}  // namespace
}  // namespace nsl::testing
