#include "auth/rbac.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace nsl::auth {
namespace {

// Written independently of the table in rbac.cpp (from the design in rbac.hpp / the brief).
const std::map<std::string, std::set<std::string>>& expected_grants() {
  static const std::map<std::string, std::set<std::string>> m = [] {
    const std::set<std::string> all = {
        "tenants:read", "tenants:admin", "users:read", "users:write", "roles:read", "roles:write",
        "apikeys:read", "apikeys:write", "keys:read",  "keys:create", "keys:sign",  "keys:admin",
        "secrets:read", "secrets:write", "audit:read", "attest:read", "chain:read", "chain:write",
        "keys:sign_raw", "keys:export", "secrets:list", "secrets:admin", "transit:read",
        "transit:admin", "transit:encrypt", "transit:decrypt"};
    std::set<std::string> admin = all;
    admin.erase("tenants:admin");
    return std::map<std::string, std::set<std::string>>{
        {"owner", all},
        {"admin", admin},
        {"operator",
         {"keys:read", "keys:create", "keys:admin", "secrets:read", "secrets:write", "chain:read",
          "chain:write", "attest:read", "secrets:list", "secrets:admin", "transit:read",
          "transit:admin", "transit:encrypt", "transit:decrypt"}},
        {"signer", {"keys:read", "keys:sign", "attest:read", "chain:read"}},
        {"auditor",
         {"audit:read", "keys:read", "tenants:read", "users:read", "roles:read", "apikeys:read",
          "attest:read", "secrets:list", "transit:read"}},
        {"viewer", {"keys:read", "chain:read", "attest:read", "tenants:read", "transit:read"}},
    };
  }();
  return m;
}

TEST(Rbac, PermissionSetIsClosedAndComplete) {
  const auto& owner = expected_grants().at("owner");
  EXPECT_EQ(all_permissions().size(), owner.size());
  for (const auto& p : owner) EXPECT_TRUE(is_known_permission(p)) << p;
  for (const auto p : all_permissions()) EXPECT_TRUE(owner.count(std::string(p))) << p;
  for (const char* p : {"", "keys", "keys:", "keys:*", "KEYS:READ", "keys:read ", "keys:delete",
                        "secret:read", "*"}) {
    EXPECT_FALSE(is_known_permission(p)) << p;
  }
}

TEST(Rbac, RoleNamesRoundTrip) {
  EXPECT_EQ(kAllRoles.size(), expected_grants().size());
  for (const Role r : kAllRoles) {
    EXPECT_EQ(parse_role(role_name(r)), r);
    EXPECT_TRUE(expected_grants().count(std::string(role_name(r))));
  }
  EXPECT_EQ(parse_role("operator"), Role::operator_);
  EXPECT_FALSE(parse_role("Owner").has_value());
  EXPECT_FALSE(parse_role("root").has_value());
  EXPECT_FALSE(parse_role("").has_value());
}

// Every role x every permission, tenant-wide and for a resource id.
TEST(Rbac, RolePermissionMatrix) {
  for (const Role r : kAllRoles) {
    const auto& want = expected_grants().at(std::string(role_name(r)));
    const std::vector<RoleBinding> b = {{r, std::nullopt}};
    for (const auto p : all_permissions()) {
      const bool expected = want.count(std::string(p)) > 0;
      EXPECT_EQ(rbac_allows(b, p), expected) << role_name(r) << " " << p;
      EXPECT_EQ(rbac_allows(b, p, "key_1"), expected) << role_name(r) << " " << p;
    }
    const auto perms = role_permissions(r);
    EXPECT_EQ(std::set<std::string>(perms.begin(), perms.end()), want) << role_name(r);
    EXPECT_TRUE(std::is_sorted(perms.begin(), perms.end()));
    const auto eff = effective_permissions(b);
    EXPECT_EQ(std::set<std::string>(eff.begin(), eff.end()), want);
  }
}

TEST(Rbac, SecretValuesOnlyForOwnerAdminOperator) {
  for (const Role r : kAllRoles) {
    const std::vector<RoleBinding> b = {{r, std::nullopt}};
    const bool may = r == Role::owner || r == Role::admin || r == Role::operator_;
    EXPECT_EQ(rbac_allows(b, "secrets:read"), may) << role_name(r);
  }
}

TEST(Rbac, DenyByDefault) {
  EXPECT_FALSE(rbac_allows({}, "keys:read"));
  const std::vector<RoleBinding> owner = {{Role::owner, std::nullopt}};
  EXPECT_FALSE(rbac_allows(owner, "keys:delete"));
  EXPECT_FALSE(rbac_allows(owner, "keys:*"));
  EXPECT_FALSE(rbac_allows(owner, ""));
  EXPECT_FALSE(
      rbac_allows(std::vector<RoleBinding>{{static_cast<Role>(200), std::nullopt}}, "keys:read"));
}

TEST(Rbac, ScopedBinding) {
  const std::vector<RoleBinding> b = {{Role::signer, "key_123"}, {Role::viewer, std::nullopt}};
  EXPECT_TRUE(rbac_allows(b, "keys:sign", "key_123"));
  EXPECT_FALSE(rbac_allows(b, "keys:sign", "key_456"));
  EXPECT_FALSE(rbac_allows(b, "keys:sign"));  // route without a resource: scoped binding is no use
  EXPECT_FALSE(rbac_allows(b, "keys:sign", ""));
  EXPECT_FALSE(rbac_allows(b, "keys:sign", "key_1234"));
  // Tenant-wide viewer covers reads of any resource.
  EXPECT_TRUE(rbac_allows(b, "keys:read", "key_456"));
  EXPECT_TRUE(rbac_allows(b, "keys:read"));

  EXPECT_EQ(effective_permissions(b),
            (std::vector<std::string>{"attest:read", "chain:read", "keys:read", "tenants:read",
                                      "transit:read"}));
  EXPECT_EQ(effective_permissions(b, "key_123"),
            (std::vector<std::string>{"attest:read", "chain:read", "keys:read", "keys:sign",
                                      "tenants:read", "transit:read"}));
  // effective_permissions agrees with rbac_allows for every permission.
  for (const auto& res :
       {std::optional<std::string_view>{}, std::optional<std::string_view>{"key_123"}}) {
    const auto eff = effective_permissions(b, res);
    for (const auto p : all_permissions()) {
      EXPECT_EQ(rbac_allows(b, p, res), std::count(eff.begin(), eff.end(), p) == 1) << p;
    }
  }
}

TEST(Rbac, MultipleBindingsUnion) {
  const std::vector<RoleBinding> b = {{Role::signer, std::nullopt}, {Role::auditor, std::nullopt}};
  EXPECT_TRUE(rbac_allows(b, "keys:sign"));
  EXPECT_TRUE(rbac_allows(b, "audit:read"));
  EXPECT_FALSE(rbac_allows(b, "keys:create"));
  const auto eff = effective_permissions(b);
  EXPECT_TRUE(std::is_sorted(eff.begin(), eff.end()));
  EXPECT_EQ(std::adjacent_find(eff.begin(), eff.end()), eff.end());
  EXPECT_EQ(eff.size(), 11u);  // signer 4 + auditor 9 - shared {attest:read, keys:read}
}

TEST(Scope, EmptyMeansNoNarrowing) {
  const std::vector<std::string> none;
  for (const auto p : all_permissions()) EXPECT_TRUE(scope_allows(none, p));
  EXPECT_FALSE(scope_allows(none, "keys:delete"));  // unknown is still denied
}

TEST(Scope, ExactAndWildcards) {
  const std::vector<std::string> s = {"keys:*", "audit:read"};
  EXPECT_TRUE(scope_allows(s, "keys:read"));
  EXPECT_TRUE(scope_allows(s, "keys:sign"));
  EXPECT_TRUE(scope_allows(s, "keys:admin"));
  EXPECT_TRUE(scope_allows(s, "audit:read"));
  EXPECT_FALSE(scope_allows(s, "secrets:read"));
  EXPECT_FALSE(scope_allows(s, "chain:read"));
  EXPECT_FALSE(scope_allows(s, "keys:delete"));
  // Wildcards match a whole family only.
  EXPECT_FALSE(scope_allows(std::vector<std::string>{"key:*"}, "keys:read"));
  EXPECT_FALSE(scope_allows(std::vector<std::string>{"k*"}, "keys:read"));
  EXPECT_FALSE(scope_allows(std::vector<std::string>{"*"}, "keys:read"));
  EXPECT_FALSE(scope_allows(std::vector<std::string>{"*:*"}, "keys:read"));
  EXPECT_FALSE(scope_allows(std::vector<std::string>{"keys:read*"}, "keys:read"));
  EXPECT_FALSE(scope_allows(std::vector<std::string>{"chain:*"}, "keys:read"));
  EXPECT_TRUE(scope_allows(std::vector<std::string>{"chain:*"}, "chain:write"));
}

TEST(Scope, NarrowsRoles) {
  const std::vector<RoleBinding> owner = {{Role::owner, std::nullopt}};
  const std::vector<std::string> scopes = {"keys:sign"};
  auto allowed = [&](std::string_view p) {
    return rbac_allows(owner, p) && scope_allows(scopes, p);
  };
  EXPECT_TRUE(allowed("keys:sign"));
  EXPECT_FALSE(allowed("keys:read"));
  EXPECT_FALSE(allowed("tenants:admin"));
  // A scope cannot add what the roles lack.
  const std::vector<RoleBinding> viewer = {{Role::viewer, std::nullopt}};
  EXPECT_FALSE(rbac_allows(viewer, "keys:sign") && scope_allows(scopes, "keys:sign"));
}

}  // namespace
}  // namespace nsl::auth
