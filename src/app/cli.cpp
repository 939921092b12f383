#include "app/cli.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/build_info.hpp"
#include "app/serve.hpp"
#include "app/storage.hpp"
#include "config/config.hpp"

namespace nsl::app {
namespace {

constexpr const char* kUsage = R"(nsl — the Neo Service Layer

usage:
  nsl serve [--config FILE]          run the API server (ports 5000 http, 5001 https, 9090 metrics)
  nsl migrate [--config FILE]        apply pending database migrations (database.url; embedded: automatic)
  nsl config print [--config FILE]   print the effective configuration, secrets redacted
  nsl config check [--config FILE]   validate the configuration and exit 0 if it is valid
  nsl config keys                    list every configuration key with its description
  nsl neo ...                        Neo N3 offline tools (nsl neo help)
  nsl evm ...                        NeoX/EVM offline tools (nsl evm help)
  nsl attest verify QUOTE [opts]     verify an SGX/TDX DCAP or sim quote (nsl attest help)
  nsl enclave info|quote [opts]      identity of the running enclave, or a quote of its transport key
  nsl tenants create NAME [--json]   create a tenant; prints its id and a one-time owner API key
  nsl tenants limits ID [--keys N]   show or set a tenant's own rate limits (--general N, N|default)
  nsl keys import --url URL ...      import a key (WIF, NEP-2, hex, keystore; secret on stdin) (nsl keys help)
  nsl secrets put|get|list|... PATH  the versioned secrets store; values on stdin/stdout (nsl secrets help)
  nsl audit verify [--tenant ID]     check the tamper-evident audit trail (hash chain, signed checkpoints)
  nsl version [--json]               print version and build information
  nsl help                           this text

Configuration: a TOML file (--config), overridden by NSL_<SECTION>_<KEY> environment variables;
secret values may be given as <key>_file = "/path" (re-read on SIGHUP).
)";

struct Parsed {
  std::string config;
  bool json = false;
  std::vector<std::string> positional;
  std::string error;
};

Parsed parse(const std::vector<std::string>& args, std::size_t from) {
  Parsed p;
  for (std::size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--config" || a == "-c") {
      if (i + 1 >= args.size()) {
        p.error = "--config needs a file path";
        return p;
      }
      p.config = args[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      p.config = a.substr(9);
    } else if (a == "--json") {
      p.json = true;
    } else if (!a.empty() && a[0] == '-') {
      p.error = "unknown option " + a;
      return p;
    } else {
      p.positional.push_back(a);
    }
  }
  return p;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& cmd = args[0];
  if (cmd == "version" || cmd == "--version") {
    Parsed p = parse(args, 1);
    if (!p.error.empty()) {
      err << "nsl: " << p.error << "\n";
      return 2;
    }
    if (p.json) {
      out << nlohmann::json{{"version", kVersion},
                            {"git_revision", kGitRevision},
                            {"build_type", kBuildType},
                            {"compiler", kCompiler},
                            {"allocator", kAllocator}}
                 .dump()
          << "\n";
    } else {
      out << "nsl " << kVersion << " (" << kGitRevision << ", " << kBuildType << ", " << kCompiler << ", " << kAllocator << ")\n";
    }
    return 0;
  }
  if (cmd == "evm") return run_evm_cli(args, in, out, err);
  if (cmd == "neo") return run_neo_cli(args, in, out, err);
  if (cmd == "attest") return run_attest_cli(args, in, out, err);
  if (cmd == "enclave") return run_enclave_cli(args, in, out, err);
  if (cmd == "tenants") return run_tenants_cli(args, in, out, err);
  if (cmd == "keys") return run_keys_cli(args, in, out, err);
  if (cmd == "secrets") return run_secrets_cli(args, in, out, err);
  if (cmd == "audit") return run_audit_cli(args, in, out, err);
  if (cmd == "serve") {
    Parsed p = parse(args, 1);
    if (!p.error.empty() || !p.positional.empty()) {
      err << "nsl serve: " << (p.error.empty() ? "unexpected argument " + p.positional[0] : p.error) << "\n";
      return 2;
    }
    return run_serve(p.config);
  }
  if (cmd == "migrate") {
    Parsed p = parse(args, 1);
    if (!p.error.empty() || !p.positional.empty()) {
      err << "nsl migrate: " << (p.error.empty() ? "unexpected argument " + p.positional[0] : p.error) << "\n";
      return 2;
    }
    auto cfg = config::load(p.config, config::process_env());
    if (!cfg.ok()) {
      err << "nsl: configuration error:\n" << cfg.error().message() << "\n";
      return 2;
    }
    if (cfg->database.url.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(cfg->data.dir, ec);
    }
    auto db = open_store(*cfg);
    Status st = db.ok() ? (*db)->migrate() : Status(db.error());
    if (!st.ok()) {
      err << "nsl migrate: " << st.error().message() << "\n";
      return 1;
    }
    auto version = (*db)->schema_version();
    if (!version.ok()) {
      err << "nsl migrate: " << version.error().message() << "\n";
      return 1;
    }
    if (p.json) {
      out << nlohmann::json{{"backend", (*db)->backend() == store::Backend::sqlite ? "sqlite" : "postgres"},
                            {"schema_version", *version}}
                 .dump()
          << "\n";
    } else {
      out << "database schema at version " << *version << " ("
          << ((*db)->backend() == store::Backend::sqlite ? "sqlite" : "postgres") << ")\n";
    }
    return 0;
  }
  if (cmd == "config") {
    Parsed p = parse(args, 1);
    if (!p.error.empty() || p.positional.size() != 1) {
      err << "nsl config: " << (p.error.empty() ? "expected one of: print, check, keys" : p.error) << "\n";
      return 2;
    }
    const std::string& sub = p.positional[0];
    if (sub == "keys") {
      for (const auto& k : config::keys()) {
        out << k.key << "  (" << k.env_name() << (k.reloadable ? ", reloadable" : "") << (k.secret ? ", secret" : "")
            << ")\n    " << k.description << "\n";
      }
      return 0;
    }
    if (sub != "print" && sub != "check") {
      err << "nsl config: unknown subcommand '" << sub << "' (expected print, check or keys)\n";
      return 2;
    }
    auto cfg = config::load(p.config, config::process_env());
    if (!cfg.ok()) {
      err << "nsl: configuration error:\n" << cfg.error().message() << "\n";
      return 2;
    }
    if (sub == "print") {
      out << config::render(*cfg);
    } else {
      out << "configuration is valid" << (cfg->source.empty() ? "" : " (" + cfg->source + ")") << "\n";
    }
    return 0;
  }
  err << "nsl: unknown command '" << cmd << "' (try: nsl help)\n";
  return 2;
}

}  // namespace nsl::app
