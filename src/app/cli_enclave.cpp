// `nsl enclave ...`: talk to a running nsl-enclave over its socket (the one `nsl serve` uses).
//
//   nsl enclave info [--config FILE] [--socket PATH] [--json]
//   nsl enclave quote --out FILE [--nonce HEX] [--config FILE] [--socket PATH] [--json]
//
// `quote` asks for a quote over the enclave's transport key (report_data = SHA-512 of the label, the key and the
// nonce; see docs/enclave.md) and writes the raw quote to FILE, ready for `nsl attest verify FILE`.
// Exit status: 0 done; 1 the enclave refused or is unreachable; 2 usage or configuration error.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "app/cli.hpp"
#include "app/cli_args.hpp"
#include "config/config.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"
#include "enclave/client.hpp"
#include "obs/log.hpp"

namespace nsl::app {
namespace {

constexpr const char* kEnclaveUsage = R"(usage:
  nsl enclave info  [--config FILE] [--socket PATH] [--json]
      mode, measurement, seal policy and transport key of the running enclave
  nsl enclave quote --out FILE [--nonce HEX] [--config FILE] [--socket PATH] [--json]
      a quote binding the enclave's transport key and the nonce (random when omitted), written raw to FILE;
      check it with: nsl attest verify FILE [--allow-simulated]
The socket is --socket, else enclave.socket from the configuration (default <data.dir>/enclave.sock).
exit status: 0 ok, 1 enclave unreachable or refused, 2 usage or configuration error
)";

int fail(std::ostream& err, const std::string& msg, int code) {
  err << "nsl enclave: " << msg << "\n";
  return code;
}

}  // namespace

int run_enclave_cli(const std::vector<std::string>& args, std::istream&, std::ostream& out, std::ostream& err) {
  if (args.size() < 2 || args[1] == "help" || args[1] == "--help") {
    (args.size() < 2 ? err : out) << kEnclaveUsage;
    return args.size() < 2 ? 2 : 0;
  }
  const std::string& sub = args[1];
  if (sub != "info" && sub != "quote") return fail(err, "unknown subcommand '" + sub + "' (expected info or quote)", 2);
  CliArgs a;
  if (!a.parse(args, 2, {"--config", "--socket", "--out", "--nonce"}, {"--json"}) || !a.positional.empty()) {
    return fail(err, a.error.empty() ? "unexpected argument " + a.positional[0] : a.error, 2);
  }
  config::Config cfg;
  if (!a.option("--socket")) {
    auto loaded = config::load(a.option("--config").value_or(""), config::process_env());
    if (!loaded.ok()) return fail(err, "configuration error:\n" + loaded.error().message(), 2);
    cfg = std::move(*loaded);
  } else {
    cfg.enclave.socket = *a.option("--socket");
    if (auto t = config::load("", config::process_env()); t.ok()) cfg.enclave.token = t->enclave.token;
  }
  auto endpoint = config::enclave_endpoint(cfg);
  if (!endpoint.ok()) return fail(err, endpoint.error().message(), 2);
  const std::string socket = config::enclave_socket_path(cfg);
  std::vector<std::uint8_t> nonce;
  if (auto n = a.option("--nonce")) {
    auto bytes = from_hex(*n);
    if (!bytes || bytes->empty() || bytes->size() > 64) return fail(err, "--nonce must be 1..64 bytes of hex", 2);
    nonce = *bytes;
  } else {
    nonce.resize(32);
    random_bytes(nonce);
  }
  const auto out_file = a.option("--out");
  if (sub == "quote" && !out_file) return fail(err, "quote needs --out FILE", 2);

  // The client's own log lines (reconnect warnings) go to stderr, so stdout stays the command's output.
  obs::set_sink([](std::string_view line) { std::fwrite(line.data(), 1, line.size(), stderr); });
  obs::set_level(obs::Level::error);
  enclave::EnclaveClient client({.socket_path = endpoint->path,
                                 .tcp_host = endpoint->tcp_host,
                                 .tcp_port = endpoint->tcp_port,
                                 .token = cfg.enclave.token,
                                 .connections = 1,
                                 .deadline = std::chrono::seconds(10)});
  for (int i = 0; i < 100 && !client.ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto id = client.identity();
  if (!id.ok()) return fail(err, id.error().message(), 1);
  const std::string transport = to_hex(id->transport_public_key);
  if (sub == "info") {
    if (a.flag("--json")) {
      out << nlohmann::json{{"mode", enclave::mode_name(id->mode)},
                            {"simulated", id->simulated},
                            {"measurement", to_hex(id->measurement)},
                            {"seal_policy", id->seal_policy},
                            {"transport_public_key", transport},
                            {"version", id->version},
                            {"socket", socket}}
                 .dump()
          << "\n";
    } else {
      out << "mode: " << enclave::mode_name(id->mode) << (id->simulated ? " (SIMULATED: no hardware protection)" : "")
          << "\nmeasurement: " << to_hex(id->measurement) << "\nseal policy: " << id->seal_policy
          << "\ntransport public key: " << transport << "\nversion: " << id->version << "\nsocket: " << socket
          << "\n";
    }
    return 0;
  }
  auto q = client.attest(enclave::AttestPurpose::transport_key, {}, nonce);
  if (!q.ok()) return fail(err, q.error().message(), 1);
  std::ofstream f(*out_file, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(q->quote.data()), static_cast<std::streamsize>(q->quote.size()));
  f.close();
  if (!f) return fail(err, "cannot write " + *out_file, 2);
  if (a.flag("--json")) {
    out << nlohmann::json{{"format", q->format},
                          {"file", *out_file},
                          {"bytes", q->quote.size()},
                          {"nonce", to_hex(nonce)},
                          {"report_data", to_hex(q->report_data)},
                          {"transport_public_key", transport}}
               .dump()
        << "\n";
  } else {
    out << "wrote a " << q->format << " quote (" << q->quote.size() << " bytes) to " << *out_file
        << "\nnonce: " << to_hex(nonce) << "\nreport_data: " << to_hex(q->report_data)
        << "\ntransport public key: " << transport << "\n";
  }
  return 0;
}

}  // namespace nsl::app
