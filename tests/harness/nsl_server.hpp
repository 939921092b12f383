// nsl/testing nsl_server.hpp — one `nsl serve` process for end-to-end tests: free loopback ports,
// its own data dir and config file, helpers to run the `nsl` CLI against the same config.
//
//   NslServer n({.toml = "[cache]\nurl = \"redis://...\"\n"});
//   ASSERT_TRUE(n.wait_ready()) << n.logs();
//   auto r = n.cli({"tenants", "create", "acme", "--json"});   // same config file
//   auto res = http_request({.url = n.url("/v1/apikeys"), .headers = {n.bearer(key)}});
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness/harness.hpp"

namespace nsl::testing {

struct NslServerOptions {
  std::string toml;  // appended to the generated config (sections other than [server] and [data])
  std::vector<std::pair<std::string, std::string>> env;
  bool https = false;  // also listen on an https port
  bool start = true;   // false: write the config only (start() later)
  std::string
      data_dir;  // "" = a fresh <tempdir>/data (replicas of one simulated enclave share one)
};

struct CliRun {
  int rc = -1;
  std::string out;
  std::string err;
};

class NslServer {
 public:
  explicit NslServer(NslServerOptions options = {});
  ~NslServer();

  void start();
  // Waits for /health/live; false if the process died or did not come up in time.
  bool wait_ready();
  std::string url(const std::string& path) const;
  std::string metrics_url() const;
  const std::string& config_path() const { return config_; }
  TempDir& dir() { return dir_; }
  ChildProcess& proc() { return *proc_; }
  std::string logs() const;

  // Runs `nsl ARGS --config <this config>` to completion (stdin empty).
  CliRun cli(std::vector<std::string> args) const;

  static std::pair<std::string, std::string> bearer(const std::string& credential) {
    return {"Authorization", "Bearer " + credential};
  }

 private:
  NslServerOptions opts_;
  TempDir dir_;
  int http_, https_, metrics_;
  std::string config_;
  std::unique_ptr<ChildProcess> proc_;
  int starts_ = 0;
};

// Runs `nsl ARGS` (no --config added) with `stdin_text` as its standard input.
CliRun nsl_with_stdin(NslServer& n, const std::vector<std::string>& args, const std::string& stdin_text,
                      std::vector<std::pair<std::string, std::string>> env = {});

// A tenant made by `nsl tenants create NAME --json` against the server's config: its id and the
// owner API key (shown once) with that key's id. Empty members (and a test failure) when it failed.
struct TestTenant {
  std::string id;
  std::string key;
  std::string key_id;
};
TestTenant create_tenant(const NslServer& n, const std::string& name);

// The last JSON object line a CLI printed (log lines, which carry "level", skipped); null if none.
nlohmann::json last_json_line(const CliRun& r);
// The response body as JSON (discarded value when it is not JSON).
nlohmann::json json_of(const HttpResponse& r);
// One API call: Bearer credential (when non-empty) and a body with its content type (when
// non-empty).
HttpResponse api_call(const std::string& method, const std::string& url,
                      const std::string& credential, const std::string& body = "",
                      const std::string& content_type = "application/json");

}  // namespace nsl::testing
