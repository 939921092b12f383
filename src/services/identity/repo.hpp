// nsl/services/identity/repo.hpp — tenants, API keys and role bindings on the store seam.
//
// Plain functions over a store::Tx, written once for both back ends: every tenant-owned row is
// addressed through tx.tenant() (`tenant_id = $1`), which is what isolates tenants on SQLite and
// what row-level security enforces again on PostgreSQL. Times are Unix milliseconds.
//
//   auto key = db.with_tenant(tenant, [&](store::Tx& tx) { return repo::get_api_key(tx, id); });
//
// Errors: not_found for a row the tenant cannot see (never "exists elsewhere"), conflict for a
// duplicate, and the store's codes otherwise. Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/db.hpp"

namespace nsl::identity::repo {

struct TenantRow {
  store::TenantId id;
  std::string name;
};

struct ApiKeyRow {
  std::string id;      // "ak_" + 16 hex
  std::string prefix;  // public lookup part of the key
  std::string hash;    // hex SHA-256 of the whole key
  std::string name;
  std::vector<std::string> scopes;  // empty: limited by roles only
  std::string created_by;           // principal that created it
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> revoked_at;
  std::optional<std::int64_t> last_used_at;
};

struct RoleBindingRow {
  std::string id;         // "rb_" + 16 hex
  std::string principal;  // "apikey:<id>" | "user:<id>"
  std::string role;       // owner, admin, …
  std::string resource;   // "" = tenant-wide, else one resource id
  std::int64_t created_at = 0;
};

// ---- tenants (system transactions) ----
Status insert_tenant(store::Tx& tx, const TenantRow& t);
Result<TenantRow> get_tenant(store::Tx& tx, const store::TenantId& id);
Result<std::optional<TenantRow>> find_tenant_by_name(store::Tx& tx, std::string_view name);

// ---- API keys ----
// Inserts the key (tenant transaction) and its prefix → tenant index row.
Status insert_api_key(store::Tx& tx, const ApiKeyRow& k);
// The tenant owning a key prefix (system transaction; the index holds no secret).
Result<std::optional<store::TenantId>> tenant_of_api_key_prefix(store::Tx& tx,
                                                                std::string_view prefix);
Result<std::optional<ApiKeyRow>> find_api_key_by_prefix(store::Tx& tx, std::string_view prefix);
Result<ApiKeyRow> get_api_key(store::Tx& tx, std::string_view id);
// Newest first; `after_id` continues a listing (keys with a smaller id order position).
Result<std::vector<ApiKeyRow>> list_api_keys(store::Tx& tx, int limit,
                                             std::optional<std::string> after_id);
// Sets revoked_at once; not_found when absent, the row unchanged when already revoked.
Result<ApiKeyRow> revoke_api_key(store::Tx& tx, std::string_view id, std::int64_t now_ms);
Status touch_api_key(store::Tx& tx, std::string_view id, std::int64_t now_ms);

// ---- role bindings ----
Status insert_role_binding(store::Tx& tx, const RoleBindingRow& b);
Result<std::vector<RoleBindingRow>> role_bindings_of(store::Tx& tx, std::string_view principal);
Result<std::vector<RoleBindingRow>> list_role_bindings(store::Tx& tx, int limit,
                                                       std::optional<std::string> after_id);
Result<RoleBindingRow> get_role_binding(store::Tx& tx, std::string_view id);
Status delete_role_binding(store::Tx& tx, std::string_view id);
Status delete_role_bindings_of(store::Tx& tx, std::string_view principal);

// Helpers shared by the repositories.
// The tenant of a with_tenant transaction, bound as `tenant_id = $1` by every tenant-owned query.
const store::TenantId& tenant_of(store::Tx& tx);

// One newest-first page of `select` ("SELECT <cols> FROM <table> WHERE tenant_id = $1", bound to
// tx.tenant()): ids sort in creation order, so the cursor is the last id of the previous page.
Result<store::Rows> page_newest_first(store::Tx& tx, std::string_view select, int limit,
                                      const std::optional<std::string>& after_id);
std::string new_id(std::string_view kind_prefix);  // e.g. new_id("ak") -> "ak_0123456789abcdef"
std::string join_scopes(const std::vector<std::string>& scopes);
std::vector<std::string> split_scopes(std::string_view text);

}  // namespace nsl::identity::repo
