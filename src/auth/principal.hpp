// nsl/auth/principal.hpp — who is calling: the result of authentication, input of every access
// check.
//
// A Principal is built by the authenticator from an API key (role bindings read from the store) or
// from an access token this service issued (bindings and scopes carried in its claims), and is
// attached to the request. `allows()` is the one access decision: the permission must be granted
// by a role binding (tenant-wide, or scoped to the resource id) AND admitted by the credential's
// scope list (empty = no further restriction). Deny by default: an unknown permission is denied.
//
//   if (!principal.allows("keys:sign", key_id)) return err::permission_denied("...");
//
// Thread-safety: an immutable value once built; shared between the middleware and the handler.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/rbac.hpp"
#include "store/db.hpp"

namespace nsl::auth {

enum class AuthMethod : std::uint8_t { api_key, access_token };

struct Principal {
  store::TenantId tenant;
  std::string subject;  // "apikey:<id>" | "user:<id>"
  AuthMethod method = AuthMethod::api_key;
  std::vector<RoleBinding> bindings;
  std::vector<std::string> scopes;  // empty: no restriction beyond the role bindings
  std::int64_t expires_at_ms = 0;   // credential expiry (0: none)
  std::string token_id;             // jti of an access token ("" for API keys)

  bool allows(std::string_view permission, std::optional<std::string_view> resource = {}) const {
    return rbac_allows(bindings, permission, resource) && scope_allows(scopes, permission);
  }
};

// "owner", "signer@key_123" — the compact form of a binding carried in access tokens.
std::string binding_to_string(const RoleBinding& b);
std::optional<RoleBinding> binding_from_string(std::string_view s);

// A scope a credential may carry: a known permission ("keys:sign") or a family wildcard ("keys:*").
bool is_valid_scope(std::string_view s);

}  // namespace nsl::auth
