// The transit repository: plain SQL over store::Tx for both back ends (repo.hpp).
#include "services/transit/repo.hpp"

#include "services/identity/repo.hpp"
#include "store/row_values.hpp"

namespace nsl::transit::repo {
namespace {

using identity::repo::tenant_of;
using store::Param;
using store::Row;
using store::Tx;
using store::row::opt_param;
using store::row::to_int;
using store::row::to_opt_int;
using store::row::to_u32;
using store::row::u32_param;

constexpr std::string_view kKeyCols =
    "name, type, latest_version, min_decryption_version, min_encryption_version, "
    "deletion_allowed, rotation_days, next_rotation_at, rotation_fence, created_at, updated_at";

Result<KeyRow> key_from(const Row& r) {
  if (r.size() < 11) return err::internal("unexpected transit_keys row shape");
  KeyRow k;
  k.name = r[0].value_or("");
  k.type = r[1].value_or("");
  NSL_TRY_ASSIGN(k.latest_version, to_u32(r[2]));
  NSL_TRY_ASSIGN(k.min_decryption_version, to_u32(r[3]));
  NSL_TRY_ASSIGN(k.min_encryption_version, to_u32(r[4]));
  NSL_TRY_ASSIGN(std::int64_t del, to_int(r[5]));
  k.deletion_allowed = del != 0;
  NSL_TRY_ASSIGN(std::int64_t days, to_int(r[6]));
  k.rotation_days = static_cast<int>(days);
  NSL_TRY_ASSIGN(k.next_rotation_at, to_opt_int(r[7]));
  NSL_TRY_ASSIGN(k.rotation_fence, to_int(r[8]));
  NSL_TRY_ASSIGN(k.created_at, to_int(r[9]));
  NSL_TRY_ASSIGN(k.updated_at, to_int(r[10]));
  return k;
}

Result<VersionRow> version_from(const Row& r) {
  if (r.size() < 3) return err::internal("unexpected transit_key_versions row shape");
  VersionRow v;
  NSL_TRY_ASSIGN(v.version, to_u32(r[0]));
  v.sealed = r[1].value_or("");
  NSL_TRY_ASSIGN(v.created_at, to_int(r[2]));
  return v;
}

Status insert_version(Tx& tx, std::string_view name, const VersionRow& v) {
  NSL_TRY(
      tx.exec("INSERT INTO transit_key_versions (tenant_id, name, version, sealed, created_at) "
              "VALUES ($1, $2, $3, $4, $5)",
              {tenant_of(tx), name, u32_param(v.version), v.sealed, v.created_at}));
  return {};
}

}  // namespace

Result<bool> insert_key(Tx& tx, const KeyRow& k, const VersionRow& first) {
  NSL_TRY_ASSIGN(
      std::int64_t n,
      tx.exec("INSERT INTO transit_keys (tenant_id, name, type, latest_version, "
              "min_decryption_version, min_encryption_version, deletion_allowed, rotation_days, "
              "next_rotation_at, rotation_fence, created_at, updated_at) VALUES "
              "($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10) "
              "ON CONFLICT (tenant_id, name) DO NOTHING",
              {tenant_of(tx), k.name, k.type, u32_param(k.latest_version),
               u32_param(k.min_decryption_version), u32_param(k.min_encryption_version),
               k.deletion_allowed ? 1 : 0, k.rotation_days, opt_param(k.next_rotation_at),
               k.created_at}));
  if (n == 0) return false;
  NSL_TRY(insert_version(tx, k.name, first));
  return true;
}

Result<std::optional<KeyRow>> get_key(Tx& tx, std::string_view name) {
  static const std::string sql =
      "SELECT " + std::string(kKeyCols) + " FROM transit_keys WHERE tenant_id = $1 AND name = $2";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx), name}));
  if (rows.empty()) return std::optional<KeyRow>();
  NSL_TRY_ASSIGN(KeyRow k, key_from(rows[0]));
  return std::optional<KeyRow>(std::move(k));
}

Result<std::optional<KeyWithVersions>> get_key_with_versions(Tx& tx, std::string_view name,
                                                             std::uint32_t from, std::uint32_t to,
                                                             bool latest) {
  // One statement (a read's only one: on PostgreSQL its transaction commits in the same round
  // trip). The key's columns repeat on each version row; a key without a matching version comes
  // back once with NULL version columns.
  static const std::string sql =
      "SELECT k.name, k.type, k.latest_version, k.min_decryption_version, "
      "k.min_encryption_version, k.deletion_allowed, k.rotation_days, k.next_rotation_at, "
      "k.rotation_fence, k.created_at, k.updated_at, v.version, v.sealed, v.created_at "
      "FROM transit_keys k LEFT JOIN transit_key_versions v ON v.tenant_id = k.tenant_id AND "
      "v.name = k.name AND ((v.version >= $3 AND v.version <= $4) OR "
      "($5 = 1 AND v.version = k.latest_version)) "
      "WHERE k.tenant_id = $1 AND k.name = $2 ORDER BY v.version";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query_only(sql, {tenant_of(tx), name, u32_param(from),
                                                       u32_param(to), latest ? 1 : 0}));
  if (rows.empty()) return std::optional<KeyWithVersions>();
  KeyWithVersions out;
  NSL_TRY_ASSIGN(out.key, key_from(rows[0]));
  for (const Row& r : rows) {
    if (r.size() != 14) return err::internal("unexpected transit key read row shape");
    if (!r[11]) continue;
    NSL_TRY_ASSIGN(VersionRow v, version_from(Row(r.begin() + 11, r.end())));
    out.versions.push_back(std::move(v));
  }
  return std::optional<KeyWithVersions>(std::move(out));
}

Result<std::vector<KeyRow>> list_keys(Tx& tx, const std::optional<std::string>& after, int limit) {
  static const std::string sql_after = "SELECT " + std::string(kKeyCols) +
                                       " FROM transit_keys WHERE tenant_id = $1 AND name > $2 "
                                       "ORDER BY name LIMIT $3";
  static const std::string sql_first = "SELECT " + std::string(kKeyCols) +
                                       " FROM transit_keys WHERE tenant_id = $1 "
                                       "ORDER BY name LIMIT $2";
  store::Rows rows;
  if (after) {
    NSL_TRY_ASSIGN(rows, tx.query(sql_after, {tenant_of(tx), *after, limit}));
  } else {
    NSL_TRY_ASSIGN(rows, tx.query(sql_first, {tenant_of(tx), limit}));
  }
  std::vector<KeyRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    NSL_TRY_ASSIGN(KeyRow k, key_from(r));
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::vector<VersionRow>> versions(Tx& tx, std::string_view name) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT version, '', created_at FROM transit_key_versions WHERE "
                          "tenant_id = $1 AND name = $2 ORDER BY version",
                          {tenant_of(tx), name}));
  std::vector<VersionRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    NSL_TRY_ASSIGN(VersionRow v, version_from(r));
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::optional<VersionRow>> get_version(Tx& tx, std::string_view name,
                                              std::uint32_t version) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT version, sealed, created_at FROM transit_key_versions WHERE "
                          "tenant_id = $1 AND name = $2 AND version = $3",
                          {tenant_of(tx), name, u32_param(version)}));
  if (rows.empty()) return std::optional<VersionRow>();
  NSL_TRY_ASSIGN(VersionRow v, version_from(rows[0]));
  return std::optional<VersionRow>(std::move(v));
}

Result<bool> update_config(Tx& tx, const KeyRow& k, std::int64_t now) {
  NSL_TRY_ASSIGN(
      std::int64_t n,
      tx.exec("UPDATE transit_keys SET min_decryption_version = $3, min_encryption_version = $4, "
              "deletion_allowed = $5, rotation_days = $6, next_rotation_at = $7, updated_at = $8 "
              "WHERE tenant_id = $1 AND name = $2 AND latest_version = $9",
              {tenant_of(tx), k.name, u32_param(k.min_decryption_version),
               u32_param(k.min_encryption_version), k.deletion_allowed ? 1 : 0, k.rotation_days,
               opt_param(k.next_rotation_at), now, u32_param(k.latest_version)}));
  return n == 1;
}

Result<bool> advance_version(Tx& tx, std::string_view name, std::uint32_t expected,
                             const VersionRow& next, std::optional<std::int64_t> next_rotation_at,
                             std::int64_t fence, std::int64_t now) {
  // The conditional UPDATE first: a concurrent rotation of the same key waits on the row lock
  // (PostgreSQL) or the database (SQLite), then finds latest_version moved and changes nothing.
  NSL_TRY_ASSIGN(
      std::int64_t n,
      tx.exec(
          "UPDATE transit_keys SET latest_version = $3, next_rotation_at = $4, updated_at = $5, "
          "rotation_fence = CASE WHEN $6 > rotation_fence THEN $6 ELSE rotation_fence END "
          "WHERE tenant_id = $1 AND name = $2 AND latest_version = $7 AND "
          "($6 = 0 OR rotation_fence <= $6)",
          {tenant_of(tx), name, u32_param(next.version), opt_param(next_rotation_at), now, fence,
           u32_param(expected)}));
  if (n == 0) return false;
  NSL_TRY(insert_version(tx, name, next));
  return true;
}

Result<std::int64_t> delete_key(Tx& tx, std::string_view name) {
  NSL_TRY(tx.exec("DELETE FROM transit_key_versions WHERE tenant_id = $1 AND name = $2",
                  {tenant_of(tx), name}));
  return tx.exec("DELETE FROM transit_keys WHERE tenant_id = $1 AND name = $2",
                 {tenant_of(tx), name});
}

Result<std::vector<std::string>> due_for_rotation(Tx& tx, std::int64_t now, int limit) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT name FROM transit_keys WHERE tenant_id = $1 AND "
                          "rotation_days > 0 AND next_rotation_at IS NOT NULL AND "
                          "next_rotation_at <= $2 ORDER BY name LIMIT $3",
                          {tenant_of(tx), now, limit}));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r.at(0).value_or(""));
  return out;
}

}  // namespace nsl::transit::repo
