#include "auth/rbac.hpp"

#include <algorithm>

namespace nsl::auth {
namespace {

using Perms = std::span<const std::string_view>;

// THE role table. Each list is sorted; the static_asserts below keep it inside kPermissions.
constexpr std::array<std::string_view, 26> kOwner = kPermissions;
constexpr std::array<std::string_view, 25> kAdmin = {
    "apikeys:read",    "apikeys:write",   "attest:read",     "audit:read",     "chain:read",
    "chain:write",     "keys:admin",      "keys:create",     "keys:export",    "keys:read",
    "keys:sign",       "keys:sign_raw",   "roles:read",      "roles:write",    "secrets:admin",
    "secrets:list",    "secrets:read",    "secrets:write",   "tenants:read",   "transit:admin",
    "transit:decrypt", "transit:encrypt", "transit:read",    "users:read",     "users:write"};
constexpr std::array<std::string_view, 14> kOperator = {
    "attest:read",   "chain:read",    "chain:write",     "keys:admin",      "keys:create",
    "keys:read",     "secrets:admin", "secrets:list",    "secrets:read",    "secrets:write",
    "transit:admin", "transit:decrypt", "transit:encrypt", "transit:read"};
constexpr std::array<std::string_view, 4> kSigner = {"attest:read", "chain:read", "keys:read",
                                                     "keys:sign"};
constexpr std::array<std::string_view, 9> kAuditor = {
    "apikeys:read", "attest:read",  "audit:read",   "keys:read", "roles:read",
    "secrets:list", "tenants:read", "transit:read", "users:read"};
constexpr std::array<std::string_view, 5> kViewer = {"attest:read", "chain:read", "keys:read",
                                                     "tenants:read", "transit:read"};

template <std::size_t N>
constexpr bool sorted_subset_of_known(const std::array<std::string_view, N>& list) {
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0 && !(list[i - 1] < list[i])) return false;
    if (std::find(kPermissions.begin(), kPermissions.end(), list[i]) == kPermissions.end()) {
      return false;
    }
  }
  return true;
}
static_assert(sorted_subset_of_known(kPermissions));
static_assert(sorted_subset_of_known(kAdmin));
static_assert(sorted_subset_of_known(kOperator));
static_assert(sorted_subset_of_known(kSigner));
static_assert(sorted_subset_of_known(kAuditor));
static_assert(sorted_subset_of_known(kViewer));

bool contains(Perms perms, std::string_view p) noexcept {
  return std::binary_search(perms.begin(), perms.end(), p);
}

bool binding_applies(const RoleBinding& b, std::optional<std::string_view> resource_id) noexcept {
  if (!b.resource) return true;  // tenant-wide
  return resource_id.has_value() && *resource_id == *b.resource;
}

}  // namespace

std::optional<Role> parse_role(std::string_view name) noexcept {
  for (const Role r : kAllRoles) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view role_name(Role role) noexcept {
  switch (role) {
    case Role::owner:
      return "owner";
    case Role::admin:
      return "admin";
    case Role::operator_:
      return "operator";
    case Role::signer:
      return "signer";
    case Role::auditor:
      return "auditor";
    case Role::viewer:
      return "viewer";
  }
  return "";
}

bool is_known_permission(std::string_view permission) noexcept {
  return contains(kPermissions, permission);
}

std::span<const std::string_view> all_permissions() noexcept { return kPermissions; }

std::span<const std::string_view> role_permissions(Role role) noexcept {
  switch (role) {
    case Role::owner:
      return kOwner;
    case Role::admin:
      return kAdmin;
    case Role::operator_:
      return kOperator;
    case Role::signer:
      return kSigner;
    case Role::auditor:
      return kAuditor;
    case Role::viewer:
      return kViewer;
  }
  return {};  // an out-of-range Role grants nothing
}

bool rbac_allows(std::span<const RoleBinding> bindings, std::string_view permission,
                 std::optional<std::string_view> resource_id) noexcept {
  if (!is_known_permission(permission)) return false;
  return std::any_of(bindings.begin(), bindings.end(), [&](const RoleBinding& b) {
    return binding_applies(b, resource_id) && contains(role_permissions(b.role), permission);
  });
}

std::vector<std::string> effective_permissions(std::span<const RoleBinding> bindings,
                                               std::optional<std::string_view> resource_id) {
  std::vector<std::string> out;
  // Walking kPermissions (sorted) keeps the result sorted and unique without a set.
  for (const std::string_view p : kPermissions) {
    if (rbac_allows(bindings, p, resource_id)) out.emplace_back(p);
  }
  return out;
}

bool scope_allows(std::span<const std::string> scopes, std::string_view permission) noexcept {
  if (!is_known_permission(permission)) return false;
  if (scopes.empty()) return true;
  const std::string_view family = permission.substr(0, permission.find(':'));
  return std::any_of(scopes.begin(), scopes.end(), [&](const std::string& s) {
    if (s == permission) return true;
    // "<family>:*" — exactly the family, then ":*".
    return s.size() == family.size() + 2 && s.starts_with(family) && s.ends_with(":*");
  });
}

}  // namespace nsl::auth
