// End-to-end tests of `nsl serve` as a separate process: ports, TLS/mTLS, limits, problem+json, metrics
// (checked by promtool), logs, SIGHUP reload and graceful shutdown.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/build_info.hpp"
#include "harness/harness.hpp"
#include "harness/raw_tcp.hpp"

namespace nsl::testing {
namespace {

using namespace std::chrono_literals;

int run_shell(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// One `nsl serve` process on free loopback ports with its own data dir.
class Nsl {
 public:
  explicit Nsl(std::string extra_toml = "", std::vector<std::pair<std::string, std::string>> env = {})
      : http_(free_tcp_port()), https_(free_tcp_port()), metrics_(free_tcp_port()) {
    config_ = dir_.write_file("nsl.toml", "[server]\nhttp_port = " + std::to_string(http_) +
                                              "\nhttps_port = " + std::to_string(https_) +
                                              "\nmetrics_port = " + std::to_string(metrics_) +
                                              "\nworkers = 2\n" + extra_toml + "\n[data]\ndir = \"" +
                                              dir_.path() + "/data\"\n");
    env.emplace_back("NSL_TEST_MARKER", "1");
    proc_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{nsl_binary(), "serve", "--config", config_}, env, dir_.path() + "/nsl.log");
  }

  // Waits for /health/live; false if the process died or did not come up.
  bool wait_ready() { return wait_for_http(url("/health/live"), 20s); }

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(http_) + path; }
  std::string tls_url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(https_) + path;
  }
  std::string metrics_url() const { return "http://127.0.0.1:" + std::to_string(metrics_) + "/metrics"; }
  int http_port() const { return http_; }
  const std::string& config_path() const { return config_; }
  TempDir& dir() { return dir_; }
  ChildProcess& proc() { return *proc_; }
  std::string logs() const { return proc_->output(); }

 private:
  TempDir dir_;
  int http_, https_, metrics_;
  std::string config_;
  std::unique_ptr<ChildProcess> proc_;
};

nlohmann::json json_of(const HttpResponse& r) { return nlohmann::json::parse(r.body, nullptr, false); }

// The server runs on the malloc it was built for (`nsl version` names it): jemalloc is mapped into the
// process exactly when the build linked it.
TEST(Serve, RunsOnTheAllocatorItNames) {
  Nsl n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  std::ifstream maps("/proc/" + std::to_string(n.proc().pid()) + "/maps");
  ASSERT_TRUE(maps.good());
  const std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  const bool jemalloc = text.find("libjemalloc") != std::string::npos;
  EXPECT_EQ(jemalloc, std::string(nsl::app::kAllocator) == "jemalloc") << nsl::app::kAllocator;
}

TEST(Serve, HealthInfoAndTlsOnEmbeddedDefault) {
  Nsl n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  auto live = http_get(n.url("/health/live"));
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(json_of(live)["status"], "alive");
  auto ready = http_get(n.url("/health/ready"));
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(json_of(ready)["status"], "ready");

  auto info = json_of(http_get(n.url("/v1/info")));
  EXPECT_EQ(info["name"], "nsl");
  EXPECT_FALSE(info["version"].get<std::string>().empty());
  EXPECT_TRUE(info.contains("git_revision"));
  EXPECT_TRUE(info.contains("build_type"));
  EXPECT_EQ(info["profile"], "embedded");
  EXPECT_TRUE(info.contains("enclave_mode"));

  HttpRequestOptions o;
  o.url = n.tls_url("/health/live");
  o.insecure = true;
  auto tls = http_request(o);
  EXPECT_EQ(tls.status, 200) << tls.error;
  // Without `insecure` the self-signed certificate must fail verification, and with it as CA it passes.
  o.insecure = false;
  EXPECT_EQ(http_request(o).status, 0);
  o.ca_file = n.dir().path() + "/data/tls/dev-cert.pem";
  EXPECT_EQ(http_request(o).status, 200);
  EXPECT_NE(n.logs().find("generated a self-signed development TLS certificate"), std::string::npos);
}

TEST(Serve, RequestIdProblemJsonAnd405) {
  Nsl n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  HttpRequestOptions o;
  o.url = n.url("/v1/does-not-exist");
  o.headers = {{"X-Request-Id", "e2e-req-1"}};
  auto r = http_request(o);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_EQ(r.headers["x-request-id"], "e2e-req-1");
  EXPECT_EQ(json_of(r)["request_id"], "e2e-req-1");

  o.url = n.url("/health/live");
  o.method = "DELETE";
  r = http_request(o);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET, HEAD");
  EXPECT_EQ(json_of(r)["status"], 405);
}

TEST(Serve, MalformedAndOversizedRequestsGet4xxAndServerSurvives) {
  Nsl n("max_header_bytes = 2048\nmax_body_bytes = 4096\n");
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  struct Case {
    std::string bytes;
    std::string want;
  };
  std::vector<Case> cases = {
      {"GARBAGE\r\n\r\n", "HTTP/1.1 400"},
      {"GET /health/live HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "HTTP/1.1 400"},
      {"GET http://evil/health/live HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400"},
      {"GET /health/live HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.1 400"},
      {"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n", "HTTP/1.1 431"},
      {"POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\n", "HTTP/1.1 413"},
      {"POST /health/live HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2000\r\n" +
           std::string(0x2000, 'b') + "\r\n0\r\n\r\n",
       "HTTP/1.1 413"},
      {"GET /v1/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 404"},
      {"GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "HTTP/1.1 400"},
  };
  for (const auto& c : cases) {
    RawConn conn(n.http_port());
    ASSERT_TRUE(conn.connected());
    conn.send(c.bytes);
    std::string resp = conn.read_until_close(5s);
    EXPECT_EQ(resp.rfind(c.want, 0), 0u) << "input: " << c.bytes.substr(0, 80) << "\nresponse: " << resp.substr(0, 200);
    if (resp.find("HTTP/1.1 4") == 0) {
      EXPECT_NE(resp.find("application/problem+json"), std::string::npos) << resp.substr(0, 300);
    }
  }
  EXPECT_EQ(http_get(n.url("/health/live")).status, 200) << "server must survive bad input";
  EXPECT_TRUE(n.proc().running());
}

TEST(Serve, SlowlorisIsCutOffByHeaderTimeout) {
  Nsl n("header_timeout_ms = 600\nidle_timeout_ms = 5000\n");
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  RawConn conn(n.http_port());
  ASSERT_TRUE(conn.connected());
  auto start = std::chrono::steady_clock::now();
  // One header byte every 100 ms: never completes within the 600 ms head deadline.
  std::string head = "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    if (!conn.send(i < static_cast<int>(head.size()) ? head.substr(i, 1) : "a")) break;
    closed = conn.closed_within(100ms);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed || conn.closed_within(1s));
  EXPECT_LT(elapsed, 3s);
  EXPECT_EQ(http_get(n.url("/health/live")).status, 200);
}

TEST(Serve, MaxConnectionsIsEnforced) {
  Nsl n("max_connections = 2\n");
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  std::this_thread::sleep_for(200ms);  // let wait_ready's connection close
  RawConn a(n.http_port()), b(n.http_port());
  ASSERT_TRUE(a.connected() && b.connected());
  std::this_thread::sleep_for(200ms);
  RawConn c(n.http_port());
  EXPECT_TRUE(c.closed_within(2s)) << "third connection should be closed at accept";
  a.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(a.read_until("alive", 2s).rfind("HTTP/1.1 200", 0), 0u);
  a.close();
  b.close();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(http_get(n.metrics_url()).body.find("nsl_http_connections_rejected_total 0"), std::string::npos);
}

TEST(Serve, MetricsPassPromtoolAndCountRoutes) {
  Nsl n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  for (int i = 0; i < 3; ++i) http_get(n.url("/health/live"));
  http_get(n.url("/nope"));
  auto m = http_get(n.metrics_url());
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.headers["content-type"].find("version=0.0.4"), std::string::npos);
  for (const char* needle :
       {"nsl_http_requests_total{route=\"/health/live\",method=\"GET\",code=\"200\"}",
        "nsl_http_requests_total{route=\"unmatched\",method=\"GET\",code=\"404\"} 1",
        "nsl_http_request_duration_seconds_bucket{route=\"/health/live\",method=\"GET\",le=\"+Inf\"}",
        "nsl_http_requests_in_flight", "nsl_build_info{", "process_resident_memory_bytes",
        "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds",
        "nsl_tls_certificate_expiry_timestamp_seconds"}) {
    EXPECT_NE(m.body.find(needle), std::string::npos) << needle;
  }
  TempDir t;
  std::string f = t.write_file("metrics.txt", m.body);
  EXPECT_EQ(run_shell("promtool check metrics < " + f + " > " + t.path() + "/out.txt 2>&1"), 0)
      << read_file(t.path() + "/out.txt");
  EXPECT_EQ(read_file(t.path() + "/out.txt"), "");
}

TEST(Serve, AccessLogIsJsonWithRequiredFields) {
  Nsl n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  HttpRequestOptions o;
  o.url = n.url("/health/live");
  o.headers = {{"X-Request-Id", "log-check-1"},
               {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  http_request(o);
  ASSERT_TRUE(n.proc().wait_for_output("log-check-1", 5s));
  bool found = false;
  std::istringstream lines(n.logs());
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (j.value("request_id", "") != "log-check-1") continue;
    found = true;
    EXPECT_EQ(j["trace_id"], "0af7651916cd43dd8448eb211c80319c");
    EXPECT_EQ(j["route"], "/health/live");
    EXPECT_EQ(j["method"], "GET");
    EXPECT_EQ(j["status"], 200);
    EXPECT_TRUE(j["latency_ms"].is_number());
    EXPECT_TRUE(j.contains("ts"));
    EXPECT_EQ(j["level"], "info");
  }
  EXPECT_TRUE(found);
}

TEST(Serve, ConfiguredSecretNeverAppearsInLogsOrConfigPrint) {
  const std::string secret = "s3cr3t-Metrics-T0ken-7f1e";
  TempDir sd;
  std::string token_file = sd.write_file("token", secret + "\n");
  Nsl n("", {{"NSL_METRICS_BEARER_TOKEN_FILE", token_file}, {"NSL_LOG_LEVEL", "debug"}});
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  EXPECT_EQ(http_get(n.metrics_url()).status, 401);
  HttpRequestOptions o;
  o.url = n.metrics_url();
  o.headers = {{"Authorization", "Bearer " + secret}};
  EXPECT_EQ(http_request(o).status, 200);
  o.headers = {{"Authorization", "Bearer wrong"}};
  EXPECT_EQ(http_request(o).status, 401);
  // Try hard to get it logged: in the path, the query, a header and the request id.
  o.url = n.url("/v1/" + secret + "?token=" + secret);
  o.headers = {{"Authorization", "Bearer " + secret}, {"X-Request-Id", secret}};
  EXPECT_EQ(http_request(o).status, 404);
  n.proc().signal(SIGHUP);
  ASSERT_TRUE(n.proc().wait_for_output("configuration reloaded", 5s)) << n.logs();
  n.proc().signal(SIGTERM);
  EXPECT_EQ(n.proc().wait_exit(10s), 0);
  std::string logs = n.logs();
  EXPECT_GT(logs.size(), 100u);
  EXPECT_EQ(logs.find(secret), std::string::npos) << logs;

  TempDir out;
  int rc = run_shell("NSL_METRICS_BEARER_TOKEN_FILE=" + token_file + " " + nsl_binary() + " config print --config " +
                     n.config_path() + " > " + out.path() + "/print.txt 2>&1");
  EXPECT_EQ(rc, 0);
  std::string printed = read_file(out.path() + "/print.txt");
  EXPECT_NE(printed.find("bearer_token"), std::string::npos) << printed;
  EXPECT_EQ(printed.find(secret), std::string::npos) << printed;
}

TEST(Serve, SighupReloadsSecretFileAndLogLevel) {
  TempDir sd;
  std::string token_file = sd.write_file("token", "first-token-aaaa");
  Nsl n("", {{"NSL_METRICS_BEARER_TOKEN_FILE", token_file}});
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  HttpRequestOptions o;
  o.url = n.metrics_url();
  o.headers = {{"Authorization", "Bearer first-token-aaaa"}};
  EXPECT_EQ(http_request(o).status, 200);
  sd.write_file("token", "second-token-bbbb");
  std::ofstream(n.config_path(), std::ios::app) << "\n[log]\nlevel = \"debug\"\n";
  n.proc().signal(SIGHUP);
  ASSERT_TRUE(n.proc().wait_for_output("\"log_level\":\"debug\"", 5s)) << n.logs();
  EXPECT_EQ(http_request(o).status, 401);
  o.headers = {{"Authorization", "Bearer second-token-bbbb"}};
  EXPECT_EQ(http_request(o).status, 200);
  // A broken file on SIGHUP keeps the running configuration.
  std::ofstream(n.config_path(), std::ios::app) << "\nbogus_key = 1\n";
  n.proc().signal(SIGHUP);
  ASSERT_TRUE(n.proc().wait_for_output("keeping the running one", 5s)) << n.logs();
  EXPECT_EQ(http_request(o).status, 200);
}

// The file-injection pattern: a secret file replaced the way Vault Agent does (write a new file,
// rename it over the old one) takes effect within seconds, without SIGHUP or a restart.
TEST(Serve, ChangedSecretFileIsReloadedWithoutASignal) {
  TempDir sd;
  std::string token_file = sd.write_file("token", "first-token-cccc");
  Nsl n("", {{"NSL_METRICS_BEARER_TOKEN_FILE", token_file}});
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  HttpRequestOptions first;
  first.url = n.metrics_url();
  first.headers = {{"Authorization", "Bearer first-token-cccc"}};
  EXPECT_EQ(http_request(first).status, 200);
  const std::string next = sd.write_file("token.new", "second-token-dddd");
  ASSERT_EQ(std::rename(next.c_str(), token_file.c_str()), 0);
  ASSERT_TRUE(n.proc().wait_for_output("secret file changed: configuration reloaded", 15s)) << n.logs();
  HttpRequestOptions second = first;
  second.headers = {{"Authorization", "Bearer second-token-dddd"}};
  EXPECT_EQ(http_request(second).status, 200);
  EXPECT_EQ(http_request(first).status, 401);
}

TEST(Serve, SighupReloadsTlsCertificateWithoutDroppingConnections) {
  TempDir certs;
  auto make_cert = [&](const std::string& cn) {
    return run_shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=" +
                     cn + " -addext subjectAltName=IP:127.0.0.1 -keyout " + certs.path() + "/key.pem -out " +
                     certs.path() + "/cert.pem >/dev/null 2>&1");
  };
  ASSERT_EQ(make_cert("first"), 0);
  Nsl n("[tls]\ncert_file = \"" + certs.path() + "/cert.pem\"\nkey_file = \"" + certs.path() + "/key.pem\"\n");
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  auto subject = [&]() {
    std::string cmd = "echo | timeout 5 openssl s_client -connect 127.0.0.1:" +
                      n.tls_url("").substr(std::string("https://127.0.0.1:").size()) +
                      " 2>/dev/null | openssl x509 -noout -subject > " + certs.path() + "/subj.txt 2>&1";
    run_shell(cmd);
    return read_file(certs.path() + "/subj.txt");
  };
  EXPECT_NE(subject().find("first"), std::string::npos);
  RawConn held(n.http_port());  // an established connection must survive the reload
  ASSERT_EQ(make_cert("second"), 0);
  n.proc().signal(SIGHUP);
  ASSERT_TRUE(n.proc().wait_for_output("configuration reloaded", 5s)) << n.logs();
  EXPECT_NE(subject().find("second"), std::string::npos);
  held.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(held.read_until("alive", 2s).rfind("HTTP/1.1 200", 0), 0u);
}

TEST(Serve, MutualTlsRequiresClientCertificate) {
  TempDir pki;
  std::string p = pki.path();
  std::string script =
      "set -e; cd " + p +
      "; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=test-ca "
      "-keyout ca.key -out ca.pem; "
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=client -keyout client.key "
      "-out client.csr; "
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem; "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other-ca "
      "-keyout other.key -out other.pem";
  ASSERT_EQ(run_shell("(" + script + ") >/dev/null 2>&1"), 0);
  Nsl n("[tls]\nclient_ca_file = \"" + p + "/ca.pem\"\n");
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  HttpRequestOptions o;
  o.url = n.tls_url("/health/live");
  o.insecure = true;
  EXPECT_EQ(http_request(o).status, 0) << "no client certificate must fail the handshake";
  o.client_cert_file = p + "/other.pem";
  o.client_key_file = p + "/other.key";
  EXPECT_EQ(http_request(o).status, 0) << "a certificate from another CA must fail";
  o.client_cert_file = p + "/client.pem";
  o.client_key_file = p + "/client.key";
  auto r = http_request(o);
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(http_get(n.url("/health/live")).status, 200) << "plain port is unaffected";
}

TEST(Serve, GracefulShutdownDrainsInFlightRequests) {
  Nsl n("shutdown_delay_ms = 700\ndrain_timeout_ms = 5000\n");
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  // An in-flight request: head sent, body still arriving.
  RawConn inflight(n.http_port());
  inflight.send("GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc");
  RawConn idle(n.http_port());
  idle.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_NE(idle.read_until("alive", 2s).find("200"), std::string::npos);
  std::this_thread::sleep_for(100ms);
  n.proc().signal(SIGTERM);
  // During the shutdown delay the process still answers, but is not ready.
  std::this_thread::sleep_for(200ms);
  auto ready = http_get(n.url("/health/ready"));
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(json_of(ready)["status"], "draining");
  // After the delay: the idle keep-alive connection is closed, the in-flight one completes.
  EXPECT_TRUE(idle.closed_within(3s));
  inflight.send("def");
  std::string resp = inflight.read_until_close(3s);
  EXPECT_EQ(resp.rfind("HTTP/1.1 200", 0), 0u) << resp;
  EXPECT_NE(resp.find("Connection: close"), std::string::npos) << resp;
  EXPECT_EQ(n.proc().wait_exit(10s), 0) << n.logs();
  RawConn after(n.http_port());
  EXPECT_FALSE(after.connected() && !after.closed_within(500ms));
}

TEST(Serve, DrainDeadlineBoundsShutdown) {
  Nsl n("drain_timeout_ms = 500\nbody_timeout_ms = 60000\n");
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  RawConn stuck(n.http_port());
  stuck.send("POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx");
  std::this_thread::sleep_for(100ms);
  auto t0 = std::chrono::steady_clock::now();
  n.proc().signal(SIGTERM);
  EXPECT_EQ(n.proc().wait_exit(10s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  EXPECT_NE(n.logs().find("drain deadline reached"), std::string::npos) << n.logs();
}

TEST(Serve, ConfigErrorsAreReportedPrecisely) {
  TempDir d;
  std::string cfg = d.write_file("bad.toml", "[server]\nhtp_port = 1\n");
  int rc = run_shell(nsl_binary() + " serve --config " + cfg + " > " + d.path() + "/o.txt 2>&1");
  EXPECT_EQ(rc, 2);
  std::string out = read_file(d.path() + "/o.txt");
  EXPECT_NE(out.find("server.htp_port"), std::string::npos) << out;
  EXPECT_EQ(run_shell(nsl_binary() + " frobnicate >/dev/null 2>&1"), 2);
  EXPECT_EQ(run_shell(nsl_binary() + " version --json > " + d.path() + "/v.json"), 0);
  EXPECT_TRUE(nlohmann::json::parse(read_file(d.path() + "/v.json")).contains("git_revision"));
}

TEST(Serve, PortInUseFailsStartWithClearError) {
  Nsl first;
  ASSERT_TRUE(first.wait_ready());
  TempDir d;
  std::string cfg = d.write_file("c.toml", "[server]\nhttp_port = " + std::to_string(first.http_port()) +
                                               "\nhttps_port = 0\nmetrics_port = 0\n[data]\ndir = \"" + d.path() +
                                               "/data\"\n");
  int rc = run_shell(nsl_binary() + " serve --config " + cfg + " > " + d.path() + "/o.txt 2>&1");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(read_file(d.path() + "/o.txt").find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace nsl::testing
