// The secrets service: path rules, values (write / read), listing, version states and metadata
// (service.hpp); the envelope data keys are in envelope.cpp.
#include "services/secrets/service.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/secret_string.hpp"
#include "core/strings.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "services/audit/audit_log.hpp"
#include "services/secrets/internal/envelope.hpp"
#include "services/secrets/metrics.hpp"
#include "services/secrets/repo.hpp"

namespace nsl::secrets {
namespace {

using internal::bytes_of;
using internal::integrity_error;
using internal::key_binding;

constexpr std::string_view kAadLabel = "nsl-kv-v1";
constexpr std::size_t kMaxPathBytes = 512;
constexpr std::size_t kMaxSegment = 128;
constexpr std::size_t kMaxMetaKey = 128;
constexpr std::size_t kMaxMetaValue = 512;
constexpr std::int64_t kMaxDeleteAfterMs = 100LL * 365 * 24 * 3600 * 1000;  // 100 years

bool path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// A prefix or cursor: path characters and '/', up to the path length.
Status validate_prefix(std::string_view s, std::string_view what) {
  if (s.size() > kMaxPathBytes)
    return err::invalid_argument(std::string(what) + " must be at most 512 bytes");
  for (char c : s) {
    if (c != '/' && !path_char(c)) {
      return err::invalid_argument(std::string(what) +
                                   " may contain only A-Z, a-z, 0-9, '.', '_', '-' and '/'");
    }
  }
  return {};
}

VersionMeta meta_of(const repo::VersionRow& v) {
  return {.version = v.version,
          .created_time = v.created_at,
          .deletion_time = v.deletion_time,
          .destroyed = v.destroyed};
}

// The version row a write stores: the allocated version of `row`, its ciphertext under data key
// `dek_version`, and the deletion time the path's delete_version_after gives it.
repo::VersionRow new_version(const repo::SecretRow& row, std::uint32_t dek_version,
                             const enclave::Bytes& ciphertext, std::int64_t now) {
  repo::VersionRow v{.path = row.path,
                     .version = row.current_version,
                     .ciphertext = to_hex(ciphertext),
                     .dek_version = dek_version,
                     .created_at = now,
                     .deletion_time = std::nullopt,
                     .destroyed = false};
  if (row.delete_version_after_ms > 0) v.deletion_time = now + row.delete_version_after_ms;
  return v;
}

// After a write of `row`'s current version: removes the versions beyond `max` (max_versions).
Status trim_beyond(store::Tx& tx, const repo::SecretRow& row, int max) {
  const auto limit = static_cast<std::uint32_t>(max);
  if (row.current_version > limit) {
    NSL_TRY(repo::trim_versions(tx, row.path, row.current_version - limit));
  }
  return {};
}

bool deleted_at(const repo::VersionRow& v, std::int64_t now) {
  return v.deletion_time && *v.deletion_time <= now;
}

Result<std::map<std::string, std::string>> parse_custom(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return err::internal("stored custom_metadata is not an object");
  std::map<std::string, std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string())
      return err::internal("stored custom_metadata value is not a string");
    out.emplace(it.key(), it.value().get<std::string>());
  }
  return out;
}

Result<std::string> custom_text(const std::map<std::string, std::string>& m) {
  try {
    return nlohmann::json(m).dump();
  } catch (const nlohmann::json::exception&) {
    return err::invalid_argument("custom_metadata keys and values must be valid UTF-8");
  }
}

Status validate_custom(const std::map<std::string, std::string>& m, std::size_t max_entries) {
  if (m.size() > max_entries) {
    return err::invalid_argument("custom_metadata may have at most " + std::to_string(max_entries) +
                                 " entries");
  }
  for (const auto& kv : m) {
    if (kv.first.empty() || kv.first.size() > kMaxMetaKey)
      return err::invalid_argument("custom_metadata keys must be 1..128 bytes");
    if (kv.second.size() > kMaxMetaValue)
      return err::invalid_argument("custom_metadata values must be at most 512 bytes");
  }
  return {};
}

// Wipes a std::string that held a plaintext value when the scope ends.
struct WipeOnExit {
  std::string& s;
  ~WipeOnExit() { SecretString::wipe(s); }
};

}  // namespace

Status validate_path(std::string_view path) {
  if (path.empty() || path.size() > kMaxPathBytes)
    return err::invalid_argument("path must be 1..512 bytes");
  if (path.front() == '/' || path.back() == '/')
    return err::invalid_argument("path must not start or end with '/'");
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = path.find('/', start);
    const std::string_view seg =
        path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (seg.empty()) return err::invalid_argument("path must not contain empty segments ('//')");
    if (seg.size() > kMaxSegment)
      return err::invalid_argument("each path segment must be at most 128 characters");
    if (seg == "." || seg == "..")
      return err::invalid_argument("path segments must not be '.' or '..'");
    for (char c : seg) {
      if (!path_char(c)) {
        return err::invalid_argument(
            "path segments may contain only A-Z, a-z, 0-9, '.', '_' and '-'");
      }
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return {};
}

std::vector<std::uint8_t> value_aad(std::string_view tenant_id, std::string_view path,
                                    std::uint32_t version) {
  std::vector<std::uint8_t> out;
  out.reserve(kAadLabel.size() + tenant_id.size() + path.size() + 3 + 4);
  auto put = [&out](std::string_view s) { out.insert(out.end(), s.begin(), s.end()); };
  put(kAadLabel);
  out.push_back(0);
  put(tenant_id);
  out.push_back(0);
  put(path);
  out.push_back(0);
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(version >> shift));
  return out;
}

struct SecretsService::Metrics : OperationMetrics {
  explicit Metrics(obs::Registry* registry) : OperationMetrics(registry) {
    if (registry) {
      batch_size = &registry->histogram(
          "nsl_secrets_write_batch_size",
          "Key/value writes committed per transaction (group commit; 1 = alone).",
          {1, 2, 4, 8, 16, 32, 64});
    }
  }
  obs::Histogram* batch_size = nullptr;
};

struct SecretsService::PendingWrite {
  std::string_view path;
  std::span<const std::uint8_t> plaintext;
  const Actor* actor = nullptr;
  std::optional<Result<VersionMeta>> result;
  bool lead = false;  // guarded by WriteQueues::mu: this write starts the next group
  bool done = false;  // guarded by WriteQueues::mu
  std::condition_variable cv;
};

struct SecretsService::WriteQueues {
  // Groups of one tenant in flight at once in this process. One: measured with two, the groups
  // were half as large and PostgreSQL's work per write grew more than the overlap gained
  // (bench/README.md, "Secrets load"). The queue works for any number.
  static constexpr int kGroupsInFlight = 1;
  struct Tenant {
    std::deque<PendingWrite*> waiting;
    int active = 0;  // groups being committed
  };
  std::mutex mu;
  std::unordered_map<std::string, Tenant> by_tenant;  // guarded by mu

  // Lets the first waiting write start a group when fewer than kGroupsInFlight are in flight.
  // Called with mu held.
  static void promote(Tenant& t) {
    if (t.active >= kGroupsInFlight || t.waiting.empty() || t.waiting.front()->lead) return;
    t.waiting.front()->lead = true;
    t.waiting.front()->cv.notify_one();
  }
};

SecretsService::SecretsService(store::Database& db, enclave::Enclave& enclave,
                               audit::AuditLog* audit, const Clock& clock, SecretsOptions options,
                               obs::Registry* registry)
    : db_(db),
      enclave_(enclave),
      audit_(audit),
      clock_(clock),
      options_(options),
      metrics_(std::make_unique<Metrics>(registry)),
      queues_(std::make_unique<WriteQueues>()) {
}

SecretsService::~SecretsService() = default;

std::int64_t SecretsService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             clock_.system_now().time_since_epoch())
      .count();
}

int SecretsService::effective_max(int configured) const {
  return configured > 0 ? configured : options_.default_max_versions;
}

void SecretsService::count(std::string_view op, const Status& st,
                           std::chrono::steady_clock::time_point start) {
  metrics_->record(op, st, start);
}

Status SecretsService::audit(const store::TenantId& tenant, const Actor& actor, std::string action,
                             std::string resource, std::string result) {
  return identity::audit_change(audit_, tenant, actor, std::move(action), std::move(resource),
                                std::move(result));
}

Status SecretsService::audit_writes(
    store::Tx& tx, const store::TenantId& tenant,
    const std::vector<std::pair<std::string_view, const Actor*>>& writes,
    std::vector<store::Statement> before) {
  if (audit_ == nullptr) {
    if (!before.empty()) NSL_TRY(tx.exec_all(before));
    return {};
  }
  std::vector<audit::AuditEvent> events;
  events.reserve(writes.size());
  for (const auto& [path, actor] : writes) {
    events.push_back({.tenant = tenant,
                      .actor = actor->subject,
                      .action = "secrets.write",
                      .resource = "secret:" + std::string(path),
                      .request_id = actor->request_id,
                      .result = "ok"});
  }
  return audit_->append_in(tx, tenant, events, std::move(before));
}

// ---- write / read ----

Result<VersionMeta> SecretsService::write_once(const store::TenantId& tenant, std::string_view path,
                                               std::span<const std::uint8_t> plaintext,
                                               const WriteOptions& options,
                                               const Actor& actor, bool& cas_failed,
                                               bool& no_key) {
  const std::int64_t now = now_ms();
  return db_.with_tenant(tenant, [&](store::Tx& tx) -> Result<VersionMeta> {
    // Allocates the version under the path's row lock, and learns the active data key in the
    // same statement; everything after runs in that same transaction, so a failure gives the
    // version back (rollback).
    NSL_TRY_ASSIGN(repo::Allocated a, repo::bump_version(tx, path, now));
    const repo::SecretRow& row = a.secret;
    const std::uint32_t version = row.current_version;
    const std::uint32_t prior = version - 1;
    if (options.cas) {
      if (*options.cas != prior) {
        cas_failed = true;
        return err::conflict("check-and-set failed: the current version is " +
                             std::to_string(prior) + (prior == 0 ? " (no version yet)" : ""));
      }
    } else if (row.cas_required) {
      cas_failed = true;
      return err::failed_precondition("check-and-set is required for this path: pass cas");
    }
    if (!a.active_key) {
      no_key = true;  // the tenant's first write: roll back, make the key, write again
      return err::failed_precondition("the tenant has no data key yet");
    }
    NSL_TRY_ASSIGN(enclave::Bytes sealed, bytes_of(a.active_key->sealed, "data key"));
    auto ct = enclave_.data_encrypt(key_binding(tenant, a.active_key->version), sealed,
                                    value_aad(tenant.str(), path, version), plaintext);
    if (!ct.ok()) return integrity_error(ct.error(), tenant, path, version, "encrypt");
    repo::VersionRow v = new_version(row, a.active_key->version, *ct, now);
    NSL_TRY(repo::insert_version(tx, v));
    NSL_TRY(trim_beyond(tx, row, effective_max(row.max_versions)));
    NSL_TRY(audit_writes(tx, tenant, {{path, &actor}}));
    return meta_of(v);
  });
}

Result<VersionMeta> SecretsService::write(const store::TenantId& tenant, std::string_view path,
                                          const nlohmann::json& data, const WriteOptions& options,
                                          const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<VersionMeta> {
    NSL_TRY(validate_path(path));
    if (!data.is_object()) return err::invalid_argument("data must be a JSON object");
    std::string text;
    WipeOnExit wipe{text};
    try {
      text = data.dump();
    } catch (const nlohmann::json::exception&) {
      return err::invalid_argument("data must be valid UTF-8 JSON");
    }
    if (text.size() > options_.max_value_bytes)
      return err::invalid_argument("data must be at most 512 KiB serialized");
    const std::span<const std::uint8_t> plaintext(
        reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    const bool alone = options.cas || options_.max_write_batch <= 1;
    if (alone && metrics_->batch_size) metrics_->batch_size->observe(1);
    // The audit record commits with the write (in its transaction).
    return alone ? write_alone(tenant, path, plaintext, options, actor)
                 : write_queued(tenant, path, plaintext, actor);
  };
  return measured("write", start, run());
}

Result<VersionMeta> SecretsService::write_alone(const store::TenantId& tenant,
                                                std::string_view path,
                                                std::span<const std::uint8_t> plaintext,
                                                const WriteOptions& options, const Actor& actor) {
  bool made_key = false;
  for (int attempt = 1;; ++attempt) {
    bool cas_failed = false;
    bool no_key = false;
    auto r = write_once(tenant, path, plaintext, options, actor, cas_failed, no_key);
    if (r.ok()) return r;
    if (no_key && !made_key) {
      // Once per tenant: makes (or finds a replica's) first data key outside any transaction.
      NSL_TRY(active_key(tenant));
      made_key = true;
      --attempt;  // not a retry of a conflict
      continue;
    }
    // Only store-level conflicts (serialization failure, deadlock) are retried: they rolled
    // back for sure. A check-and-set failure is the caller's answer.
    if (cas_failed || no_key || r.error().code() != ErrorCode::conflict ||
        attempt >= options_.write_attempts) {
      return r;
    }
  }
}

Result<VersionMeta> SecretsService::write_queued(const store::TenantId& tenant,
                                                 std::string_view path,
                                                 std::span<const std::uint8_t> plaintext,
                                                 const Actor& actor) {
  PendingWrite w{.path = path, .plaintext = plaintext, .actor = &actor, .result = std::nullopt,
                 .lead = false, .done = false, .cv = {}};
  std::unique_lock lock(queues_->mu);
  // References to a map's elements survive rehashing; the entry is erased only when no write of
  // the tenant is waiting or being committed.
  WriteQueues::Tenant& t = queues_->by_tenant[tenant.str()];
  t.waiting.push_back(&w);
  WriteQueues::promote(t);
  w.cv.wait(lock, [&] { return w.done || w.lead; });
  if (w.done) return std::move(*w.result);
  // This write leads a group (it is first in line): it takes the writes behind it, up to the
  // first repeated path (one statement cannot allocate two versions of one path). Groups in
  // flight at once lock their rows in path order, so they wait for each other but never deadlock.
  std::vector<PendingWrite*> group;
  std::unordered_set<std::string_view> paths;
  while (!t.waiting.empty() && group.size() < options_.max_write_batch &&
         paths.insert(t.waiting.front()->path).second) {
    group.push_back(t.waiting.front());
    t.waiting.pop_front();
  }
  ++t.active;
  WriteQueues::promote(t);
  lock.unlock();
  try {
    commit_group(tenant, group);
  } catch (...) {
    // Never leave the writes of a leader that is gone waiting.
    for (PendingWrite* p : group) {
      if (!p->result) p->result = Result<VersionMeta>(err::internal("secret write failed"));
    }
  }
  lock.lock();
  --t.active;
  for (PendingWrite* p : group) {
    p->done = true;
    if (p != &w) p->cv.notify_one();
  }
  WriteQueues::promote(t);
  if (t.waiting.empty() && t.active == 0) queues_->by_tenant.erase(tenant.str());
  return std::move(*w.result);
}

void SecretsService::commit_group(const store::TenantId& tenant,
                                  const std::vector<PendingWrite*>& group) {
  if (group.size() > 1 && commit_batch(tenant, group)) {
    if (metrics_->batch_size) metrics_->batch_size->observe(static_cast<double>(group.size()));
    return;
  }
  for (PendingWrite* p : group) {
    p->result = write_alone(tenant, p->path, p->plaintext, {}, *p->actor);
    if (metrics_->batch_size) metrics_->batch_size->observe(1);
  }
}

bool SecretsService::commit_batch(const store::TenantId& tenant,
                                  const std::vector<PendingWrite*>& group) {
  std::vector<PendingWrite*> sorted(group);
  std::sort(sorted.begin(), sorted.end(),
            [](const PendingWrite* a, const PendingWrite* b) { return a->path < b->path; });
  std::vector<std::string_view> paths;
  std::unordered_map<std::string_view, PendingWrite*> by_path;
  paths.reserve(sorted.size());
  for (PendingWrite* p : sorted) {
    paths.push_back(p->path);
    by_path.emplace(p->path, p);
  }
  const std::int64_t now = now_ms();
  std::vector<std::pair<PendingWrite*, VersionMeta>> answers;
  bool body_ok = false;
  Status st = db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    answers.clear();
    NSL_TRY_ASSIGN(std::vector<repo::Allocated> rows, repo::bump_versions(tx, paths, now));
    // One statement gave every row the same active key: all values go to the enclave at once.
    std::vector<PendingWrite*> writers;
    std::vector<std::vector<std::uint8_t>> aads;
    writers.reserve(rows.size());
    aads.reserve(rows.size());
    for (const repo::Allocated& a : rows) {
      const auto it = by_path.find(a.secret.path);
      if (it == by_path.end()) return err::internal("version allocation returned another path");
      // A path that needs check-and-set, or a tenant without a data key yet: these writes get
      // their answers one by one.
      if (a.secret.cas_required || !a.active_key ||
          a.active_key->version != rows.front().active_key->version) {
        return err::failed_precondition("not for a batch");
      }
      writers.push_back(it->second);
      aads.push_back(value_aad(tenant.str(), a.secret.path, a.secret.current_version));
    }
    const std::uint32_t key_version = rows.front().active_key->version;
    NSL_TRY_ASSIGN(enclave::Bytes sealed, bytes_of(rows.front().active_key->sealed, "data key"));
    std::vector<enclave::Enclave::DataEncryptItem> items;
    items.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      items.push_back({.aad = aads[i], .plaintext = writers[i]->plaintext});
    }
    std::vector<Result<enclave::Bytes>> cts =
        enclave_.data_encrypt_many(key_binding(tenant, key_version), sealed, items);
    if (cts.size() != rows.size()) return err::internal("enclave answered another count");
    std::vector<repo::VersionRow> versions;
    versions.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const repo::SecretRow& row = rows[i].secret;
      if (!cts[i].ok())
        return integrity_error(cts[i].error(), tenant, row.path, row.current_version, "encrypt");
      repo::VersionRow v = new_version(row, key_version, *cts[i], now);
      answers.emplace_back(writers[i], meta_of(v));
      versions.push_back(std::move(v));
    }
    // Versions beyond max_versions go first (a trim never reaches the version being written);
    // the insert then travels with the audit chain's head lock, in one round trip.
    for (const repo::Allocated& a : rows) {
      NSL_TRY(trim_beyond(tx, a.secret, effective_max(a.secret.max_versions)));
    }
    std::string insert_sql;
    std::vector<store::Statement> insert;
    insert.push_back(repo::versions_insert(tx, versions, insert_sql));
    // The records in arrival order, as the writes were queued.
    std::vector<std::pair<std::string_view, const Actor*>> audited;
    audited.reserve(group.size());
    for (const PendingWrite* p : group) audited.emplace_back(p->path, p->actor);
    NSL_TRY(audit_writes(tx, tenant, audited, std::move(insert)));
    body_ok = true;
    return {};
  });
  if (st.ok()) {
    for (auto& [p, meta] : answers) p->result = Result<VersionMeta>(meta);
    return true;
  }
  if (!body_ok) return false;  // rolled back: nothing of the batch is stored
  // COMMIT itself failed: whether it took effect is unknown, so no write runs again; each gets
  // the store's answer, as a single write would.
  for (PendingWrite* p : group) p->result = Result<VersionMeta>(st.error());
  return true;
}

Result<SecretValue> SecretsService::read_once(const store::TenantId& tenant, std::string_view path,
                                              std::optional<std::uint32_t> version) {
  struct Loaded {
    repo::VersionRow row;
    repo::DataKeyRow key;
  };
  const std::int64_t now = now_ms();
  NSL_TRY_ASSIGN(Loaded l, db_.with_tenant_read_primary(tenant, [&](store::Tx& tx) -> Result<Loaded> {
    NSL_TRY_ASSIGN(std::optional<repo::ForRead> f, repo::load_for_read(tx, path, version.value_or(0)));
    if (!f) return err::not_found("secret not found");
    const std::uint32_t want = version.value_or(0) == 0 ? f->current_version : *version;
    if (want == 0) return err::not_found("secret has no version");
    const std::string name = "version " + std::to_string(want);
    if (!f->version) return err::not_found(name + " not found");
    const repo::VersionRow& v = *f->version;
    if (v.destroyed) return err::not_found(name + " is destroyed");
    if (deleted_at(v, now)) return err::not_found(name + " is deleted");
    if (!v.ciphertext) return err::internal(name + " has no stored value");
    if (!f->key) return err::internal("the data key of " + name + " is missing");
    return Loaded{std::move(*f->version), std::move(*f->key)};
  }));
  NSL_TRY_ASSIGN(enclave::Bytes ct, bytes_of(*l.row.ciphertext, "ciphertext"));
  NSL_TRY_ASSIGN(enclave::Bytes sealed, bytes_of(l.key.sealed, "data key"));
  auto plain = enclave_.data_decrypt(key_binding(tenant, l.key.version), sealed,
                                     value_aad(tenant.str(), path, l.row.version), ct);
  if (!plain.ok()) return integrity_error(plain.error(), tenant, path, l.row.version, "decrypt");
  return SecretValue{.data = std::move(*plain), .metadata = meta_of(l.row)};
}

Result<SecretValue> SecretsService::read(const store::TenantId& tenant, std::string_view path,
                                         std::optional<std::uint32_t> version, const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  if (Status st = validate_path(path); !st.ok()) {
    return measured("read", start, Result<SecretValue>(std::move(st).error()));
  }
  Result<SecretValue> r = read_once(tenant, path, version);
  // Every read of a well-formed path is audited, refused ones with their error code; a value is
  // handed out only once its read is on record.
  const std::string result =
      r.ok() ? std::string("ok") : std::string(error_code_name(r.error().code()));
  Status audited = audit(tenant, actor, "secrets.read", "secret:" + std::string(path), result);
  if (!audited.ok() && r.ok()) r = Result<SecretValue>(std::move(audited).error());
  return measured("read", start, std::move(r));
}

Result<ListPage> SecretsService::list(const store::TenantId& tenant, std::string_view prefix,
                                      int limit, const std::optional<std::string>& after) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<ListPage> {
    NSL_TRY(validate_prefix(prefix, "prefix"));
    if (after) NSL_TRY(validate_prefix(*after, "after"));
    if (limit < 1 || limit > 1000) return err::invalid_argument("limit must be 1..1000");
    NSL_TRY_ASSIGN(std::vector<repo::SecretRow> rows, db_.with_tenant_read_primary(tenant, [&](store::Tx& tx) {
      return repo::list_secrets(tx, prefix, after, limit);
    }));
    ListPage page;
    page.entries.reserve(rows.size());
    for (auto& r : rows) {
      page.entries.push_back({.path = std::move(r.path),
                              .current_version = r.current_version,
                              .updated_time = r.updated_at});
    }
    if (static_cast<int>(page.entries.size()) == limit) page.next_after = page.entries.back().path;
    return page;
  };
  return measured("list", start, run());
}

// ---- version state changes ----

Status SecretsService::change_versions(const store::TenantId& tenant, std::string_view path,
                                       const std::vector<std::uint32_t>& versions,
                                       std::string_view op, const Actor& actor) {
  NSL_TRY(validate_path(path));
  if (versions.size() > options_.max_versions_per_call) {
    return err::invalid_argument("at most " + std::to_string(options_.max_versions_per_call) +
                                 " versions per call");
  }
  for (std::uint32_t v : versions) {
    if (v == 0) return err::invalid_argument("versions must be 1 or more");
  }
  if (op != "delete" && versions.empty())
    return err::invalid_argument("versions must not be empty");
  const std::int64_t now = now_ms();
  Status stored = db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY_ASSIGN(std::optional<repo::SecretRow> s, repo::get_secret(tx, path));
    if (!s) return err::not_found("secret not found");
    std::vector<std::uint32_t> which = versions;
    if (which.empty()) {
      if (s->current_version == 0) return {};
      which.push_back(s->current_version);
    }
    if (op == "delete") {
      NSL_TRY(repo::soft_delete(tx, path, which, now));
    } else if (op == "undelete") {
      NSL_TRY(repo::undelete(tx, path, which));
    } else {
      NSL_TRY(repo::destroy(tx, path, which));
    }
    return {};
  });
  if (!stored.ok()) return std::move(stored).error();
  return audit(tenant, actor, "secrets." + std::string(op), "secret:" + std::string(path));
}

Status SecretsService::delete_versions(const store::TenantId& tenant, std::string_view path,
                                       const std::vector<std::uint32_t>& versions,
                                       const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  return measured("delete", start, change_versions(tenant, path, versions, "delete", actor));
}

Status SecretsService::undelete(const store::TenantId& tenant, std::string_view path,
                                const std::vector<std::uint32_t>& versions, const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  return measured("undelete", start, change_versions(tenant, path, versions, "undelete", actor));
}

Status SecretsService::destroy(const store::TenantId& tenant, std::string_view path,
                               const std::vector<std::uint32_t>& versions, const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  return measured("destroy", start, change_versions(tenant, path, versions, "destroy", actor));
}

Status SecretsService::delete_all(const store::TenantId& tenant, std::string_view path,
                                  const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Status {
    NSL_TRY(validate_path(path));
    Status stored = db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
      NSL_TRY_ASSIGN(std::int64_t n, repo::delete_secret(tx, path));
      if (n == 0) return err::not_found("secret not found");
      return {};
    });
    if (!stored.ok()) return std::move(stored).error();
    return audit(tenant, actor, "secrets.metadata_delete", "secret:" + std::string(path));
  };
  return measured("delete_all", start, run());
}

// ---- metadata ----

Result<SecretMetadata> SecretsService::metadata_in(store::Tx& tx, std::string_view path) {
  NSL_TRY_ASSIGN(std::optional<repo::SecretRow> s, repo::get_secret(tx, path));
  if (!s) return err::not_found("secret not found");
  NSL_TRY_ASSIGN(std::vector<repo::VersionRow> versions, repo::version_metadata(tx, path));
  const std::int64_t now = now_ms();
  SecretMetadata m;
  m.path = s->path;
  m.max_versions = s->max_versions;
  m.effective_max_versions = effective_max(s->max_versions);
  m.cas_required = s->cas_required;
  m.delete_version_after_ms = s->delete_version_after_ms;
  NSL_TRY_ASSIGN(m.custom_metadata, parse_custom(s->custom_metadata));
  m.current_version = s->current_version;
  m.created_time = s->created_at;
  m.updated_time = s->updated_at;
  m.versions.reserve(versions.size());
  for (const auto& v : versions) {
    if (m.oldest_version == 0) m.oldest_version = v.version;
    if (!m.oldest_live_version && !v.destroyed && !deleted_at(v, now))
      m.oldest_live_version = v.version;
    m.versions.push_back(meta_of(v));
  }
  return m;
}

Result<SecretMetadata> SecretsService::metadata(const store::TenantId& tenant,
                                                std::string_view path) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<SecretMetadata> {
    NSL_TRY(validate_path(path));
    return db_.with_tenant_read_primary(tenant, [&](store::Tx& tx) { return metadata_in(tx, path); });
  };
  return measured("metadata", start, run());
}

Result<SecretMetadata> SecretsService::set_metadata(const store::TenantId& tenant,
                                                    std::string_view path,
                                                    const MetadataUpdate& update,
                                                    const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<SecretMetadata> {
    NSL_TRY(validate_path(path));
    repo::MetadataChange change;
    if (update.max_versions) {
      if (*update.max_versions < 0 || *update.max_versions > options_.max_max_versions) {
        return err::invalid_argument("max_versions must be from 0 (default) to " +
                                     std::to_string(options_.max_max_versions));
      }
      change.max_versions = *update.max_versions;
    }
    change.cas_required = update.cas_required;
    if (update.delete_version_after_ms) {
      if (*update.delete_version_after_ms < 0 ||
          *update.delete_version_after_ms > kMaxDeleteAfterMs)
        return err::invalid_argument("delete_version_after must be from 0 (never) to 100 years");
      change.delete_version_after_ms = *update.delete_version_after_ms;
    }
    if (update.custom_metadata) {
      NSL_TRY(validate_custom(*update.custom_metadata, options_.max_custom_metadata));
      NSL_TRY_ASSIGN(change.custom_metadata, custom_text(*update.custom_metadata));
    }
    const std::int64_t now = now_ms();
    NSL_TRY_ASSIGN(SecretMetadata m,
                   db_.with_tenant(tenant, [&](store::Tx& tx) -> Result<SecretMetadata> {
                     NSL_TRY(repo::ensure_secret(tx, path, now));
                     NSL_TRY(repo::update_metadata(tx, path, change, now));
                     NSL_TRY_ASSIGN(std::optional<repo::SecretRow> s, repo::get_secret(tx, path));
                     if (!s) return err::internal("secret vanished inside its transaction");
                     const auto max = static_cast<std::uint32_t>(effective_max(s->max_versions));
                     if (s->current_version > max)
                       NSL_TRY(repo::trim_versions(tx, path, s->current_version - max));
                     return metadata_in(tx, path);
                   }));
    NSL_TRY(audit(tenant, actor, "secrets.metadata_write", "secret:" + std::string(path)));
    return m;
  };
  return measured("metadata_write", start, run());
}

}  // namespace nsl::secrets
