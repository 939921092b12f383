#include "services/identity/service.hpp"

#include <nlohmann/json.hpp>

#include "auth/api_key.hpp"
#include "obs/log.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/users_repo.hpp"

namespace nsl::identity {
namespace {

bool valid_tenant_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(n.front())) return false;
  for (char c : n) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool valid_key_name(std::string_view n) {
  if (n.empty() || n.size() > 128) return false;
  for (unsigned char c : n) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Principals a binding may name: an API key or a user of this tenant, by id.
bool valid_principal(std::string_view p) {
  std::string_view id;
  if (p.rfind("apikey:", 0) == 0) {
    id = p.substr(7);
  } else if (p.rfind("user:", 0) == 0) {
    id = p.substr(5);
  } else {
    return false;
  }
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

repo::RoleBindingRow binding_row(std::string principal, const auth::RoleBinding& b,
                                 std::int64_t now) {
  return {.id = repo::new_id("rb"),
          .principal = std::move(principal),
          .role = std::string(auth::role_name(b.role)),
          .resource = b.resource.value_or(""),
          .created_at = now};
}

const Error& unauthenticated_key() {
  static const Error e = err::unauthenticated("invalid API key");
  return e;
}

}  // namespace

IdentityService::IdentityService(store::Database& db, audit::AuditLog* audit, const Clock& clock,
                                 IdentityOptions options)
    : db_(db), audit_(audit), clock_(clock), options_(options) {}

std::int64_t IdentityService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             clock_.system_now().time_since_epoch())
      .count();
}

Status audit_change(audit::AuditLog* audit_log, const store::TenantId& tenant, const Actor& actor,
                    std::string action, std::string resource, std::string result) {
  if (audit_log == nullptr) return {};
  audit::AuditEvent ev{.tenant = tenant,
                       .actor = actor.subject,
                       .action = std::move(action),
                       .resource = std::move(resource),
                       .request_id = actor.request_id,
                       .result = std::move(result)};
  Status st = audit_log->append_wait(std::move(ev));
  if (!st.ok()) {
    // The change itself committed; the caller is told it cannot be acknowledged.
    obs::log_error("audit append failed after a committed change",
                   {{"tenant", tenant.str()},
                    {"request_id", actor.request_id},
                    {"error", st.error().message()}});
    return err::unavailable(
        "the change was made but its audit record could not be written; retry reads");
  }
  return {};
}

Status IdentityService::audit(const store::TenantId& tenant, const Actor& actor, std::string action,
                              std::string resource, std::string result) {
  return audit_change(audit_, tenant, actor, std::move(action), std::move(resource),
                      std::move(result));
}

bool IdentityService::may_grant(const auth::Principal& caller, const auth::RoleBinding& binding) {
  std::optional<std::string_view> res;
  if (binding.resource) res = *binding.resource;
  for (std::string_view perm : auth::role_permissions(binding.role)) {
    if (!caller.allows(perm, res)) return false;
  }
  return true;
}

Result<CreatedTenant> IdentityService::create_tenant(std::string_view name, const Actor& actor) {
  if (!valid_tenant_name(name)) {
    return err::invalid_argument(
        "tenant name must be 1..64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter "
        "or digit");
  }
  CreatedTenant out{.tenant = repo::TenantRow{store::TenantId::generate(), std::string(name)}};
  auth::NewApiKey nk = auth::generate_api_key();
  const std::int64_t now = now_ms();
  out.admin_key = repo::ApiKeyRow{.id = repo::new_id("ak"),
                                  .prefix = nk.prefix,
                                  .hash = nk.hash,
                                  .name = "bootstrap owner key",
                                  .created_by = actor.subject,
                                  .created_at = now};
  Status st1 = db_.with_system([&](store::Tx& tx) -> Status {
    NSL_TRY_ASSIGN(auto existing, repo::find_tenant_by_name(tx, name));
    if (existing) return err::conflict("a tenant with this name already exists");
    return repo::insert_tenant(tx, out.tenant);
  });
  NSL_TRY(st1);
  Status st2 = db_.with_tenant(out.tenant.id, [&](store::Tx& tx) -> Status {
    NSL_TRY(repo::insert_api_key(tx, out.admin_key));
    return repo::insert_role_binding(
        tx, binding_row("apikey:" + out.admin_key.id,
                        auth::RoleBinding{auth::Role::owner, std::nullopt}, now));
  });
  NSL_TRY(st2);
  out.admin_token = std::move(nk.token);
  // From here the tenant and its key exist: the key is returned even when the audit records fail,
  // since without it nobody could ever use (or clean up) the tenant.
  out.audited = audit(out.tenant.id, actor, "tenant.create", "tenant:" + out.tenant.id.str(), "ok");
  if (out.audited.ok()) {
    out.audited = audit(out.tenant.id, actor, "apikey.create", "apikey:" + out.admin_key.id, "ok");
  }
  return out;
}

Result<repo::TenantRow> IdentityService::get_tenant(const store::TenantId& id) {
  return db_.with_system([&](store::Tx& tx) { return repo::get_tenant(tx, id); });
}

Result<CreatedApiKey> IdentityService::create_api_key(const store::TenantId& tenant,
                                                      const NewApiKeyRequest& req,
                                                      const auth::Principal* caller,
                                                      const Actor& actor) {
  if (!valid_key_name(req.name))
    return err::invalid_argument("name must be 1..128 printable characters");
  if (req.roles.empty()) return err::invalid_argument("roles must name at least one role");
  if (req.roles.size() > 16) return err::invalid_argument("at most 16 roles per API key");
  for (const auto& s : req.scopes) {
    if (!auth::is_valid_scope(s)) return err::invalid_argument("unknown scope \"" + s + "\"");
  }
  if (req.ttl && (req.ttl->count() < 60 || req.ttl->count() > 10LL * 365 * 24 * 3600)) {
    return err::invalid_argument("expires_in must be between 60 seconds and 10 years");
  }
  if (caller != nullptr) {
    for (const auto& b : req.roles) {
      if (!may_grant(*caller, b)) {
        return err::permission_denied("you cannot grant the role \"" +
                                      std::string(auth::role_name(b.role)) +
                                      "\": it carries permissions you do not hold");
      }
    }
  }
  auth::NewApiKey nk = auth::generate_api_key();
  const std::int64_t now = now_ms();
  CreatedApiKey out;
  out.key = repo::ApiKeyRow{.id = repo::new_id("ak"),
                            .prefix = nk.prefix,
                            .hash = nk.hash,
                            .name = req.name,
                            .scopes = req.scopes,
                            .created_by = actor.subject,
                            .created_at = now};
  if (req.ttl) out.key.expires_at = now + req.ttl->count() * 1000;
  for (const auto& b : req.roles)
    out.bindings.push_back(binding_row("apikey:" + out.key.id, b, now));
  Status st3 = db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY(repo::insert_api_key(tx, out.key));
    for (const auto& b : out.bindings) NSL_TRY(repo::insert_role_binding(tx, b));
    return {};
  });
  NSL_TRY(st3);
  NSL_TRY(audit(tenant, actor, "apikey.create", "apikey:" + out.key.id, "ok"));
  out.token = std::move(nk.token);
  return out;
}

Result<repo::ApiKeyRow> IdentityService::get_api_key(const store::TenantId& tenant,
                                                     std::string_view id) {
  return db_.with_tenant(tenant, [&](store::Tx& tx) { return repo::get_api_key(tx, id); });
}

Result<std::vector<repo::ApiKeyRow>> IdentityService::list_api_keys(
    const store::TenantId& tenant, int limit, std::optional<std::string> after_id) {
  return db_.with_tenant(tenant,
                         [&](store::Tx& tx) { return repo::list_api_keys(tx, limit, after_id); });
}

Result<repo::ApiKeyRow> IdentityService::revoke_api_key(const store::TenantId& tenant,
                                                        std::string_view id,
                                                        const auth::Principal* caller,
                                                        const Actor& actor) {
  bool changed = false;
  auto row = db_.with_tenant(tenant, [&](store::Tx& tx) -> Result<repo::ApiKeyRow> {
    NSL_TRY_ASSIGN(repo::ApiKeyRow before, repo::get_api_key(tx, id));
    if (before.revoked_at) return before;  // already revoked: nothing changes, nothing to audit
    if (caller != nullptr) {
      // Revoking a key needs the power to have granted it: an admin cannot cut off the owner.
      NSL_TRY_ASSIGN(auto bindings, repo::role_bindings_of(tx, "apikey:" + before.id));
      for (const auto& r : bindings) {
        auto b = auth::binding_from_string(r.resource.empty() ? r.role : r.role + "@" + r.resource);
        if (b && !may_grant(*caller, *b)) {
          return err::permission_denied("you cannot revoke a key holding the role \"" + r.role +
                                        "\": it carries permissions you do not hold");
        }
      }
    }
    changed = true;
    return repo::revoke_api_key(tx, id, now_ms());
  });
  if (!row.ok()) return row;
  if (changed) NSL_TRY(audit(tenant, actor, "apikey.revoke", "apikey:" + row->id, "ok"));
  return row;
}

Result<repo::RoleBindingRow> IdentityService::create_role_binding(const store::TenantId& tenant,
                                                                  std::string principal,
                                                                  const auth::RoleBinding& binding,
                                                                  const auth::Principal* caller,
                                                                  const Actor& actor) {
  if (!valid_principal(principal)) {
    return err::invalid_argument("principal must be \"apikey:<id>\" or \"user:<id>\"");
  }
  if (binding.resource && (binding.resource->empty() || binding.resource->size() > 128)) {
    return err::invalid_argument("resource must be 1..128 characters");
  }
  if (caller != nullptr && !may_grant(*caller, binding)) {
    return err::permission_denied("you cannot grant the role \"" +
                                  std::string(auth::role_name(binding.role)) +
                                  "\": it carries permissions you do not hold");
  }
  repo::RoleBindingRow row = binding_row(std::move(principal), binding, now_ms());
  Status st4 = db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    // The principal must exist in this tenant (an API key or a user).
    if (row.principal.rfind("apikey:", 0) == 0) {
      NSL_TRY(repo::get_api_key(tx, std::string_view(row.principal).substr(7)));
    } else {
      NSL_TRY(repo::get_user(tx, std::string_view(row.principal).substr(5)));
    }
    return repo::insert_role_binding(tx, row);
  });
  NSL_TRY(st4);
  NSL_TRY(audit(tenant, actor, "rolebinding.create", "rolebinding:" + row.id, "ok"));
  return row;
}

Result<std::vector<repo::RoleBindingRow>> IdentityService::list_role_bindings(
    const store::TenantId& tenant, int limit, std::optional<std::string> after_id) {
  return db_.with_tenant(
      tenant, [&](store::Tx& tx) { return repo::list_role_bindings(tx, limit, after_id); });
}

Status IdentityService::delete_role_binding(const store::TenantId& tenant, std::string_view id,
                                            const auth::Principal* caller, const Actor& actor) {
  Status st5 = db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY_ASSIGN(repo::RoleBindingRow row, repo::get_role_binding(tx, id));
    auto b =
        auth::binding_from_string(row.resource.empty() ? row.role : row.role + "@" + row.resource);
    // Removing a grant needs the same power as making it (an admin cannot strip the owner).
    if (caller != nullptr && (!b || !may_grant(*caller, *b))) {
      return err::permission_denied("you cannot remove a role you could not grant");
    }
    return repo::delete_role_binding(tx, id);
  });
  NSL_TRY(st5);
  return audit(tenant, actor, "rolebinding.delete", "rolebinding:" + std::string(id), "ok");
}

Result<auth::Principal> IdentityService::authenticate_api_key(std::string_view presented) {
  auto parsed = auth::parse_api_key(presented);
  if (!parsed.ok()) return unauthenticated_key();
  NSL_TRY_ASSIGN(std::optional<store::TenantId> tenant, db_.with_system([&](store::Tx& tx) {
    return repo::tenant_of_api_key_prefix(tx, parsed->prefix);
  }));
  if (!tenant) {
    auth::api_key_matches(std::string(64, '0'), presented);  // same work as a real check
    return unauthenticated_key();
  }
  const std::int64_t now = now_ms();
  auth::Principal p{.tenant = *tenant};
  Status st = db_.with_tenant(*tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY_ASSIGN(std::optional<repo::ApiKeyRow> key,
                   repo::find_api_key_by_prefix(tx, parsed->prefix));
    if (!key || !auth::api_key_matches(key->hash, presented)) return unauthenticated_key();
    if (key->revoked_at || (key->expires_at && *key->expires_at <= now))
      return unauthenticated_key();
    p.subject = "apikey:" + key->id;
    // last_used_at at minute precision: one write per key per minute at most (verified keys are
    // cached by the caller in between).
    if (options_.record_api_key_use && (!key->last_used_at || now - *key->last_used_at >= 60'000))
      NSL_TRY(repo::touch_api_key(tx, key->id, now));
    p.scopes = key->scopes;
    p.expires_at_ms = key->expires_at.value_or(0);
    NSL_TRY_ASSIGN(auto rows, repo::role_bindings_of(tx, p.subject));
    for (const auto& r : rows) {
      auto role = auth::parse_role(r.role);
      if (!role) continue;  // a role this binary does not know grants nothing
      p.bindings.push_back(
          {*role, r.resource.empty() ? std::nullopt : std::optional<std::string>(r.resource)});
    }
    return {};
  });
  if (!st.ok()) return std::move(st).error();
  return p;
}

}  // namespace nsl::identity
