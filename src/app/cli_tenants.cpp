// `nsl tenants create` and `nsl audit verify`: operator commands on the configured database.
//
//   nsl tenants create NAME [--config FILE] [--json]
//   nsl audit verify [--tenant ID] [--config FILE] [--json]
//
// `tenants create` prints the new tenant's id and its bootstrap API key (role owner) once; the key
// is stored only as a hash. The embedded SQLite database is migrated first (as `nsl serve` does);
// a PostgreSQL schema must be current (`nsl migrate`).
// `audit verify` walks every record of one tenant (or of all), recomputing the hash chain and
// checking the signed checkpoints against the stored audit public keys.
// Exit status: 0 ok; 1 refused, or the audit trail failed verification; 2 usage or configuration.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/audit_keys.hpp"
#include "app/cli.hpp"
#include "app/cli_args.hpp"
#include "app/storage.hpp"
#include "app/tenant_limits.hpp"
#include "config/config.hpp"
#include "core/strings.hpp"
#include "services/audit/audit_log.hpp"
#include "services/audit/verify.hpp"
#include "services/identity/service.hpp"

namespace nsl::app {
namespace {

constexpr const char* kTenantsUsage = R"(usage:
  nsl tenants create NAME [--config FILE] [--json]
      creates a tenant and prints its id and a one-time owner API key (store it now: it is not shown again)
  nsl tenants limits TENANT_ID [--general N|default] [--keys N|default] [--sign N|default] [--config FILE] [--json]
      shows, and with options sets, the tenant's own requests-per-minute limits per route class (they replace
      rate_limit.general_per_minute / keys_per_minute / sign_per_minute for this tenant; every replica applies them within 60 s)
exit status: 0 ok, 1 refused (name taken, database unavailable), 2 usage or configuration error
)";

constexpr const char* kAuditUsage = R"(usage:
  nsl audit verify [--tenant ID] [--config FILE] [--json]
      checks the hash chain and signed checkpoints of one tenant's audit trail, or of every tenant
exit status: 0 intact, 1 a finding (altered, removed, inserted, reordered record; bad checkpoint) or an error,
2 usage or configuration error
)";

Result<std::unique_ptr<store::Database>> open_current(const config::Config& cfg) {
  if (cfg.database.url.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(cfg.data.dir, ec);
  }
  NSL_TRY_ASSIGN(std::unique_ptr<store::Database> db, open_store(cfg));
  if (db->backend() == store::Backend::sqlite) NSL_TRY(db->migrate());
  NSL_TRY_ASSIGN(int version, db->schema_version());
  if (version != latest_schema_version(*db)) {
    return err::failed_precondition(
        "database schema is at version " + std::to_string(version) + ", this nsl needs " +
        std::to_string(latest_schema_version(*db)) + ": run `nsl migrate`");
  }
  return db;
}

// The configuration (--config) and its database, current; on failure prints why and sets *rc.
std::unique_ptr<store::Database> open_for(const std::string& cmd, const CliArgs& a,
                                          std::ostream& err, int* rc) {
  auto cfg = config::load(a.option("--config").value_or(""), config::process_env());
  if (!cfg.ok()) {
    err << "nsl: configuration error:\n" << cfg.error().message() << "\n";
    *rc = 2;
    return nullptr;
  }
  auto db = open_current(*cfg);
  if (!db.ok()) {
    err << "nsl " << cmd << ": " << db.error().message() << "\n";
    *rc = 1;
    return nullptr;
  }
  return std::move(*db);
}

// `nsl tenants limits TENANT_ID [--general N|default] [--keys N|default] [--sign N|default]`.
int run_tenant_limits(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a;
  if (!a.parse(args, 2, {"--config", "--general", "--keys", "--sign"}, {"--json"}) ||
      a.positional.size() != 1) {
    err << "nsl tenants limits: " << (a.error.empty() ? "expected exactly one TENANT_ID" : a.error)
        << "\n";
    return 2;
  }
  auto tenant = store::TenantId::parse(a.positional[0]);
  if (!tenant.ok()) {
    err << "nsl tenants limits: TENANT_ID must be a tenant id (UUID)\n";
    return 2;
  }
  std::vector<std::pair<std::string, std::optional<std::int64_t>>> changes;
  for (const char* cls : {"general", "keys", "sign"}) {
    auto v = a.option(std::string("--") + cls);
    if (!v) continue;
    if (*v == "default") {
      changes.emplace_back(cls, std::nullopt);
      continue;
    }
    auto n = parse_u64(*v);
    if (!n || *n < 1 || *n > 10'000'000) {
      err << "nsl tenants limits: --" << cls << " must be 1..10000000 or default\n";
      return 2;
    }
    changes.emplace_back(cls, static_cast<std::int64_t>(*n));
  }
  int rc = 0;
  auto db = open_for("tenants limits", a, err, &rc);
  if (!db) return rc;
  auto exists = db->with_system(
      [&](store::Tx& tx) { return tx.query("SELECT 1 FROM tenants WHERE id = $1", {*tenant}); });
  if (!exists.ok() || exists->empty()) {
    err << "nsl tenants limits: " << (exists.ok() ? "no such tenant" : exists.error().message())
        << "\n";
    return 1;
  }
  if (!changes.empty()) {
    audit::AuditLog log(*db);
    for (const auto& [cls, value] : changes) {
      Status st = TenantLimits::set(*db, *tenant, cls, value);
      if (st.ok()) {
        st = log.append_wait(
            {.tenant = *tenant,
             .actor = "operator",
             .action = "tenant.limits",
             .resource = "tenant:" + tenant->str(),
             .result = "ok",
             .detail = {{"class", cls}, {"per_minute", value ? nlohmann::json(*value) : nullptr}}});
      }
      if (!st.ok()) {
        err << "nsl tenants limits: " << st.error().message() << "\n";
        return 1;
      }
    }
    log.stop();
  }
  auto limits = TenantLimits::load(*db, *tenant);
  if (!limits.ok()) {
    err << "nsl tenants limits: " << limits.error().message() << "\n";
    return 1;
  }
  if (a.flag("--json")) {
    out << nlohmann::json{{"tenant_id", tenant->str()}, {"limits", *limits}}.dump() << "\n";
  } else if (limits->empty()) {
    out << tenant->str() << ": class defaults (no own limits)\n";
  } else {
    for (const auto& [cls, n] : *limits)
      out << tenant->str() << ": " << cls << " " << n << "/min\n";
  }
  return 0;
}

}  // namespace

int run_tenants_cli(const std::vector<std::string>& args, std::istream&, std::ostream& out,
                    std::ostream& err) {
  if (args.size() < 2 || args[1] == "help" || args[1] == "--help") {
    (args.size() < 2 ? err : out) << kTenantsUsage;
    return args.size() < 2 ? 2 : 0;
  }
  if (args[1] == "limits") return run_tenant_limits(args, out, err);
  if (args[1] != "create") {
    err << "nsl tenants: unknown subcommand '" << args[1] << "' (expected create or limits)\n";
    return 2;
  }
  CliArgs a;
  if (!a.parse(args, 2, {"--config"}, {"--json"}) || a.positional.size() != 1) {
    err << "nsl tenants create: " << (a.error.empty() ? "expected exactly one NAME" : a.error)
        << "\n";
    return 2;
  }
  int rc = 0;
  auto db = open_for("tenants create", a, err, &rc);
  if (!db) return rc;
  audit::AuditLog log(*db);
  identity::IdentityService ids(*db, &log, Clock::real());
  auto t = ids.create_tenant(a.positional[0], {.subject = "operator", .request_id = ""});
  log.stop();
  if (!t.ok()) {
    err << "nsl tenants create: " << t.error().message() << "\n";
    return t.error().code() == ErrorCode::invalid_argument ? 2 : 1;
  }
  if (a.flag("--json")) {
    out << nlohmann::json{{"tenant_id", t->tenant.id.str()},
                          {"name", t->tenant.name},
                          {"api_key_id", t->admin_key.id},
                          {"api_key", std::string(t->admin_token.reveal())},
                          {"role", "owner"}}
               .dump()
        << "\n";
  } else {
    out << "tenant   " << t->tenant.name << "\n"
        << "id       " << t->tenant.id.str() << "\n"
        << "api key  " << t->admin_token.reveal() << "\n"
        << "         (role owner, id " << t->admin_key.id << "; shown once: store it now)\n";
  }
  return 0;
}

int run_audit_cli(const std::vector<std::string>& args, std::istream&, std::ostream& out,
                  std::ostream& err) {
  if (args.size() < 2 || args[1] == "help" || args[1] == "--help") {
    (args.size() < 2 ? err : out) << kAuditUsage;
    return args.size() < 2 ? 2 : 0;
  }
  if (args[1] != "verify") {
    err << "nsl audit: unknown subcommand '" << args[1] << "' (expected verify)\n";
    return 2;
  }
  CliArgs a;
  if (!a.parse(args, 2, {"--config", "--tenant"}, {"--json"}) || !a.positional.empty()) {
    err << "nsl audit verify: "
        << (a.error.empty() ? "unexpected argument " + a.positional[0] : a.error) << "\n";
    return 2;
  }
  std::vector<store::TenantId> tenants;
  if (auto t = a.option("--tenant")) {
    auto id = store::TenantId::parse(*t);
    if (!id.ok()) {
      err << "nsl audit verify: --tenant must be a tenant id (UUID)\n";
      return 2;
    }
    tenants.push_back(*id);
  }
  int rc = 0;
  auto db = open_for("audit verify", a, err, &rc);
  if (!db) return rc;
  if (tenants.empty()) {
    auto all = audit::list_tenants(*db);
    if (!all.ok()) {
      err << "nsl audit verify: " << all.error().message() << "\n";
      return 1;
    }
    tenants = std::move(*all);
  }
  auto verifier = stored_audit_verifier(*db);
  if (!verifier.ok()) {
    err << "nsl audit verify: " << verifier.error().message() << "\n";
    return 1;
  }
  bool intact = true;
  nlohmann::json reports = nlohmann::json::array();
  for (const auto& t : tenants) {
    auto r = audit::verify_tenant(*db, t, verifier->get());
    if (!r.ok()) {
      err << "nsl audit verify: tenant " << t.str() << ": " << r.error().message() << "\n";
      return 1;
    }
    intact = intact && r->ok();
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : r->findings) {
      findings.push_back({{"kind", std::string(audit::finding_kind_name(f.kind))},
                          {"seq", f.seq},
                          {"message", f.message}});
    }
    reports.push_back({{"tenant", t.str()},
                       {"ok", r->ok()},
                       {"records", r->records_checked},
                       {"last_seq", r->last_seq},
                       {"checkpoints", r->checkpoints_checked},
                       {"findings", findings}});
    if (!a.flag("--json")) {
      out << t.str() << ": " << (r->ok() ? "intact" : "FAILED") << ", " << r->records_checked
          << " records, " << r->checkpoints_checked << " signed checkpoints\n";
      for (const auto& f : r->findings) {
        out << "  " << audit::finding_kind_name(f.kind) << " at seq " << f.seq << ": " << f.message
            << "\n";
      }
    }
  }
  if (a.flag("--json")) out << nlohmann::json{{"ok", intact}, {"tenants", reports}}.dump() << "\n";
  return intact ? 0 : 1;
}

}  // namespace nsl::app
