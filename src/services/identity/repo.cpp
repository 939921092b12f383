#include "services/identity/repo.hpp"

#include <chrono>
#include <cstdio>

#include "core/random.hpp"
#include "core/strings.hpp"
#include "store/row_values.hpp"

namespace nsl::identity::repo {
namespace {

using store::Param;
using store::Row;
using store::Tx;

using store::row::to_int;
using store::row::to_opt_int;
using store::row::opt_param;

constexpr std::string_view kApiKeyCols =
    "id, prefix, hash, name, scopes, created_by, created_at, expires_at, revoked_at, last_used_at";

Result<ApiKeyRow> api_key_from(const Row& r) {
  if (r.size() != 10) return err::internal("unexpected api_keys row shape");
  ApiKeyRow k;
  k.id = r[0].value_or("");
  k.prefix = r[1].value_or("");
  k.hash = r[2].value_or("");
  k.name = r[3].value_or("");
  k.scopes = split_scopes(r[4].value_or(""));
  k.created_by = r[5].value_or("");
  NSL_TRY_ASSIGN(k.created_at, to_int(r[6]));
  NSL_TRY_ASSIGN(k.expires_at, to_opt_int(r[7]));
  NSL_TRY_ASSIGN(k.revoked_at, to_opt_int(r[8]));
  NSL_TRY_ASSIGN(k.last_used_at, to_opt_int(r[9]));
  return k;
}

constexpr std::string_view kBindingCols = "id, principal, role, resource, created_at";

Result<RoleBindingRow> binding_from(const Row& r) {
  if (r.size() != 5) return err::internal("unexpected role_bindings row shape");
  RoleBindingRow b;
  b.id = r[0].value_or("");
  b.principal = r[1].value_or("");
  b.role = r[2].value_or("");
  b.resource = r[3].value_or("");
  NSL_TRY_ASSIGN(b.created_at, to_int(r[4]));
  return b;
}

Result<std::vector<RoleBindingRow>> bindings_from(const store::Rows& rows) {
  std::vector<RoleBindingRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    NSL_TRY_ASSIGN(RoleBindingRow b, binding_from(r));
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace

const store::TenantId& tenant_of(Tx& tx) {
  // Repositories of tenant-owned rows run only inside with_tenant; a system transaction here is a
  // wiring bug, caught by every test that touches these functions.
  return *tx.tenant();
}

std::string new_id(std::string_view kind_prefix) {
  // Time-ordered (ms, 12 hex) then random (8 hex): ids sort in creation order, which gives stable
  // newest-first cursors without a second column.
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char buf[16];
  std::snprintf(buf, sizeof buf, "%012llx",
                static_cast<unsigned long long>(ms) & 0xffffffffffffULL);
  return std::string(kind_prefix) + "_" + buf + random_hex(4);
}

Result<store::Rows> page_newest_first(Tx& tx, std::string_view select, int limit,
                                      const std::optional<std::string>& after_id) {
  const std::string base(select);
  if (after_id) {
    return tx.query(base + " AND id < $2 ORDER BY id DESC LIMIT $3",
                    {tenant_of(tx), *after_id, limit});
  }
  return tx.query(base + " ORDER BY id DESC LIMIT $2", {tenant_of(tx), limit});
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// ---- tenants ----
Status insert_tenant(Tx& tx, const TenantRow& t) {
  NSL_TRY(tx.exec("INSERT INTO tenants (id, name) VALUES ($1, $2)", {t.id, t.name}));
  return {};
}

Result<TenantRow> get_tenant(Tx& tx, const store::TenantId& id) {
  NSL_TRY_ASSIGN(store::Rows rows, tx.query("SELECT id, name FROM tenants WHERE id = $1", {id}));
  if (rows.empty()) return err::not_found("tenant not found");
  return TenantRow{id, rows[0][1].value_or("")};
}

Result<std::optional<TenantRow>> find_tenant_by_name(Tx& tx, std::string_view name) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT id, name FROM tenants WHERE name = $1", {name}));
  if (rows.empty()) return std::optional<TenantRow>();
  NSL_TRY_ASSIGN(store::TenantId id, store::TenantId::parse(rows[0][0].value_or("")));
  return std::optional<TenantRow>(TenantRow{id, rows[0][1].value_or("")});
}

// ---- API keys ----
Status insert_api_key(Tx& tx, const ApiKeyRow& k) {
  const auto& t = tenant_of(tx);
  NSL_TRY(tx.exec("INSERT INTO api_key_index (prefix, tenant_id) VALUES ($1, $2)", {k.prefix, t}));
  NSL_TRY(tx.exec(
      "INSERT INTO api_keys (tenant_id, id, prefix, hash, name, scopes, created_by, created_at, "
      "expires_at, revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      {t, k.id, k.prefix, k.hash, k.name, join_scopes(k.scopes), k.created_by, k.created_at,
       opt_param(k.expires_at), opt_param(k.revoked_at), opt_param(k.last_used_at)}));
  return {};
}

Result<std::optional<store::TenantId>> tenant_of_api_key_prefix(Tx& tx, std::string_view prefix) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT tenant_id FROM api_key_index WHERE prefix = $1", {prefix}));
  if (rows.empty()) return std::optional<store::TenantId>();
  NSL_TRY_ASSIGN(store::TenantId id, store::TenantId::parse(rows[0][0].value_or("")));
  return std::optional<store::TenantId>(std::move(id));
}

Result<std::optional<ApiKeyRow>> find_api_key_by_prefix(Tx& tx, std::string_view prefix) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT " + std::string(kApiKeyCols) +
                              " FROM api_keys WHERE tenant_id = $1 AND prefix = $2",
                          {tenant_of(tx), prefix}));
  if (rows.empty()) return std::optional<ApiKeyRow>();
  NSL_TRY_ASSIGN(ApiKeyRow k, api_key_from(rows[0]));
  return std::optional<ApiKeyRow>(std::move(k));
}

Result<ApiKeyRow> get_api_key(Tx& tx, std::string_view id) {
  NSL_TRY_ASSIGN(store::Rows rows, tx.query("SELECT " + std::string(kApiKeyCols) +
                                                " FROM api_keys WHERE tenant_id = $1 AND id = $2",
                                            {tenant_of(tx), id}));
  if (rows.empty()) return err::not_found("API key not found");
  return api_key_from(rows[0]);
}

Result<std::vector<ApiKeyRow>> list_api_keys(Tx& tx, int limit,
                                             std::optional<std::string> after_id) {
  NSL_TRY_ASSIGN(store::Rows rows, page_newest_first(tx,
                                                     "SELECT " + std::string(kApiKeyCols) +
                                                         " FROM api_keys WHERE tenant_id = $1",
                                                     limit, after_id));
  std::vector<ApiKeyRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    NSL_TRY_ASSIGN(ApiKeyRow k, api_key_from(r));
    out.push_back(std::move(k));
  }
  return out;
}

Result<ApiKeyRow> revoke_api_key(Tx& tx, std::string_view id, std::int64_t now_ms) {
  NSL_TRY(
      tx.exec("UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND "
              "revoked_at IS NULL",
              {tenant_of(tx), id, now_ms}));
  return get_api_key(tx, id);
}

Status touch_api_key(Tx& tx, std::string_view id, std::int64_t now_ms) {
  NSL_TRY(tx.exec("UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2",
                  {tenant_of(tx), id, now_ms}));
  return {};
}

// ---- role bindings ----
Status insert_role_binding(Tx& tx, const RoleBindingRow& b) {
  NSL_TRY(
      tx.exec("INSERT INTO role_bindings (tenant_id, id, principal, role, resource, created_at) "
              "VALUES ($1, $2, $3, $4, $5, $6)",
              {tenant_of(tx), b.id, b.principal, b.role, b.resource, b.created_at}));
  return {};
}

Result<std::vector<RoleBindingRow>> role_bindings_of(Tx& tx, std::string_view principal) {
  NSL_TRY_ASSIGN(
      store::Rows rows,
      tx.query("SELECT " + std::string(kBindingCols) +
                   " FROM role_bindings WHERE tenant_id = $1 AND principal = $2 ORDER BY id",
               {tenant_of(tx), principal}));
  return bindings_from(rows);
}

Result<std::vector<RoleBindingRow>> list_role_bindings(Tx& tx, int limit,
                                                       std::optional<std::string> after_id) {
  NSL_TRY_ASSIGN(store::Rows rows, page_newest_first(tx,
                                                     "SELECT " + std::string(kBindingCols) +
                                                         " FROM role_bindings WHERE tenant_id = $1",
                                                     limit, after_id));
  return bindings_from(rows);
}

Result<RoleBindingRow> get_role_binding(Tx& tx, std::string_view id) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT " + std::string(kBindingCols) +
                              " FROM role_bindings WHERE tenant_id = $1 AND id = $2",
                          {tenant_of(tx), id}));
  if (rows.empty()) return err::not_found("role binding not found");
  return binding_from(rows[0]);
}

Status delete_role_binding(Tx& tx, std::string_view id) {
  NSL_TRY_ASSIGN(
      std::int64_t n,
      tx.exec("DELETE FROM role_bindings WHERE tenant_id = $1 AND id = $2", {tenant_of(tx), id}));
  if (n == 0) return err::not_found("role binding not found");
  return {};
}

Status delete_role_bindings_of(Tx& tx, std::string_view principal) {
  NSL_TRY(tx.exec("DELETE FROM role_bindings WHERE tenant_id = $1 AND principal = $2",
                  {tenant_of(tx), principal}));
  return {};
}

}  // namespace nsl::identity::repo
