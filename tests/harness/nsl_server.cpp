#include "harness/nsl_server.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace nsl::testing {

NslServer::NslServer(NslServerOptions options)
    : opts_(std::move(options)),
      http_(free_tcp_port()),
      https_(free_tcp_port()),
      metrics_(free_tcp_port()) {
  config_ = dir_.write_file(
      "nsl.toml", "[server]\nhttp_port = " + std::to_string(http_) +
                      "\nhttps_port = " + std::to_string(opts_.https ? https_ : 0) +
                      "\nmetrics_port = " + std::to_string(metrics_) + "\nworkers = 2\n" +
                      "[data]\ndir = \"" +
                      (opts_.data_dir.empty() ? dir_.path() + "/data" : opts_.data_dir) + "\"\n" +
                      opts_.toml + "\n");
  if (opts_.start) start();
}

NslServer::~NslServer() = default;

void NslServer::start() {
  auto env = opts_.env;
  env.emplace_back("NSL_TEST_MARKER", "1");
  proc_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{nsl_binary(), "serve", "--config", config_}, env,
      dir_.path() + "/nsl-" + std::to_string(++starts_) + ".log");
}

bool NslServer::wait_ready() {
  return proc_ && wait_for_http(url("/health/live"), std::chrono::seconds(20));
}

std::string NslServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(http_) + path;
}

std::string NslServer::metrics_url() const {
  return "http://127.0.0.1:" + std::to_string(metrics_) + "/metrics";
}

std::string NslServer::logs() const { return proc_ ? proc_->output() : std::string(); }

CliRun NslServer::cli(std::vector<std::string> args) const {
  args.insert(args.begin(), nsl_binary());
  args.push_back("--config");
  args.push_back(config_);
  static int n = 0;
  const std::string out = dir_.path() + "/cli-" + std::to_string(++n) + ".out";
  ChildProcess p(args, opts_.env, out);
  CliRun r;
  r.rc = p.wait_exit(std::chrono::seconds(60)).value_or(-1);
  // ChildProcess merges stdout and stderr; the CLI prints results on stdout and problems on stderr,
  // and tests look at one or the other by content.
  r.out = p.output();
  r.err = r.out;
  return r;
}

namespace {
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}
}  // namespace

CliRun nsl_with_stdin(NslServer& n, const std::vector<std::string>& args, const std::string& stdin_text,
                      std::vector<std::pair<std::string, std::string>> env) {
  static int seq = 0;
  const std::string in = n.dir().path() + "/stdin-" + std::to_string(++seq) + ".in";
  {
    std::ofstream f(in, std::ios::binary);
    f << stdin_text;
  }
  std::string cmd = "exec " + shell_quote(nsl_binary());
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " < " + shell_quote(in);
  ChildProcess p({"/bin/sh", "-c", cmd}, env, in + ".out");
  CliRun r;
  r.rc = p.wait_exit(std::chrono::seconds(120)).value_or(-1);
  r.out = p.output();
  r.err = r.out;
  std::remove(in.c_str());
  return r;
}

TestTenant create_tenant(const NslServer& n, const std::string& name) {
  auto r = n.cli({"tenants", "create", name, "--json"});
  EXPECT_EQ(r.rc, 0) << r.out;
  nlohmann::json j = last_json_line(r);
  EXPECT_TRUE(j.is_object()) << r.out;
  if (!j.is_object()) return {};
  return {j.value("tenant_id", ""), j.value("api_key", ""), j.value("api_key_id", "")};
}

nlohmann::json last_json_line(const CliRun& r) {
  nlohmann::json out;
  std::size_t start = 0;
  while (start < r.out.size()) {
    std::size_t end = r.out.find('\n', start);
    if (end == std::string::npos) end = r.out.size();
    const std::string line = r.out.substr(start, end - start);
    if (!line.empty() && line.front() == '{') {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && !j.contains("level")) out = j;
    }
    start = end + 1;
  }
  return out;
}

nlohmann::json json_of(const HttpResponse& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

HttpResponse api_call(const std::string& method, const std::string& url,
                      const std::string& credential, const std::string& body,
                      const std::string& content_type) {
  HttpRequestOptions o{.method = method, .url = url};
  if (!credential.empty()) o.headers.push_back(NslServer::bearer(credential));
  if (!body.empty()) {
    o.body = body;
    o.headers.emplace_back("Content-Type", content_type);
  }
  return http_request(o);
}

}  // namespace nsl::testing
