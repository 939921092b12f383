#include "auth/principal.hpp"

namespace nsl::auth {

std::string binding_to_string(const RoleBinding& b) {
  std::string out(role_name(b.role));
  if (b.resource) out += "@" + *b.resource;
  return out;
}

std::optional<RoleBinding> binding_from_string(std::string_view s) {
  const auto at = s.find('@');
  auto role = parse_role(s.substr(0, at));
  if (!role) return std::nullopt;
  RoleBinding b{*role, std::nullopt};
  if (at != std::string_view::npos) {
    std::string_view res = s.substr(at + 1);
    if (res.empty() || res.size() > 128) return std::nullopt;
    b.resource = std::string(res);
  }
  return b;
}

bool is_valid_scope(std::string_view s) {
  if (is_known_permission(s)) return true;
  if (s.size() < 3 || s.substr(s.size() - 2) != ":*") return false;
  const std::string_view family = s.substr(0, s.size() - 1);  // "keys:"
  for (std::string_view p : all_permissions()) {
    if (p.rfind(family, 0) == 0) return true;
  }
  return false;
}

}  // namespace nsl::auth
