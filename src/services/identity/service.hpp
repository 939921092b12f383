// nsl/services/identity/service.hpp — tenants, API keys and role bindings: the rules around the
// rows.
//
//   IdentityService ids(db, &audit, Clock::real());
//   NSL_TRY_ASSIGN(auto t, ids.create_tenant("acme", {.actor = "operator"}));   // t.api_key shown
//   once NSL_TRY_ASSIGN(auth::Principal p, ids.authenticate_api_key(bearer));
//
// Rules: a tenant starts with one API key bound to `owner` (the bootstrap credential printed by
// `nsl tenants create`); nobody can grant what they do not hold (each permission of a requested
// role must be allowed to the caller for that resource, and admitted by the caller's scopes); API
// keys are stored as SHA-256 of the whole key, found by their public prefix, refused once revoked
// or expired; every change appends an audit record and is acknowledged only after that record
// committed. Lookups of another tenant's ids answer not_found.
//
// Thread-safety: safe for concurrent use (state lives in the database).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "auth/principal.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret_string.hpp"
#include "services/identity/repo.hpp"
#include "store/db.hpp"

namespace nsl::audit {
class AuditLog;
}

namespace nsl::identity {

// Who asks and under which request (for audit records).
struct Actor {
  std::string subject = "operator";  // "operator" for the CLI, else the principal's subject
  std::string request_id;
};

struct CreatedTenant {
  repo::TenantRow tenant;
  repo::ApiKeyRow admin_key;
  SecretString admin_token;  // the full API key: shown once, never stored
  // Not ok when the tenant and key were made but their audit records could not be written.
  Status audited;
};

struct NewApiKeyRequest {
  std::string name;
  std::vector<auth::RoleBinding> roles;     // at least one
  std::vector<std::string> scopes;          // optional restriction (permissions, "family:*")
  std::optional<std::chrono::seconds> ttl;  // none: no expiry
};

struct CreatedApiKey {
  repo::ApiKeyRow key;
  std::vector<repo::RoleBindingRow> bindings;
  SecretString token;  // shown once
};

// Appends the audit record of a change that has committed; acknowledged only once the record is
// written. audit null: nothing to write. On failure the change stays and the caller gets
// unavailable (and an error log line naming the request).
Status audit_change(audit::AuditLog* audit, const store::TenantId& tenant, const Actor& actor,
                    std::string action, std::string resource, std::string result);

struct IdentityOptions {
  // Write an API key's last_used_at (at most once a minute per key) when it authenticates. Off on a
  // read-only secondary, whose database is a replica: authentication there must write nothing.
  bool record_api_key_use = true;
};

class IdentityService {
 public:
  IdentityService(store::Database& db, audit::AuditLog* audit, const Clock& clock,
                  IdentityOptions options = {});

  // Tenant names: 1..64 of [a-z0-9._-], starting with a letter or digit; unique (conflict).
  Result<CreatedTenant> create_tenant(std::string_view name, const Actor& actor);
  Result<repo::TenantRow> get_tenant(const store::TenantId& id);

  // `caller` null = operator (CLI): may grant anything.
  Result<CreatedApiKey> create_api_key(const store::TenantId& tenant, const NewApiKeyRequest& req,
                                       const auth::Principal* caller, const Actor& actor);
  Result<repo::ApiKeyRow> get_api_key(const store::TenantId& tenant, std::string_view id);
  Result<std::vector<repo::ApiKeyRow>> list_api_keys(const store::TenantId& tenant, int limit,
                                                     std::optional<std::string> after_id);
  // Idempotent: revoking a revoked key returns it unchanged (and writes no audit record). The
  // caller must be able to grant every role the key holds.
  Result<repo::ApiKeyRow> revoke_api_key(const store::TenantId& tenant, std::string_view id,
                                         const auth::Principal* caller, const Actor& actor);

  Result<repo::RoleBindingRow> create_role_binding(const store::TenantId& tenant,
                                                   std::string principal,
                                                   const auth::RoleBinding& binding,
                                                   const auth::Principal* caller,
                                                   const Actor& actor);
  Result<std::vector<repo::RoleBindingRow>> list_role_bindings(const store::TenantId& tenant,
                                                               int limit,
                                                               std::optional<std::string> after_id);
  Status delete_role_binding(const store::TenantId& tenant, std::string_view id,
                             const auth::Principal* caller, const Actor& actor);

  // A presented API key → the principal it stands for. unauthenticated for anything wrong (shape,
  // unknown prefix, hash mismatch, revoked, expired) with one message, so a caller learns nothing
  // about which check failed.
  Result<auth::Principal> authenticate_api_key(std::string_view presented);

  // Whether `caller` may hand out `binding` (every permission of the role, for its resource).
  static bool may_grant(const auth::Principal& caller, const auth::RoleBinding& binding);

 private:
  std::int64_t now_ms() const;
  Status audit(const store::TenantId& tenant, const Actor& actor, std::string action,
               std::string resource, std::string result);

  store::Database& db_;
  audit::AuditLog* audit_;
  const Clock& clock_;
  IdentityOptions options_;
};

}  // namespace nsl::identity
