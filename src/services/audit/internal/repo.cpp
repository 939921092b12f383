#include "services/audit/internal/repo.hpp"

#include <limits>

#include "core/strings.hpp"

namespace nsl::audit::internal {
namespace {

constexpr std::string_view kRecordColumns =
    "seq, ts, actor, action, resource, request_id, result, detail, prev_hash, hash";
constexpr int kRecordColumnCount = 10;

std::string text(const std::optional<std::string>& v) { return v.value_or(std::string()); }

Result<StoredRecord> parse_record(const store::Row& row) {
  if (row.size() != kRecordColumnCount) return err::internal("unexpected audit row shape");
  StoredRecord r;
  NSL_TRY_ASSIGN(r.seq, column_u64(row[0]));
  NSL_TRY_ASSIGN(r.ts_ms, column_i64(row[1]));
  r.actor = text(row[2]);
  r.action = text(row[3]);
  r.resource = text(row[4]);
  r.request_id = text(row[5]);
  r.result = text(row[6]);
  r.detail = text(row[7]);
  r.prev_hash = text(row[8]);
  r.hash = text(row[9]);
  return r;
}

Result<std::vector<StoredRecord>> parse_records(const store::Rows& rows) {
  std::vector<StoredRecord> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    NSL_TRY_ASSIGN(auto r, parse_record(row));
    out.push_back(std::move(r));
  }
  return out;
}

// "INSERT ... VALUES ($1..$11), ($12..$22), ..." for n rows; cached per n by the caller's loop.
std::string insert_sql(std::size_t n) {
  std::string sql =
      "INSERT INTO audit_records (tenant_id, seq, ts, actor, action, resource, request_id, result, "
      "detail, prev_hash, hash) VALUES ";
  int p = 1;
  for (std::size_t i = 0; i < n; ++i) {
    sql += i == 0 ? "(" : ", (";
    for (int c = 0; c < 11; ++c) {
      if (c > 0) sql += ", ";
      sql += '$';
      sql += std::to_string(p++);
    }
    sql += ')';
  }
  return sql;
}

const std::string& cached_insert_sql(std::size_t n) {
  // Power-of-two sizes only (1..256): at most 9 texts.
  static const std::vector<std::string> kSql = [] {
    std::vector<std::string> v;
    for (std::size_t k = 1; k <= 256; k *= 2) v.push_back(insert_sql(k));
    return v;
  }();
  std::size_t idx = 0;
  while ((std::size_t{1} << idx) < n) ++idx;
  return kSql[idx];
}

// Number of Unicode code points (substr() counts characters on both back ends).
std::int64_t utf8_length(std::string_view s) {
  std::int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

bool storable_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(n) >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<std::size_t>(n) + 1;
  }
  return true;
}

Result<std::uint64_t> column_u64(const std::optional<std::string>& v) {
  if (!v) return err::internal("unexpected NULL in audit table");
  const auto n = parse_u64(*v);
  if (!n) return err::internal("unexpected integer in audit table");
  return *n;
}

Result<std::int64_t> column_i64(const std::optional<std::string>& v) {
  if (!v) return err::internal("unexpected NULL in audit table");
  std::string_view s = *v;
  const bool neg = !s.empty() && s.front() == '-';
  if (neg) s.remove_prefix(1);
  const auto n = parse_u64(s);
  if (!n || *n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return err::internal("unexpected integer in audit table");
  }
  return neg ? -static_cast<std::int64_t>(*n) : static_cast<std::int64_t>(*n);
}

Result<Head> read_head(store::Tx& tx, const store::TenantId& tenant) {
  NSL_TRY_ASSIGN(auto rows,
                 tx.query("SELECT seq, hash FROM audit_heads WHERE tenant_id = $1", {tenant}));
  if (rows.empty()) return Head{};
  Head h;
  NSL_TRY_ASSIGN(h.seq, column_u64(rows[0].at(0)));
  h.hash = text(rows[0].at(1));
  return h;
}

Result<Head> lock_head(store::Tx& tx, store::Backend backend, const store::TenantId& tenant,
                       std::vector<store::Statement> before) {
  // SQLite: the store opens every transaction with BEGIN IMMEDIATE (write lock up front), so a
  // plain read cannot race another writer. PostgreSQL: the row lock serializes replicas.
  const std::string_view sql = backend == store::Backend::postgres
                                   ? "SELECT seq, hash FROM audit_heads WHERE tenant_id = $1 "
                                     "FOR UPDATE"
                                   : "SELECT seq, hash FROM audit_heads WHERE tenant_id = $1";
  for (int pass = 0; pass < 2; ++pass) {
    store::Rows rows;
    if (pass == 0 && !before.empty()) {
      before.push_back({.sql = sql, .params = {tenant}, .rows = &rows});
      NSL_TRY(tx.exec_all(before));
    } else {
      NSL_TRY_ASSIGN(rows, tx.query(sql, {tenant}));
    }
    if (!rows.empty()) {
      Head h;
      NSL_TRY_ASSIGN(h.seq, column_u64(rows[0].at(0)));
      h.hash = text(rows[0].at(1));
      return h;
    }
    // First record of this tenant: concurrent creators wait for each other on the primary key
    // and all but one do nothing; the locking read above then sees the committed row.
    NSL_TRY(
        tx.exec("INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) "
                "ON CONFLICT (tenant_id) DO NOTHING",
                {tenant, kZeroHash}));
  }
  return err::internal("audit head row missing");
}

Status append_chain(store::Tx& tx, const store::TenantId& tenant,
                    const std::vector<StoredRecord>& records, std::uint64_t from_seq,
                    const Head& to) {
  // The inserts in power-of-two chunks (each a cached prepared statement), then the head's
  // conditional advance: one batch (on PostgreSQL one pipeline, one round trip).
  std::vector<store::Statement> statements;
  std::size_t i = 0;
  while (i < records.size()) {
    std::size_t n = 256;
    while (n > records.size() - i) n /= 2;
    store::Params params;
    params.reserve(n * 11);
    for (std::size_t k = i; k < i + n; ++k) {
      const StoredRecord& r = records[k];
      params.emplace_back(tenant);
      params.emplace_back(static_cast<std::int64_t>(r.seq));
      params.emplace_back(r.ts_ms);
      params.emplace_back(r.actor);
      params.emplace_back(r.action);
      params.emplace_back(r.resource);
      params.emplace_back(r.request_id);
      params.emplace_back(r.result);
      params.emplace_back(r.detail);
      params.emplace_back(r.prev_hash);
      params.emplace_back(r.hash);
    }
    statements.push_back({cached_insert_sql(n), std::move(params)});
    i += n;
  }
  statements.push_back({"UPDATE audit_heads SET seq = $2, hash = $3 WHERE tenant_id = $1 AND seq = $4",
                        {tenant, static_cast<std::int64_t>(to.seq), to.hash,
                         static_cast<std::int64_t>(from_seq)}});
  NSL_TRY_ASSIGN(std::vector<std::int64_t> counts, tx.exec_all(statements));
  if (counts.empty() || counts.back() != 1) return err::conflict("audit chain head moved");
  return {};
}

Result<std::vector<StoredRecord>> records_after(store::Tx& tx, const store::TenantId& tenant,
                                                std::uint64_t after_seq, int limit) {
  NSL_TRY_ASSIGN(auto rows, tx.query("SELECT " + std::string(kRecordColumns) +
                                         " FROM audit_records WHERE tenant_id = $1 AND seq > $2 "
                                         "ORDER BY seq LIMIT $3",
                                     {tenant, static_cast<std::int64_t>(after_seq), limit}));
  return parse_records(rows);
}

Result<std::vector<StoredRecord>> list_records(store::Tx& tx, const store::TenantId& tenant,
                                               const AuditFilter& filter,
                                               std::optional<std::uint64_t> before_seq, int limit) {
  std::string sql =
      "SELECT " + std::string(kRecordColumns) + " FROM audit_records WHERE tenant_id = $1";
  store::Params params{tenant};
  auto next = [&params](store::Param p) {
    params.push_back(std::move(p));
    return "$" + std::to_string(params.size());
  };
  auto eq = [&](std::string_view column, const std::optional<std::string>& v) {
    if (v) sql += " AND " + std::string(column) + " = " + next(*v);
  };
  eq("action", filter.action);
  eq("actor", filter.actor);
  eq("resource", filter.resource);
  eq("result", filter.result);
  if (filter.action_prefix && !filter.action_prefix->empty()) {
    // Not LIKE: SQLite's LIKE ignores ASCII case and both need escaping of % and _.
    const std::string len = next(utf8_length(*filter.action_prefix));
    sql += " AND substr(action, 1, " + len + ") = " + next(*filter.action_prefix);
  }
  if (filter.since_ms) sql += " AND ts >= " + next(*filter.since_ms);
  if (filter.until_ms) sql += " AND ts < " + next(*filter.until_ms);
  if (before_seq) sql += " AND seq < " + next(static_cast<std::int64_t>(*before_seq));
  sql += " ORDER BY seq DESC LIMIT " + next(limit);
  NSL_TRY_ASSIGN(auto rows, tx.query(sql, params));
  return parse_records(rows);
}

Result<std::uint64_t> latest_checkpoint_seq(store::Tx& tx, const store::TenantId& tenant) {
  NSL_TRY_ASSIGN(auto rows,
                 tx.query("SELECT MAX(seq) FROM audit_checkpoints WHERE tenant_id = $1", {tenant}));
  if (rows.empty() || !rows[0].at(0)) return std::uint64_t{0};
  return column_u64(rows[0][0]);
}

Status insert_checkpoint(store::Tx& tx, const store::TenantId& tenant, const StoredCheckpoint& cp) {
  // Another replica may have signed the same head: keep the first row.
  NSL_TRY(tx.exec(
      "INSERT INTO audit_checkpoints (tenant_id, seq, hash, created_at, key_id, alg, signature) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, seq) DO NOTHING",
      {tenant, static_cast<std::int64_t>(cp.seq), cp.hash, cp.created_at, cp.key_id, cp.alg,
       cp.signature}));
  return {};
}

Result<std::vector<StoredCheckpoint>> checkpoints_after(store::Tx& tx,
                                                        const store::TenantId& tenant,
                                                        std::uint64_t after_seq, int limit) {
  NSL_TRY_ASSIGN(auto rows, tx.query("SELECT seq, hash, created_at, key_id, alg, signature "
                                     "FROM audit_checkpoints WHERE tenant_id = $1 AND seq > $2 "
                                     "ORDER BY seq LIMIT $3",
                                     {tenant, static_cast<std::int64_t>(after_seq), limit}));
  std::vector<StoredCheckpoint> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    if (row.size() != 6) return err::internal("unexpected audit checkpoint row shape");
    StoredCheckpoint cp;
    NSL_TRY_ASSIGN(cp.seq, column_u64(row[0]));
    cp.hash = text(row[1]);
    NSL_TRY_ASSIGN(cp.created_at, column_i64(row[2]));
    cp.key_id = text(row[3]);
    cp.alg = text(row[4]);
    cp.signature = text(row[5]);
    out.push_back(std::move(cp));
  }
  return out;
}

}  // namespace nsl::audit::internal
