#include "services/keys/repo.hpp"

#include "core/strings.hpp"
#include "store/row_values.hpp"
#include "services/identity/repo.hpp"

namespace nsl::keys::repo {
namespace {

using identity::repo::tenant_of;
using store::Param;
using store::Params;
using store::Row;
using store::Tx;

using store::row::to_int;
using store::row::to_opt_int;
using store::row::to_u32;
using store::row::opt_param;

constexpr std::string_view kKeyCols[] = {
    "id",           "label",         "curve",          "purpose",          "exportable",
    "state",        "current_version", "policy_json",  "policy_sealed",    "policy_version",
    "rotation_days", "next_rotation_at", "destroy_after", "rotation_fence", "created_at",
    "updated_at"};
constexpr std::size_t kKeyColCount = std::size(kKeyCols);

constexpr std::string_view kVersionCols[] = {"key_id", "version", "public_key",
                                             "sealed", "state",   "created_at"};
constexpr std::size_t kVersionColCount = std::size(kVersionCols);

template <std::size_t N>
std::string cols(const std::string_view (&names)[N], std::string_view alias = {}) {
  std::string out;
  for (std::string_view c : names) {
    if (!out.empty()) out += ", ";
    if (!alias.empty()) {
      out += alias;
      out += '.';
    }
    out += c;
  }
  return out;
}

Result<KeyRow> key_from(const Row& r, std::size_t at = 0) {
  if (r.size() < at + kKeyColCount) return err::internal("unexpected keys row shape");
  KeyRow k;
  k.id = r[at + 0].value_or("");
  k.label = r[at + 1].value_or("");
  k.curve = r[at + 2].value_or("");
  k.purpose = r[at + 3].value_or("");
  NSL_TRY_ASSIGN(std::int64_t exportable, to_int(r[at + 4]));
  k.exportable = exportable != 0;
  k.state = r[at + 5].value_or("");
  NSL_TRY_ASSIGN(k.current_version, to_u32(r[at + 6]));
  k.policy_json = r[at + 7];
  k.policy_sealed = r[at + 8];
  NSL_TRY_ASSIGN(k.policy_version, to_u32(r[at + 9]));
  NSL_TRY_ASSIGN(std::int64_t days, to_int(r[at + 10]));
  k.rotation_days = static_cast<int>(days);
  NSL_TRY_ASSIGN(k.next_rotation_at, to_opt_int(r[at + 11]));
  NSL_TRY_ASSIGN(k.destroy_after, to_opt_int(r[at + 12]));
  NSL_TRY_ASSIGN(k.rotation_fence, to_int(r[at + 13]));
  NSL_TRY_ASSIGN(k.created_at, to_int(r[at + 14]));
  NSL_TRY_ASSIGN(k.updated_at, to_int(r[at + 15]));
  return k;
}

Result<KeyVersionRow> version_from(const Row& r, std::size_t at = 0) {
  if (r.size() < at + kVersionColCount) return err::internal("unexpected key_versions row shape");
  KeyVersionRow v;
  v.key_id = r[at + 0].value_or("");
  NSL_TRY_ASSIGN(v.version, to_u32(r[at + 1]));
  v.public_key = r[at + 2].value_or("");
  v.sealed = r[at + 3];
  v.state = r[at + 4].value_or("");
  NSL_TRY_ASSIGN(v.created_at, to_int(r[at + 5]));
  return v;
}

Result<std::vector<std::string>> ids_of(const store::Rows& rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r.at(0).value_or(""));
  return out;
}

}  // namespace

// ---- keys and versions ----
Status insert_key(Tx& tx, const KeyRow& k) {
  NSL_TRY(tx.exec("INSERT INTO keys (tenant_id, " + cols(kKeyCols) +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
                      "$15, $16, $17)",
                  {tenant_of(tx), k.id, k.label, k.curve, k.purpose, k.exportable ? 1 : 0, k.state,
                   static_cast<std::int64_t>(k.current_version), k.policy_json, k.policy_sealed,
                   static_cast<std::int64_t>(k.policy_version), k.rotation_days,
                   opt_param(k.next_rotation_at), opt_param(k.destroy_after), k.rotation_fence,
                   k.created_at, k.updated_at}));
  return {};
}

Status insert_version(Tx& tx, const KeyVersionRow& v) {
  NSL_TRY(tx.exec("INSERT INTO key_versions (tenant_id, " + cols(kVersionCols) +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                  {tenant_of(tx), v.key_id, static_cast<std::int64_t>(v.version), v.public_key,
                   v.sealed, v.state, v.created_at}));
  return {};
}

Result<std::optional<KeyRow>> find_key_any_state(Tx& tx, std::string_view id) {
  static const std::string sql =
      "SELECT " + cols(kKeyCols) + " FROM keys WHERE tenant_id = $1 AND id = $2";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx), id}));
  if (rows.empty()) return std::optional<KeyRow>();
  NSL_TRY_ASSIGN(KeyRow k, key_from(rows[0]));
  return std::optional<KeyRow>(std::move(k));
}

Result<KeyRow> get_key(Tx& tx, std::string_view id) {
  NSL_TRY_ASSIGN(std::optional<KeyRow> k, find_key_any_state(tx, id));
  if (!k || k->state == kDestroyed) return err::not_found("key not found");
  return std::move(*k);
}

Result<std::vector<KeyVersionRow>> versions_of(Tx& tx, std::string_view key_id) {
  static const std::string sql = "SELECT " + cols(kVersionCols) +
                                 " FROM key_versions WHERE tenant_id = $1 AND key_id = $2 "
                                 "ORDER BY version";
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, {tenant_of(tx), key_id}));
  std::vector<KeyVersionRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    NSL_TRY_ASSIGN(KeyVersionRow v, version_from(r));
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<KeyRow>> list_keys(Tx& tx, const KeyFilter& filter, int limit,
                                      const std::optional<std::string>& after_id) {
  std::string sql =
      "SELECT " + cols(kKeyCols) + " FROM keys WHERE tenant_id = $1 AND state <> 'destroyed'";
  Params params{tenant_of(tx)};
  auto next = [&params] { return "$" + std::to_string(params.size() + 1); };
  if (filter.curve) {
    sql += " AND curve = " + next();
    params.emplace_back(*filter.curve);
  }
  if (filter.state) {
    sql += " AND state = " + next();
    params.emplace_back(*filter.state);
  }
  if (filter.label_prefix) {
    // Exact, case-sensitive prefix on both back ends (LIKE differs: SQLite folds ASCII case).
    const std::string p = next();
    sql += " AND substr(label, 1, length(CAST(" + p + " AS TEXT))) = " + p;
    params.emplace_back(*filter.label_prefix);
  }
  if (after_id) {
    sql += " AND id < " + next();
    params.emplace_back(*after_id);
  }
  sql += " ORDER BY id DESC LIMIT " + next();
  params.emplace_back(limit);
  NSL_TRY_ASSIGN(store::Rows rows, tx.query(sql, params));
  std::vector<KeyRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    NSL_TRY_ASSIGN(KeyRow k, key_from(r));
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::optional<KeyWithCurrent>> get_key_with_current(Tx& tx, std::string_view id) {
  static const std::string sql = "SELECT " + cols(kKeyCols, "k") + ", " + cols(kVersionCols, "v") +
                                 " FROM keys k JOIN key_versions v ON v.tenant_id = k.tenant_id AND "
                                 "v.key_id = k.id AND v.version = k.current_version "
                                 "WHERE k.tenant_id = $1 AND k.id = $2";
  // The signing path's only statement: on PostgreSQL its transaction commits in the same round trip.
  NSL_TRY_ASSIGN(store::Rows rows, tx.query_only(sql, {tenant_of(tx), id}));
  if (rows.empty()) return std::optional<KeyWithCurrent>();
  KeyWithCurrent out;
  NSL_TRY_ASSIGN(out.key, key_from(rows[0]));
  NSL_TRY_ASSIGN(out.current, version_from(rows[0], kKeyColCount));
  return std::optional<KeyWithCurrent>(std::move(out));
}

Result<std::int64_t> set_state(Tx& tx, std::string_view id, std::string_view to,
                               const std::vector<std::string_view>& from,
                               std::optional<std::int64_t> destroy_after, std::int64_t now) {
  std::string sql =
      "UPDATE keys SET state = $3, destroy_after = $4, updated_at = $5 WHERE tenant_id = $1 AND "
      "id = $2 AND state IN (";
  Params params{tenant_of(tx), id, to, opt_param(destroy_after), now};
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += "$" + std::to_string(params.size() + 1);
    params.emplace_back(from[i]);
  }
  sql += ")";
  return tx.exec(sql, params);
}

Result<bool> advance_version(Tx& tx, std::string_view id, std::uint32_t expected_version,
                             const KeyVersionRow& next,
                             std::optional<std::int64_t> next_rotation_at,
                             std::int64_t fence, std::int64_t now) {
  // The conditional UPDATE comes first: on PostgreSQL a concurrent rotation of the same key waits
  // on the row lock, then re-checks current_version against the committed row and changes nothing.
  NSL_TRY_ASSIGN(
      std::int64_t n,
      tx.exec("UPDATE keys SET current_version = $3, next_rotation_at = $4, updated_at = $5, "
              "rotation_fence = CASE WHEN $6 > rotation_fence THEN $6 ELSE rotation_fence END "
              "WHERE tenant_id = $1 AND id = $2 AND current_version = $7 AND "
              "state IN ('enabled', 'disabled') AND ($6 = 0 OR rotation_fence <= $6)",
              {tenant_of(tx), id, static_cast<std::int64_t>(expected_version) + 1,
               opt_param(next_rotation_at), now, fence,
               static_cast<std::int64_t>(expected_version)}));
  if (n == 0) return false;
  NSL_TRY(tx.exec("UPDATE key_versions SET state = 'verify_only' WHERE tenant_id = $1 AND "
                  "key_id = $2 AND state = 'active'",
                  {tenant_of(tx), id}));
  NSL_TRY(insert_version(tx, next));
  return true;
}

Result<bool> set_policy(Tx& tx, std::string_view id, std::uint32_t expected_version,
                        const std::optional<std::string>& policy_json,
                        const std::optional<std::string>& policy_sealed, std::int64_t now) {
  NSL_TRY_ASSIGN(
      std::int64_t n,
      tx.exec("UPDATE keys SET policy_json = $3, policy_sealed = $4, policy_version = $5, "
              "updated_at = $6 WHERE tenant_id = $1 AND id = $2 AND policy_version = $7 AND "
              "state <> 'destroyed'",
              {tenant_of(tx), id, policy_json, policy_sealed,
               static_cast<std::int64_t>(expected_version) + 1, now,
               static_cast<std::int64_t>(expected_version)}));
  return n == 1;
}

Result<std::vector<std::string>> due_for_rotation(Tx& tx, std::int64_t now, int limit) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT id FROM keys WHERE tenant_id = $1 AND state = 'enabled' AND "
                          "rotation_days > 0 AND next_rotation_at IS NOT NULL AND "
                          "next_rotation_at <= $2 ORDER BY id LIMIT $3",
                          {tenant_of(tx), now, limit}));
  return ids_of(rows);
}

Result<std::vector<std::string>> due_for_destruction(Tx& tx, std::int64_t now, int limit) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT id FROM keys WHERE tenant_id = $1 AND "
                          "state = 'pending_destruction' AND destroy_after <= $2 ORDER BY id "
                          "LIMIT $3",
                          {tenant_of(tx), now, limit}));
  return ids_of(rows);
}

Result<bool> destroy_key(Tx& tx, std::string_view id, std::int64_t now) {
  NSL_TRY_ASSIGN(std::int64_t n,
                 tx.exec("UPDATE keys SET state = 'destroyed', policy_json = NULL, "
                         "policy_sealed = NULL, next_rotation_at = NULL, updated_at = $3 "
                         "WHERE tenant_id = $1 AND id = $2 AND state = 'pending_destruction' AND "
                         "destroy_after <= $3",
                         {tenant_of(tx), id, now}));
  if (n == 0) return false;
  NSL_TRY(tx.exec("UPDATE key_versions SET sealed = NULL, state = 'destroyed' WHERE "
                  "tenant_id = $1 AND key_id = $2",
                  {tenant_of(tx), id}));
  return true;
}

// ---- spend ledger ----
Status insert_spend(Tx& tx, std::string_view key_id, const SpendRow& s, std::int64_t at) {
  NSL_TRY(tx.exec(
      "INSERT INTO key_spends (tenant_id, key_id, asset, amount, at) VALUES ($1, $2, $3, $4, $5)",
      {tenant_of(tx), key_id, s.asset, s.amount, at}));
  return {};
}

Result<std::vector<SpendRow>> spends_since(Tx& tx, std::string_view key_id, std::int64_t since) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT asset, amount FROM key_spends WHERE tenant_id = $1 AND "
                          "key_id = $2 AND at > $3",
                          {tenant_of(tx), key_id, since}));
  std::vector<SpendRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back({r.at(0).value_or(""), r.at(1).value_or("")});
  return out;
}

Result<std::int64_t> delete_spends_before(Tx& tx, std::int64_t before) {
  return tx.exec("DELETE FROM key_spends WHERE tenant_id = $1 AND at <= $2",
                 {tenant_of(tx), before});
}

// ---- idempotency records ----
Result<std::optional<IdempotencyRow>> get_idempotency(Tx& tx, std::string_view scope,
                                                      std::string_view key, std::int64_t now) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT request_hash, status, body, created_at, expires_at FROM "
                          "idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND "
                          "idem_key = $3 AND expires_at > $4",
                          {tenant_of(tx), scope, key, now}));
  if (rows.empty()) return std::optional<IdempotencyRow>();
  IdempotencyRow out;
  out.request_hash = rows[0].at(0).value_or("");
  NSL_TRY_ASSIGN(std::int64_t status, to_int(rows[0].at(1)));
  out.status = static_cast<int>(status);
  out.body = rows[0].at(2).value_or("");
  NSL_TRY_ASSIGN(out.created_at, to_int(rows[0].at(3)));
  NSL_TRY_ASSIGN(out.expires_at, to_int(rows[0].at(4)));
  return std::optional<IdempotencyRow>(std::move(out));
}

Result<bool> put_idempotency(Tx& tx, std::string_view scope, std::string_view key,
                             const IdempotencyRow& row, std::int64_t now) {
  NSL_TRY_ASSIGN(
      std::int64_t n,
      tx.exec("INSERT INTO idempotency_keys (tenant_id, scope, idem_key, request_hash, status, "
              "body, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
              "ON CONFLICT (tenant_id, scope, idem_key) DO UPDATE SET "
              "request_hash = excluded.request_hash, status = excluded.status, "
              "body = excluded.body, created_at = excluded.created_at, "
              "expires_at = excluded.expires_at WHERE idempotency_keys.expires_at <= $9",
              {tenant_of(tx), scope, key, row.request_hash, row.status, row.body, row.created_at,
               row.expires_at, now}));
  return n == 1;
}

Result<bool> finish_idempotency(Tx& tx, std::string_view scope, std::string_view key,
                                std::string_view request_hash, int status, std::string_view body,
                                std::int64_t now) {
  NSL_TRY_ASSIGN(std::int64_t n,
                 tx.exec("UPDATE idempotency_keys SET status = $5, body = $6 WHERE tenant_id = $1 "
                         "AND scope = $2 AND idem_key = $3 AND request_hash = $4 AND status = 0 "
                         "AND expires_at > $7",
                         {tenant_of(tx), scope, key, request_hash, status, body, now}));
  return n == 1;
}

Result<std::int64_t> release_idempotency(Tx& tx, std::string_view scope, std::string_view key) {
  return tx.exec("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND "
                 "idem_key = $3 AND status = 0",
                 {tenant_of(tx), scope, key});
}

Result<std::int64_t> delete_expired_idempotency(Tx& tx, std::int64_t now) {
  return tx.exec("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND expires_at <= $2",
                 {tenant_of(tx), now});
}

}  // namespace nsl::keys::repo
