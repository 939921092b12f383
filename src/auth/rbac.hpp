// nsl/auth/rbac.hpp — roles, permissions and the access decision (role-based, optionally scoped to
// one resource, further narrowed by a credential's scope list).
//
// Permissions are "<family>:<action>" strings from a closed set (kPermissions); anything else is
// unknown and always denied. Roles map to permissions through one constexpr table:
//
//   owner     everything
//   admin     everything except tenants:admin (cannot delete/reconfigure the tenant itself or
//             take over ownership)
//   operator  runs keys, secrets and transit without signing: keys:read keys:create keys:admin
//             secrets:read secrets:write secrets:list secrets:admin transit:read transit:admin
//             transit:encrypt transit:decrypt chain:read chain:write attest:read
//   signer    a workload that signs: keys:read keys:sign attest:read chain:read
//   auditor   reads everything about who can do what, and the audit log, never secret values:
//             audit:read keys:read tenants:read users:read roles:read apikeys:read attest:read
//             secrets:list (paths and metadata, no values) transit:read (transit key metadata)
//   viewer    metadata of keys, transit keys and the chain: keys:read transit:read chain:read
//             attest:read tenants:read
//
// `secrets:read` means reading secret VALUES, so only owner, admin and operator have it;
// `secrets:list` lists paths and reads metadata; `secrets:admin` destroys versions, deletes whole
// paths and rotates the tenant's data key. transit:encrypt (encrypt, rewrap, data keys) and
// transit:decrypt are separate so that a producer need not be able to read. Signing
// (keys:sign) is deliberately not part of operator: managing keys and using them are separate
// duties; owner and admin hold both. keys:sign_raw (signing an opaque digest the service cannot
// decode) and keys:export (exporting an exportable key) are owner and admin only.
//
// Bindings: a RoleBinding without a resource is tenant-wide; with a resource id it grants the role
// for that one resource only. rbac_allows denies by default and
//   - a scoped binding satisfies a check only when the check names that same resource id;
//   - a tenant-wide binding satisfies a check with or without a resource id.
// Scopes (API keys, access tokens) can only narrow: access = rbac_allows(...) && scope_allows(...).
// An empty scope list means no narrowing; entries are permissions or family wildcards ("keys:*").
//
// Thread-safety: pure functions over constant tables.
//
//   std::vector<RoleBinding> b = {{Role::signer, "key_123"}};
//   rbac_allows(b, "keys:sign", "key_123");   // true
//   rbac_allows(b, "keys:sign", "key_456");   // false
//   scope_allows(std::vector<std::string>{"keys:*"}, "keys:sign");  // true
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nsl::auth {

// `operator_`: `operator` is a C++ keyword; its name is "operator".
enum class Role : std::uint8_t { owner, admin, operator_, signer, auditor, viewer };

inline constexpr std::array<Role, 6> kAllRoles = {Role::owner,  Role::admin,   Role::operator_,
                                                  Role::signer, Role::auditor, Role::viewer};

// The closed set of permissions, sorted.
inline constexpr std::array<std::string_view, 26> kPermissions = {
    "apikeys:read",    "apikeys:write",   "attest:read",     "audit:read",     "chain:read",
    "chain:write",     "keys:admin",      "keys:create",     "keys:export",    "keys:read",
    "keys:sign",       "keys:sign_raw",   "roles:read",      "roles:write",    "secrets:admin",
    "secrets:list",    "secrets:read",    "secrets:write",   "tenants:admin",  "tenants:read",
    "transit:admin",   "transit:decrypt", "transit:encrypt", "transit:read",   "users:read",
    "users:write"};

struct RoleBinding {
  Role role;
  std::optional<std::string> resource;  // resource id, or nullopt for tenant-wide
  friend bool operator==(const RoleBinding&, const RoleBinding&) = default;
};

// "owner", "admin", "operator", "signer", "auditor", "viewer" (exact, lowercase).
std::optional<Role> parse_role(std::string_view name) noexcept;
std::string_view role_name(Role role) noexcept;

bool is_known_permission(std::string_view permission) noexcept;
// Every known permission, sorted.
std::span<const std::string_view> all_permissions() noexcept;
// The permissions of `role`, sorted.
std::span<const std::string_view> role_permissions(Role role) noexcept;

// Deny by default; see the file comment for how scoped bindings apply.
bool rbac_allows(std::span<const RoleBinding> bindings, std::string_view permission,
                 std::optional<std::string_view> resource_id = std::nullopt) noexcept;

// The permissions rbac_allows would grant for `resource_id` (nullopt: tenant-wide bindings only),
// sorted and unique: p is in the result exactly when rbac_allows(bindings, p, resource_id).
std::vector<std::string> effective_permissions(
    std::span<const RoleBinding> bindings,
    std::optional<std::string_view> resource_id = std::nullopt);

// True when `scopes` is empty or contains `permission` or "<family>:*" of it. Unknown permissions
// are denied whatever the scopes say.
bool scope_allows(std::span<const std::string> scopes, std::string_view permission) noexcept;

}  // namespace nsl::auth
