// The secrets repository: plain SQL over store::Tx for both back ends (repo.hpp).
#include "services/secrets/repo.hpp"

#include <cstdint>
#include <iterator>

#include "core/strings.hpp"
#include "store/row_values.hpp"
#include "services/identity/repo.hpp"

namespace nsl::secrets::repo {
namespace {

using identity::repo::tenant_of;
using store::Param;
using store::Params;
using store::Row;
using store::Tx;

using store::row::to_int;
using store::row::to_opt_int;
using store::row::to_u32;
using store::row::u32_param;
using store::row::opt_param;

constexpr std::string_view kSecretCols =
    "path, current_version, max_versions, cas_required, delete_version_after_ms, "
    "custom_metadata, created_at, updated_at";
constexpr std::string_view kVersionCols =
    "path, version, ciphertext, dek_version, created_at, deletion_time, destroyed";
constexpr std::string_view kVersionMetaCols =
    "path, version, NULL, dek_version, created_at, deletion_time, destroyed";
constexpr std::string_view kKeyCols = "version, sealed, state, created_at";

Result<SecretRow> secret_from(const Row& r) {
  if (r.size() < 8) return err::internal("unexpected secrets row shape");
  SecretRow s;
  s.path = r[0].value_or("");
  NSL_TRY_ASSIGN(s.current_version, to_u32(r[1]));
  NSL_TRY_ASSIGN(std::int64_t max, to_int(r[2]));
  s.max_versions = static_cast<int>(max);
  NSL_TRY_ASSIGN(std::int64_t cas, to_int(r[3]));
  s.cas_required = cas != 0;
  NSL_TRY_ASSIGN(s.delete_version_after_ms, to_int(r[4]));
  s.custom_metadata = r[5].value_or("{}");
  NSL_TRY_ASSIGN(s.created_at, to_int(r[6]));
  NSL_TRY_ASSIGN(s.updated_at, to_int(r[7]));
  return s;
}

Result<VersionRow> version_from(const Row& r) {
  if (r.size() < 7) return err::internal("unexpected secret_versions row shape");
  VersionRow v;
  v.path = r[0].value_or("");
  NSL_TRY_ASSIGN(v.version, to_u32(r[1]));
  v.ciphertext = r[2];
  NSL_TRY_ASSIGN(v.dek_version, to_u32(r[3]));
  NSL_TRY_ASSIGN(v.created_at, to_int(r[4]));
  NSL_TRY_ASSIGN(v.deletion_time, to_opt_int(r[5]));
  NSL_TRY_ASSIGN(std::int64_t destroyed, to_int(r[6]));
  v.destroyed = destroyed != 0;
  return v;
}

Result<DataKeyRow> key_from(const Row& r) {
  if (r.size() < 4) return err::internal("unexpected secret_data_keys row shape");
  DataKeyRow k;
  NSL_TRY_ASSIGN(k.version, to_u32(r[0]));
  k.sealed = r[1].value_or("");
  k.state = r[2].value_or("");
  NSL_TRY_ASSIGN(k.created_at, to_int(r[3]));
  return k;
}

template <class T, class F>
Result<std::vector<T>> all_of(const store::Rows& rows, F from) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    NSL_TRY_ASSIGN(T v, from(r));
    out.push_back(std::move(v));
  }
  return out;
}

// "version IN ($n, $n+1, ...)" over `versions`, appended to params.
std::string in_list(Params& params, const std::vector<std::uint32_t>& versions) {
  std::string sql = "version IN (";
  for (std::size_t i = 0; i < versions.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += "$" + std::to_string(params.size() + 1);
    params.push_back(u32_param(versions[i]));
  }
  sql += ")";
  return sql;
}

}  // namespace

// ---- data keys ----
Result<std::optional<DataKeyRow>> active_data_key(Tx& tx) {
  static const std::string sql = "SELECT " + std::string(kKeyCols) +
                                 " FROM secret_data_keys WHERE tenant_id = $1 AND "
                                 "state = 'active' ORDER BY version DESC LIMIT 1";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx)}));
  if (rows.empty()) return std::optional<DataKeyRow>();
  NSL_TRY_ASSIGN(DataKeyRow k, key_from(rows[0]));
  return std::optional<DataKeyRow>(std::move(k));
}

Result<std::optional<DataKeyRow>> data_key(Tx& tx, std::uint32_t version) {
  static const std::string sql = "SELECT " + std::string(kKeyCols) +
                                 " FROM secret_data_keys WHERE tenant_id = $1 AND version = $2";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx), u32_param(version)}));
  if (rows.empty()) return std::optional<DataKeyRow>();
  NSL_TRY_ASSIGN(DataKeyRow k, key_from(rows[0]));
  return std::optional<DataKeyRow>(std::move(k));
}

Result<std::vector<DataKeyRow>> data_keys(Tx& tx) {
  static const std::string sql = "SELECT " + std::string(kKeyCols) +
                                 " FROM secret_data_keys WHERE tenant_id = $1 ORDER BY version";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx)}));
  return all_of<DataKeyRow>(rows, key_from);
}

Result<bool> insert_data_key_if_absent(Tx& tx, const DataKeyRow& row) {
  NSL_TRY_ASSIGN(
      std::int64_t n,
      tx.exec("INSERT INTO secret_data_keys (tenant_id, version, sealed, state, "
              "created_at) VALUES ($1, $2, $3, $4, $5) "
              "ON CONFLICT (tenant_id, version) DO NOTHING",
              {tenant_of(tx), u32_param(row.version), row.sealed, row.state, row.created_at}));
  return n == 1;
}

Result<std::int64_t> retire_data_keys_below(Tx& tx, std::uint32_t version) {
  return tx.exec(
      "UPDATE secret_data_keys SET state = 'retired' WHERE tenant_id = $1 AND "
      "version < $2 AND state = 'active'",
      {tenant_of(tx), u32_param(version)});
}

// ---- secrets and versions ----
Result<std::optional<SecretRow>> get_secret(Tx& tx, std::string_view path) {
  static const std::string sql =
      "SELECT " + std::string(kSecretCols) + " FROM secrets WHERE tenant_id = $1 AND path = $2";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx), path}));
  if (rows.empty()) return std::optional<SecretRow>();
  NSL_TRY_ASSIGN(SecretRow s, secret_from(rows[0]));
  return std::optional<SecretRow>(std::move(s));
}

namespace {
// A row of the allocation statements: the secret's columns, then the active key's version and
// sealed blob (both NULL when the tenant has none).
Result<Allocated> allocated_from(const Row& r) {
  if (r.size() != 10) return err::internal("unexpected secrets row shape");
  Allocated a;
  NSL_TRY_ASSIGN(a.secret, secret_from(r));
  if (r[8] && r[9]) {
    DataKeyRow k{.version = 0, .sealed = *r[9], .state = std::string(kKeyActive), .created_at = 0};
    NSL_TRY_ASSIGN(k.version, to_u32(r[8]));
    a.active_key = std::move(k);
  }
  return a;
}
}  // namespace

Result<Allocated> bump_version(Tx& tx, std::string_view path, std::int64_t now) {
  // One statement: the insert of version 1, or the increment under the row lock. On PostgreSQL
  // (READ COMMITTED) a concurrent writer of the same path waits for this transaction, then
  // increments the committed value; SQLite runs one writer at a time (BEGIN IMMEDIATE). The
  // active key comes back with it (two indexed subqueries): no round trip of its own per write.
  static const std::string active =
      " FROM secret_data_keys WHERE tenant_id = $1 AND state = 'active' "
      "ORDER BY version DESC LIMIT 1)";
  static const std::string sql =
      "INSERT INTO secrets (tenant_id, path, current_version, created_at, updated_at) "
      "VALUES ($1, $2, 1, $3, $3) ON CONFLICT (tenant_id, path) DO UPDATE SET "
      "current_version = secrets.current_version + 1, updated_at = excluded.updated_at "
      "RETURNING " +
      std::string(kSecretCols) + ", (SELECT version" + active + ", (SELECT sealed" + active;
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx), path, now}));
  if (rows.size() != 1) return err::internal("version allocation returned no row");
  return allocated_from(rows[0]);
}

Result<std::vector<Allocated>> bump_versions(Tx& tx, const std::vector<std::string_view>& paths,
                                             std::int64_t now) {
  // $1 tenant, $2 now, then one parameter per path: the statement text depends only on the count.
  std::string sql =
      "INSERT INTO secrets (tenant_id, path, current_version, created_at, updated_at) VALUES ";
  store::Params params{tenant_of(tx), now};
  params.reserve(paths.size() + 2);
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (i) sql += ", ";
    sql += "($1, $" + std::to_string(i + 3) + ", 1, $2, $2)";
    params.emplace_back(paths[i]);
  }
  static const std::string active =
      " FROM secret_data_keys WHERE tenant_id = $1 AND state = 'active' "
      "ORDER BY version DESC LIMIT 1)";
  sql += " ON CONFLICT (tenant_id, path) DO UPDATE SET "
         "current_version = secrets.current_version + 1, updated_at = excluded.updated_at "
         "RETURNING " +
         std::string(kSecretCols) + ", (SELECT version" + active + ", (SELECT sealed" + active;
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, params));
  if (rows.size() != paths.size()) return err::internal("version allocation returned no row");
  std::vector<Allocated> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    NSL_TRY_ASSIGN(Allocated a, allocated_from(r));
    out.push_back(std::move(a));
  }
  return out;
}

Status ensure_secret(Tx& tx, std::string_view path, std::int64_t now) {
  NSL_TRY(
      tx.exec("INSERT INTO secrets (tenant_id, path, current_version, created_at, updated_at) "
              "VALUES ($1, $2, 0, $3, $3) ON CONFLICT (tenant_id, path) DO NOTHING",
              {tenant_of(tx), path, now}));
  return {};
}

Result<std::int64_t> update_metadata(Tx& tx, std::string_view path, const MetadataChange& c,
                                     std::int64_t now) {
  // COALESCE keeps what the change leaves out, in the same statement (no read-modify-write race).
  const auto opt_bool = [](const std::optional<bool>& b) {
    return b ? Param(*b ? 1 : 0) : Param(nullptr);
  };
  const auto opt_i = [](const std::optional<int>& i) { return i ? Param(*i) : Param(nullptr); };
  return tx.exec(
      "UPDATE secrets SET max_versions = COALESCE($3, max_versions), "
      "cas_required = COALESCE($4, cas_required), "
      "delete_version_after_ms = COALESCE($5, delete_version_after_ms), "
      "custom_metadata = COALESCE($6, custom_metadata), updated_at = $7 "
      "WHERE tenant_id = $1 AND path = $2",
      {tenant_of(tx), path, opt_i(c.max_versions), opt_bool(c.cas_required),
       opt_param(c.delete_version_after_ms), Param(c.custom_metadata), now});
}

Result<std::int64_t> delete_secret(Tx& tx, std::string_view path) {
  NSL_TRY(tx.exec("DELETE FROM secret_versions WHERE tenant_id = $1 AND path = $2",
                  {tenant_of(tx), path}));
  return tx.exec("DELETE FROM secrets WHERE tenant_id = $1 AND path = $2", {tenant_of(tx), path});
}

Status insert_version(Tx& tx, const VersionRow& v) {
  NSL_TRY(
      tx.exec("INSERT INTO secret_versions (tenant_id, " + std::string(kVersionCols) +
                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
              {tenant_of(tx), v.path, u32_param(v.version), v.ciphertext, u32_param(v.dek_version),
               v.created_at, opt_param(v.deletion_time), v.destroyed ? 1 : 0}));
  return {};
}

Status insert_versions(Tx& tx, const std::vector<VersionRow>& versions) {
  if (versions.empty()) return {};
  std::string sql;
  const store::Statement st = versions_insert(tx, versions, sql);
  NSL_TRY(tx.exec(st.sql, st.params));
  return {};
}

store::Statement versions_insert(Tx& tx, const std::vector<VersionRow>& versions, std::string& sql) {
  sql = "INSERT INTO secret_versions (tenant_id, " + std::string(kVersionCols) + ") VALUES ";
  store::Params params{tenant_of(tx)};
  params.reserve(1 + versions.size() * 7);
  for (std::size_t i = 0; i < versions.size(); ++i) {
    const VersionRow& v = versions[i];
    const std::size_t b = 2 + i * 7;
    if (i) sql += ", ";
    sql += "($1";
    for (std::size_t k = 0; k < 7; ++k) sql += ", $" + std::to_string(b + k);
    sql += ")";
    params.emplace_back(v.path);
    params.emplace_back(u32_param(v.version));
    params.emplace_back(v.ciphertext);
    params.emplace_back(u32_param(v.dek_version));
    params.emplace_back(v.created_at);
    params.emplace_back(opt_param(v.deletion_time));
    params.emplace_back(v.destroyed ? 1 : 0);
  }
  return store::Statement{.sql = sql, .params = std::move(params)};
}

Result<std::optional<ForRead>> load_for_read(Tx& tx, std::string_view path,
                                             std::uint32_t version) {
  // LEFT JOINs: the path row decides "not found"; a missing version or key row is told apart.
  static const std::string sql =
      "SELECT s.current_version, v.path, v.version, v.ciphertext, v.dek_version, v.created_at, "
      "v.deletion_time, v.destroyed, k.version, k.sealed FROM secrets s "
      "LEFT JOIN secret_versions v ON v.tenant_id = s.tenant_id AND v.path = s.path AND "
      "v.version = CASE WHEN $3 = 0 THEN s.current_version ELSE $3 END "
      "LEFT JOIN secret_data_keys k ON k.tenant_id = v.tenant_id AND k.version = v.dek_version "
      "WHERE s.tenant_id = $1 AND s.path = $2";
  // A read's only statement: on PostgreSQL its transaction commits in the same round trip.
  NSL_TRY_ASSIGN(store::Rows rows, tx.query_only(sql, {tenant_of(tx), path, u32_param(version)}));
  if (rows.empty()) return std::optional<ForRead>();
  const Row& r = rows[0];
  if (r.size() != 10) return err::internal("unexpected secret read row shape");
  ForRead out;
  NSL_TRY_ASSIGN(out.current_version, to_u32(r[0]));
  if (r[2]) {
    NSL_TRY_ASSIGN(VersionRow v, version_from(Row(r.begin() + 1, r.begin() + 8)));
    out.version = std::move(v);
  }
  if (r[8] && r[9]) {
    DataKeyRow k{.version = 0, .sealed = *r[9], .state = {}, .created_at = 0};
    NSL_TRY_ASSIGN(k.version, to_u32(r[8]));
    out.key = std::move(k);
  }
  return std::optional<ForRead>(std::move(out));
}

Result<std::optional<VersionRow>> get_version(Tx& tx, std::string_view path,
                                              std::uint32_t version) {
  static const std::string sql =
      "SELECT " + std::string(kVersionCols) +
      " FROM secret_versions WHERE tenant_id = $1 AND path = $2 AND version = $3";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx), path, u32_param(version)}));
  if (rows.empty()) return std::optional<VersionRow>();
  NSL_TRY_ASSIGN(VersionRow v, version_from(rows[0]));
  return std::optional<VersionRow>(std::move(v));
}

Result<std::vector<VersionRow>> version_metadata(Tx& tx, std::string_view path) {
  static const std::string sql = "SELECT " + std::string(kVersionMetaCols) +
                                 " FROM secret_versions WHERE tenant_id = $1 AND path = $2 "
                                 "ORDER BY version";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx), path}));
  return all_of<VersionRow>(rows, version_from);
}

Result<std::int64_t> trim_versions(Tx& tx, std::string_view path, std::uint32_t up_to) {
  return tx.exec("DELETE FROM secret_versions WHERE tenant_id = $1 AND path = $2 AND version <= $3",
                 {tenant_of(tx), path, u32_param(up_to)});
}

Result<std::int64_t> soft_delete(Tx& tx, std::string_view path,
                                 const std::vector<std::uint32_t>& versions, std::int64_t now) {
  if (versions.empty()) return std::int64_t{0};
  Params params{tenant_of(tx), path, now};
  const std::string in = in_list(params, versions);
  return tx.exec(
      "UPDATE secret_versions SET deletion_time = $3 WHERE tenant_id = $1 AND "
      "path = $2 AND destroyed = 0 AND (deletion_time IS NULL OR deletion_time > $3) "
      "AND " +
          in,
      params);
}

Result<std::int64_t> undelete(Tx& tx, std::string_view path,
                              const std::vector<std::uint32_t>& versions) {
  if (versions.empty()) return std::int64_t{0};
  Params params{tenant_of(tx), path};
  const std::string in = in_list(params, versions);
  return tx.exec(
      "UPDATE secret_versions SET deletion_time = NULL WHERE tenant_id = $1 AND "
      "path = $2 AND destroyed = 0 AND deletion_time IS NOT NULL AND " +
          in,
      params);
}

Result<std::int64_t> destroy(Tx& tx, std::string_view path,
                             const std::vector<std::uint32_t>& versions) {
  if (versions.empty()) return std::int64_t{0};
  Params params{tenant_of(tx), path};
  const std::string in = in_list(params, versions);
  return tx.exec(
      "UPDATE secret_versions SET ciphertext = NULL, destroyed = 1 WHERE "
      "tenant_id = $1 AND path = $2 AND destroyed = 0 AND " +
          in,
      params);
}

Result<std::vector<SecretRow>> list_secrets(Tx& tx, std::string_view prefix,
                                            const std::optional<std::string>& after, int limit) {
  std::string sql = "SELECT " + std::string(kSecretCols) + " FROM secrets WHERE tenant_id = $1";
  Params params{tenant_of(tx)};
  if (!prefix.empty()) {
    // Exact, case-sensitive prefix on both back ends (LIKE differs: SQLite folds ASCII case).
    sql += " AND substr(path, 1, length(CAST($2 AS TEXT))) = $2";
    params.emplace_back(prefix);
  }
  if (after) {
    sql += " AND path > $" + std::to_string(params.size() + 1);
    params.emplace_back(*after);
  }
  sql += " ORDER BY path LIMIT $" + std::to_string(params.size() + 1);
  params.emplace_back(limit);
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, params));
  return all_of<SecretRow>(rows, secret_from);
}

Result<std::vector<VersionRow>> versions_not_under(Tx& tx, std::uint32_t dek_version, int limit) {
  static const std::string sql =
      "SELECT " + std::string(kVersionCols) +
      " FROM secret_versions WHERE tenant_id = $1 AND dek_version <> $2 AND "
      "ciphertext IS NOT NULL ORDER BY path, version LIMIT $3";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx), u32_param(dek_version), limit}));
  return all_of<VersionRow>(rows, version_from);
}

Result<bool> replace_ciphertext(Tx& tx, std::string_view path, std::uint32_t version,
                                std::string_view old_ciphertext, std::string_view new_ciphertext,
                                std::uint32_t new_dek_version) {
  NSL_TRY_ASSIGN(std::int64_t n,
                 tx.exec("UPDATE secret_versions SET ciphertext = $4, dek_version = $5 WHERE "
                         "tenant_id = $1 AND path = $2 AND version = $3 AND ciphertext = $6",
                         {tenant_of(tx), path, u32_param(version), new_ciphertext,
                          u32_param(new_dek_version), old_ciphertext}));
  return n == 1;
}

}  // namespace nsl::secrets::repo
