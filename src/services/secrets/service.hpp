// nsl/services/secrets/service.hpp — tenant secrets: a versioned key/value store addressed by
// path, with check-and-set writes, soft delete / undelete / destroy of versions and per-path
// metadata, in the manner of Vault's KV version 2.
//
//   SecretsService kv(db, enclave, &audit, Clock::real(), SecretsOptions{}, &registry);
//   NSL_TRY_ASSIGN(VersionMeta v, kv.write(tenant, "app/db", {{"pw", "…"}}, {.cas = 0}, actor));
//   NSL_TRY_ASSIGN(SecretValue s, kv.read(tenant, "app/db", std::nullopt, actor));
//
// Envelope encryption: every value is encrypted by the enclave (Enclave::data_encrypt, AES-256-GCM
// under a fresh per-message key derived from the tenant's data key) before it reaches storage.
// The tenant's data keys are generated inside the enclave and stored only sealed, under
// Binding{tenant, "kv-data-key", version, "data-key"}; the newest active one encrypts new
// versions. The associated data of a value is
//   "nsl-kv-v1" || 0x00 || tenant_id || 0x00 || path || 0x00 || u32be(version)
// so a ciphertext moved to another tenant, path or version does not decrypt: reads then fail with
// internal "stored secret does not decrypt …" (data integrity), never with the plaintext.
// rotate_data_key makes a new data key (the earlier ones become retired, still able to decrypt)
// and rewrap moves stored versions to the newest key inside the enclave (Enclave::data_rewrap).
// Nothing is cached; storage and backups hold ciphertext only.
//
// Values: a JSON object, at most 512 KiB serialized. read() hands the value back as the UTF-8
// bytes of that JSON object (what write() serialized) in a SecretBytes: locked, wiped memory that
// this module never reads. The HTTP layer embeds those bytes as the `data` member of its answer.
//
// Versions: write allocates version N+1 of the path with one statement that inserts or increments
// the path's row under its row lock, encrypts with N+1 in the associated data and stores the
// version in the same transaction, so concurrent writers (threads or replicas) get a gap-free,
// duplicate-free history. A write that fails (check-and-set, storage) consumes no version.
// Check-and-set (Vault semantics): cas absent — unconditional unless the path has cas_required
// (then failed_precondition); cas = 0 — only while the path has no version; cas = N — only while
// the current version is N; otherwise conflict naming the current version. After each write the
// oldest versions beyond max_versions (per path 1..1000, 0 = SecretsOptions default of 10) are
// removed. delete_version_after (ms, 0 = never) gives every new version a deletion_time of
// created + after.
//
// Version states: live; deleted (deletion_time <= now: read is not_found "… is deleted", the
// value stays and undelete restores it); destroyed (the ciphertext is erased: irrecoverable).
//
// Paths: 1..512 bytes of segments separated by '/', each segment 1..128 characters of
// [A-Za-z0-9._-], not "." or ".."; no leading, trailing or doubled '/'.
//
// Listing: full paths (not Vault's folder-style children) in ascending byte order, filtered by a
// byte prefix, with cursor paging (`after` = the last path of the previous page). A path is listed
// while its metadata exists, even when every version is deleted or destroyed.
//
// Errors: invalid_argument (path, value, version lists, metadata fields), not_found (absent path
// or version, a deleted or destroyed version — another tenant's paths are absent), conflict
// (check-and-set; data key rotated concurrently), failed_precondition (cas required; version
// numbers exhausted), internal (a stored value that does not decrypt), and the store's and the
// enclave's unavailable / deadline_exceeded.
//
// Audit (resource "secret:<path>", never a value): secrets.write, secrets.read (also refused
// reads, with the error code as result), secrets.delete, secrets.undelete, secrets.destroy,
// secrets.metadata_write, secrets.metadata_delete, secrets.data_key_rotate (resource
// "secret-data-key:<version>"). A write's record is appended inside the write's own transaction
// (audit::AuditLog::append_in): the version and its record commit together or not at all, and the
// write waits for no audit group commit; the others are appended after their change.
//
// Metrics: nsl_secrets_operations_total{op,result}, nsl_secrets_operation_seconds{op} and
// nsl_secrets_write_batch_size (writes per transaction, below).
//
// Group commit of writes: concurrent writes without `cas` of one tenant in one process queue up;
// the write at the front of the queue commits itself and the writes behind it (up to
// max_write_batch, distinct paths) in ONE transaction — one multi-row version allocation, the
// values encrypted in the enclave in one request (Enclave::data_encrypt_many), one multi-row insert
// — and hands each its own answer (the write path of LevelDB's DBImpl::Write). One group of a
// tenant is in flight at a time in each process (replicas run theirs side by side; every group
// locks its paths' rows in path order, so groups may wait for each other but never deadlock). A
// write that finds no group ahead commits alone, as before, without waiting. Each write's answer and audit record are its own; a batch
// whose transaction fails before COMMIT is rolled back whole and its writes run again one by one
// (so a path with cas_required, the tenant's first write or a lost race gets its usual answer).
// Check-and-set writes never join a batch. Semantics are those of one write after another.
//
// Reads (read, list, metadata) run in read-only transactions on the primary: beside the writer on
// SQLite, never on a lagging replica on PostgreSQL (a read right after a write sees it).
//
// Thread-safety: safe for concurrent use (state lives in the database).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "enclave/enclave.hpp"
#include "services/identity/service.hpp"
#include "store/db.hpp"

namespace nsl::audit {
class AuditLog;
}
namespace nsl::obs {
class Registry;
}

namespace nsl::secrets {

using identity::Actor;

struct SecretsOptions {
  int default_max_versions = 10;
  int max_max_versions = 1000;
  std::size_t max_value_bytes = 512 * 1024;  // serialized JSON
  std::size_t max_custom_metadata = 64;      // entries
  std::size_t max_versions_per_call = 1000;  // versions[] of delete / undelete / destroy
  // Store-level conflicts / unavailability retried inside one write (not check-and-set ones).
  int write_attempts = 3;
  // Most writes one transaction commits together (group commit, above); 1 = every write alone.
  std::size_t max_write_batch = 32;
  // maintain(): a tenant's active data key older than this is rotated (0 = never), and up to
  // rewrap_batch versions per tenant per run are moved to the newest key.
  int data_key_rotation_days = 90;
  int rewrap_batch = 1000;
};

// The path rules above; invalid_argument naming the rule that failed.
Status validate_path(std::string_view path);

// The associated data a value of (tenant, path, version) is encrypted under.
std::vector<std::uint8_t> value_aad(std::string_view tenant_id, std::string_view path,
                                    std::uint32_t version);

struct WriteOptions {
  std::optional<std::uint32_t> cas;
};

// What is known of one version without its value.
struct VersionMeta {
  std::uint32_t version = 0;
  std::int64_t created_time = 0;              // Unix ms
  std::optional<std::int64_t> deletion_time;  // Unix ms; set when deleted or scheduled to be
  bool destroyed = false;
};

struct SecretValue {
  SecretBytes data;  // UTF-8 JSON object text, as written
  VersionMeta metadata;
};

struct SecretMetadata {
  std::string path;
  int max_versions = 0;  // as configured (0 = default)
  int effective_max_versions = 0;
  bool cas_required = false;
  std::int64_t delete_version_after_ms = 0;  // 0 = never
  std::map<std::string, std::string> custom_metadata;
  std::uint32_t current_version = 0;                 // 0 = none written yet
  std::uint32_t oldest_version = 0;                  // oldest stored version (0 = none)
  std::optional<std::uint32_t> oldest_live_version;  // oldest neither deleted nor destroyed
  std::int64_t created_time = 0;
  std::int64_t updated_time = 0;
  std::vector<VersionMeta> versions;  // oldest first
};

// A partial metadata update (nullopt = unchanged).
struct MetadataUpdate {
  std::optional<int> max_versions;  // 0..1000 (0 = default)
  std::optional<bool> cas_required;
  std::optional<std::int64_t> delete_version_after_ms;  // >= 0 (0 = never)
  // Replaces the whole map: at most 64 entries, keys 1..128 bytes, values at most 512 bytes.
  std::optional<std::map<std::string, std::string>> custom_metadata;
};

struct ListEntry {
  std::string path;
  std::uint32_t current_version = 0;
  std::int64_t updated_time = 0;
};
struct ListPage {
  std::vector<ListEntry> entries;
  std::optional<std::string> next_after;  // set when the page is full: pass as `after`
};

struct RewrapReport {
  int rewrapped = 0;             // versions moved to the newest data key
  std::uint32_t to_version = 0;  // that key's version (0: the tenant has no data key)
  bool more = false;             // versions under older keys may remain: run again
};

class SecretsService {
 public:
  SecretsService(store::Database& db, enclave::Enclave& enclave, audit::AuditLog* audit,
                 const Clock& clock, SecretsOptions options = {},
                 obs::Registry* registry = nullptr);
  ~SecretsService();
  SecretsService(const SecretsService&) = delete;
  SecretsService& operator=(const SecretsService&) = delete;

  const SecretsOptions& options() const noexcept { return options_; }

  // `data` must be a JSON object.
  Result<VersionMeta> write(const store::TenantId& tenant, std::string_view path,
                            const nlohmann::json& data, const WriteOptions& options,
                            const Actor& actor);
  // version nullopt (or 0) = the current version.
  Result<SecretValue> read(const store::TenantId& tenant, std::string_view path,
                           std::optional<std::uint32_t> version, const Actor& actor);
  // limit 1..1000; prefix and after: up to 512 bytes of path characters.
  Result<ListPage> list(const store::TenantId& tenant, std::string_view prefix, int limit,
                        const std::optional<std::string>& after);

  // versions empty = the current version. Versions that do not exist, or are already deleted or
  // destroyed, are left as they are. not_found when the path is absent.
  Status delete_versions(const store::TenantId& tenant, std::string_view path,
                         const std::vector<std::uint32_t>& versions, const Actor& actor);
  // versions must not be empty. Destroyed versions stay destroyed.
  Status undelete(const store::TenantId& tenant, std::string_view path,
                  const std::vector<std::uint32_t>& versions, const Actor& actor);
  // versions must not be empty. The ciphertext is erased; the version's metadata stays.
  Status destroy(const store::TenantId& tenant, std::string_view path,
                 const std::vector<std::uint32_t>& versions, const Actor& actor);
  // The path's metadata and every version. not_found when absent.
  Status delete_all(const store::TenantId& tenant, std::string_view path, const Actor& actor);

  Result<SecretMetadata> metadata(const store::TenantId& tenant, std::string_view path);
  // Creates the path (without versions) when absent. Lowering max_versions removes the oldest
  // versions beyond it at once.
  Result<SecretMetadata> set_metadata(const store::TenantId& tenant, std::string_view path,
                                      const MetadataUpdate& update, const Actor& actor);

  // A new data key version (the earlier ones become retired); returns its version.
  Result<std::uint32_t> rotate_data_key(const store::TenantId& tenant, const Actor& actor);
  // Moves up to `limit` (1..10000) stored versions still under an older data key to the newest
  // one, inside the enclave. For a background job; idempotent and safe on several replicas.
  Result<RewrapReport> rewrap(const store::TenantId& tenant, int limit);

  // The background job (every replica, every few minutes): for every tenant, rotates an active
  // data key older than data_key_rotation_days (audited as actor "system"), then rewraps up to
  // rewrap_batch versions still under older keys. Safe on several replicas at once without a
  // lock: a rotation is one conditional insert of version N+1, N the newest version the replica
  // read when it judged the key old (a replica that loses the race gets a conflict and skips it) and a rewrap replaces a ciphertext only if it is unchanged. One
  // tenant's failure is logged and the others continue.
  struct MaintenanceReport {
    int rotated = 0;    // tenants whose data key was rotated
    int rewrapped = 0;  // versions moved
  };
  Result<MaintenanceReport> maintain();

 private:
  struct Metrics;
  struct DataKey {
    std::uint32_t version = 0;
    enclave::Bytes sealed;
  };
  std::int64_t now_ms() const;
  int effective_max(int configured) const;
  // Makes data key version newest + 1 the active one; conflict when that version exists already
  // (another rotation won).
  Result<std::uint32_t> rotate_to(const store::TenantId& tenant, std::uint32_t newest,
                                  const Actor& actor);
  // The tenant's newest active data key; made (version 1) on first use.
  Result<DataKey> active_key(const store::TenantId& tenant);
  Result<VersionMeta> write_once(const store::TenantId& tenant, std::string_view path,
                                 std::span<const std::uint8_t> plaintext,
                                 const WriteOptions& options, const Actor& actor,
                                 bool& cas_failed, bool& no_key);
  // One write in its own transaction (its audit record in it too), with the retries of a
  // store-level conflict.
  Result<VersionMeta> write_alone(const store::TenantId& tenant, std::string_view path,
                                  std::span<const std::uint8_t> plaintext,
                                  const WriteOptions& options, const Actor& actor);
  // Group commit (see the file comment).
  struct PendingWrite;
  struct WriteQueues;
  Result<VersionMeta> write_queued(const store::TenantId& tenant, std::string_view path,
                                   std::span<const std::uint8_t> plaintext, const Actor& actor);
  void commit_group(const store::TenantId& tenant, const std::vector<PendingWrite*>& group);
  // One transaction for the whole group; false (rolled back, no answers set) when the
  // transaction failed before COMMIT: the caller writes them one by one.
  bool commit_batch(const store::TenantId& tenant, const std::vector<PendingWrite*>& group);
  Result<SecretValue> read_once(const store::TenantId& tenant, std::string_view path,
                                std::optional<std::uint32_t> version);
  Result<SecretMetadata> metadata_in(store::Tx& tx, std::string_view path);
  Status change_versions(const store::TenantId& tenant, std::string_view path,
                         const std::vector<std::uint32_t>& versions, std::string_view op,
                         const Actor& actor);
  Status audit(const store::TenantId& tenant, const Actor& actor, std::string action,
               std::string resource, std::string result = "ok");
  // The "secrets.write" records of `paths` (by `actors`, pairwise) inside the writing transaction:
  // LAST in it (audit::AuditLog::append_in locks the chain head until COMMIT). `before`: the
  // transaction's last statements of its own, sent in the same round trip as the head's lock.
  Status audit_writes(store::Tx& tx, const store::TenantId& tenant,
                      const std::vector<std::pair<std::string_view, const Actor*>>& writes,
                      std::vector<store::Statement> before = {});
  void count(std::string_view op, const Status& st, std::chrono::steady_clock::time_point start);
  template <class T>
  T measured(std::string_view op, std::chrono::steady_clock::time_point start, T result);

  store::Database& db_;
  enclave::Enclave& enclave_;
  audit::AuditLog* audit_;
  const Clock& clock_;
  SecretsOptions options_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<WriteQueues> queues_;
};

template <class T>
T SecretsService::measured(std::string_view op, std::chrono::steady_clock::time_point start,
                           T result) {
  count(op, result.ok() ? Status() : Status(result.error()), start);
  return result;
}

}  // namespace nsl::secrets
