// nsl/services/keys/service.hpp — tenant signing keys: create, read, disable/enable, rotate,
// destroy, per-key policies, and the accessors the signing path builds on.
//
//   KeyService keys(db, enclave, &audit, shared_cache, Clock::real(), KeyOptions{}, &registry);
//   NSL_TRY_ASSIGN(KeyView k, keys.create(tenant, {.curve = "secp256r1", .label = "hot"}, actor));
//   NSL_TRY_ASSIGN(KeyForSigning s, keys.for_signing(tenant, k.key.id));   // refuses unusable keys
//
// Lifecycle (docs/keys.md):
//   enabled ⇄ disabled              disable / enable
//   enabled|disabled → pending_destruction (destroy_after = now + grace, 1..30 days, default 7)
//   pending_destruction → enabled   enable cancels the destruction
//   pending_destruction → destroyed purge_destroyed(now) once destroy_after passed: every sealed
//                                   blob of the key is erased (NULL), the row stays as a tombstone
// A destroyed key is gone for every caller (not_found, not listed). Another tenant's key ids are
// not_found for every operation.
//
// Versions: create makes version 1; rotate makes N+1 (sealed under Binding{tenant, key id, N+1,
// "signing"}) and turns every earlier version verify_only. Rotation moves current_version with a
// conditional UPDATE (current_version = N), so concurrent rotations of one key make exactly one
// new version; rotate_due(now) rotates the enabled keys whose next_rotation_at passed, under the
// shared cache lock "keys:rotation" (one replica at a time; the lock's fencing token is stored
// with each rotation and a rotation carrying an older token than the key's is refused).
//
// Every change is audited (keys.create, keys.disable, keys.enable, keys.destroy.schedule,
// keys.destroy, keys.rotate, keys.policy.set, keys.policy.delete; resource "key:<id>") and is
// acknowledged only after its record committed (identity::audit_change). A call that changes
// nothing (disable a disabled key, schedule an already scheduled destruction) writes no record.
//
// Metrics: nsl_keys_operations_total{op,curve,result} and nsl_keys_operation_seconds{op}.
//
// Thread-safety: safe for concurrent use (state lives in the database).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cache/cache.hpp"
#include "chain/neo/types.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "enclave/enclave.hpp"
#include "services/identity/service.hpp"
#include "services/keys/repo.hpp"
#include "store/db.hpp"

namespace nsl::audit {
class AuditLog;
}
namespace nsl::obs {
class Registry;
}

namespace nsl::keys {

using identity::Actor;

struct KeyOptions {
  int default_rotation_days = 90;
  int max_rotation_days = 3650;
  int default_destroy_grace_days = 7;
  int min_destroy_grace_days = 1;
  int max_destroy_grace_days = 30;
  // How long one rotate_due run may hold the "keys:rotation" lock.
  std::chrono::milliseconds rotation_lock_ttl{std::chrono::minutes(5)};
  // Keys handled per tenant per background run (the rest wait for the next run).
  int background_batch = 200;
  // Keep each usable key's signing material (for_signing) in memory between signings instead of reading its row
  // on every one. Only where one process owns the data — the embedded SQLite file: every change of a key goes
  // through this service, which drops the key's entry once the change has committed, so a key disabled a moment
  // ago is refused at once. Never on PostgreSQL, where another replica may change the key (serve sets it from
  // the back end). `signing_cache_ttl` bounds what a change made outside this process (a second process on the
  // same file, a restored file) could leave behind; at most `signing_cache_max` keys are kept.
  bool cache_for_signing = false;
  std::chrono::milliseconds signing_cache_ttl{1000};
  std::size_t signing_cache_max = 4096;
  // Tests only: runs inside for_signing after the row was read (and before it is cached).
  std::function<void()> after_signing_read;
};

struct NewKeyRequest {
  std::string curve;  // secp256r1 | secp256k1 | ed25519
  std::string label;  // 1..128 printable characters
  std::string purpose = "signing";
  bool exportable = false;
  std::optional<int> rotation_days;  // 0..3650 (0 = never); default KeyOptions
};

// A key produced elsewhere, wrapped by its owner to the enclave's transport key
// (enclave/protocol/import_wrap.hpp) under Binding{tenant, key_id, 1, "signing"}.
struct ImportKeyRequest {
  std::string key_id;  // from begin_import: well-formed (is_key_id) and not used by any key yet
  std::string curve;   // secp256r1 | secp256k1 | ed25519; must equal the wrap's curve byte
  std::string label;   // 1..128 printable characters
  bool exportable = false;
  std::optional<int> rotation_days;  // as NewKeyRequest
  enclave::Bytes wrapped;            // import wrap v1 (126 bytes)
};

// What a key owner needs to wrap a key for this enclave: a fresh key id, the binding to wrap
// under, the transport key and a quote whose report_data is
// attest_report_data(transport_key, transport_public_key, nonce).
struct ImportSession {
  std::string key_id;
  enclave::Binding binding;
  std::array<std::uint8_t, 32> transport_public_key{};
  enclave::Quote quote;
  enclave::Bytes nonce;
};

// One exported key version (KeyService::export_key).
struct KeyExport {
  std::string key_id;
  std::uint32_t version = 0;
  std::string curve;
  enclave::Binding binding;  // what an export wrap is bound to
  enclave::ExportedKeyBlob exported;
};

// "key_" + 20 lowercase hex digits: the shape of the ids create() and begin_import() give.
bool is_key_id(std::string_view id) noexcept;

// The N3 account of a secp256r1 key's current version.
struct NeoAccount {
  std::string address;              // "N…"
  std::string script_hash;          // "0x…", N3 display order (reversed)
  std::string verification_script;  // hex
};

// What callers may see of a key: no sealed bytes.
struct KeyView {
  repo::KeyRow key;  // policy_sealed cleared
  std::vector<repo::KeyVersionRow> versions;  // oldest first; sealed cleared
  std::optional<NeoAccount> neo;              // secp256r1
  std::optional<std::string> evm_address;     // secp256k1: EIP-55
};

// Everything the signing path needs about a usable key, read in one snapshot.
struct KeyForSigning {
  repo::KeyRow key;
  enclave::KeyCurve curve = enclave::KeyCurve::secp256r1;
  std::uint32_t version = 0;          // the current version
  enclave::Bytes public_key;          // of that version (SEC1 compressed / 32-byte ed25519)
  enclave::Bytes sealed;              // its sealed private key
  enclave::Binding binding;           // {tenant uuid, key id, version, "signing"}
  enclave::Bytes policy_sealed;       // empty: no policy
  std::uint32_t policy_version = 0;   // the binding version policy_sealed was sealed under
  // secp256r1: the key's own N3 account, derived once when the row is read — its single-signature
  // verification script, that script's hash and the address. Empty for the other curves.
  enclave::Bytes neo_verification;
  neo::UInt160 neo_account{};
  std::string neo_address;
};
// Shared, immutable: the signing path and the in-memory cache hold the same one.
using SigningKey = std::shared_ptr<const KeyForSigning>;

// An amount of one asset (enclave.hpp: "neo:0x…", "evm:native", "evm:0x…" and a decimal integer).
using AssetAmount = enclave::AssetAmount;

// The check a policy text must pass before it is stored (signing/policy.hpp parse_policy, the
// parser the enclave runs too; at most 64 KiB); returns its canonical text.
Result<std::string> validate_policy_text(std::string_view text);

// a + b for non-negative decimal integers below 2^256; saturates at 2^256 - 1 (a rolling limit
// is exceeded either way). invalid_argument for a malformed operand.
Result<std::string> add_decimal_saturating(std::string_view a, std::string_view b);

class KeyService {
 public:
  KeyService(store::Database& db, enclave::Enclave& enclave, audit::AuditLog* audit,
             cache::Cache& shared, const Clock& clock, KeyOptions options = {},
             obs::Registry* registry = nullptr);
  ~KeyService();
  KeyService(const KeyService&) = delete;
  KeyService& operator=(const KeyService&) = delete;

  const KeyOptions& options() const noexcept { return options_; }

  Result<KeyView> create(const store::TenantId& tenant, const NewKeyRequest& req,
                         const Actor& actor);
  // Key import (docs/keys.md "Importing a key"): begin_import hands out a fresh key id and the
  // enclave's attested transport key (nonce: 16..64 bytes, chosen by the key owner or random);
  // it stores nothing. import() opens the owner's wrap inside the enclave and stores the key as
  // create() does (version 1, audited "keys.import", metrics op "import"). invalid_argument for a
  // malformed id or field; conflict when the id is already used; permission_denied when the wrap
  // does not open under Binding{tenant, key_id, 1, "signing"} (made for another key id or
  // tenant, or tampered with); failed_precondition when it was made for an earlier transport key.
  // Rotating an imported key makes an enclave-generated version 2: the imported key then only
  // verifies.
  Result<ImportSession> begin_import(const store::TenantId& tenant, enclave::ByteView nonce);
  Result<KeyView> import(const store::TenantId& tenant, const ImportKeyRequest& req,
                         const Actor& actor);
  // The current version's private key, encrypted for its owner by the enclave
  // (enclave::ExportRequest: NEP-2 under a passphrase, or an export wrap to the owner's X25519
  // key). failed_precondition "key is not exportable" unless the key was created or imported
  // exportable, and for disabled / pending-destruction keys; audited "keys.export", metrics op
  // "export".
  Result<KeyExport> export_key(const store::TenantId& tenant, std::string_view id,
                               const enclave::ExportRequest& request, const Actor& actor);
  Result<KeyView> get(const store::TenantId& tenant, std::string_view id);
  // Newest first; `after_id` = the last id of the previous page. Destroyed keys are not listed.
  Result<std::vector<KeyView>> list(const store::TenantId& tenant, const repo::KeyFilter& filter,
                                    int limit, const std::optional<std::string>& after_id);

  Result<KeyView> disable(const store::TenantId& tenant, std::string_view id, const Actor& actor);
  // Also cancels a pending destruction.
  Result<KeyView> enable(const store::TenantId& tenant, std::string_view id, const Actor& actor);
  // grace_days: 1..30, default KeyOptions::default_destroy_grace_days.
  Result<KeyView> schedule_destruction(const store::TenantId& tenant, std::string_view id,
                                       std::optional<int> grace_days, const Actor& actor);
  Result<KeyView> rotate(const store::TenantId& tenant, std::string_view id, const Actor& actor);

  // Stores the policy (validate_policy_text, then sealed by the enclave under Binding{tenant, key
  // id, policy_version + 1, "policy"}); delete_policy clears it. Both bump policy_version.
  Result<KeyView> set_policy(const store::TenantId& tenant, std::string_view id,
                             std::string_view policy_text, const Actor& actor);
  Result<KeyView> delete_policy(const store::TenantId& tenant, std::string_view id,
                                const Actor& actor);

  // ---- for the signing path ----
  // failed_precondition "key is disabled" / "key is pending destruction"; not_found when absent,
  // destroyed or another tenant's. From memory when KeyOptions::cache_for_signing (hits and misses counted in
  // signing_cache_stats).
  Result<KeyForSigning> for_signing(const store::TenantId& tenant, std::string_view id);
  // for_signing without the copy: the signing path's.
  Result<SigningKey> signing_key(const store::TenantId& tenant, std::string_view id);
  // The key's signing material if it is in memory now (a hit of for_signing's cache), else null without
  // reading anything: a caller that must not wait for the database (an I/O thread) asks this first.
  SigningKey signing_key_in_memory(const store::TenantId& tenant, std::string_view id);
  struct SigningCacheStats {
    std::uint64_t hits = 0, misses = 0;
    std::size_t size = 0;
  };
  SigningCacheStats signing_cache_stats() const;
  // What the key moved in (now - 24 h, now], summed exactly per asset, sorted by asset.
  Result<std::vector<AssetAmount>> spent_24h(const store::TenantId& tenant, std::string_view id,
                                             std::chrono::system_clock::time_point now);
  // Appends ledger entries (zero amounts are skipped). invalid_argument for a malformed amount
  // (not a decimal integer below 2^256) or asset (1..128 printable ASCII).
  Status record_spends(const store::TenantId& tenant, std::string_view id,
                       const std::vector<AssetAmount>& moves,
                       std::chrono::system_clock::time_point at);

  // ---- background jobs (idempotent; safe on several replicas at once) ----
  // Rotates every enabled key whose next_rotation_at <= now, when this replica gets the
  // "keys:rotation" lock (0 when another holds it). Returns the keys rotated.
  Result<int> rotate_due(std::chrono::system_clock::time_point now);
  // Destroys the pending_destruction keys whose destroy_after <= now. Returns the keys destroyed.
  Result<int> purge_destroyed(std::chrono::system_clock::time_point now);
  // Drops spend-ledger entries older than 24 h (they no longer count).
  Result<std::int64_t> prune_spends(std::chrono::system_clock::time_point now);

  // Counts one operation in nsl_keys_operations_total{op,curve,result} (result "ok" or the error
  // code) and observes its latency since `start` in nsl_keys_operation_seconds{op}: for operations
  // built on this service (signing) to report in the same families. No-op without a registry.
  void count_operation(std::string_view op, std::string_view curve, const Status& st,
                       std::chrono::steady_clock::time_point start);

 private:
  struct Metrics;
  std::int64_t now_ms() const;
  Result<KeyView> view_of(store::Tx& tx, repo::KeyRow key);
  // Inserts a new key with `sk` as its version 1 and audits `action` (keys.create / keys.import).
  // The row of a new key (version 1, enabled) after checking rotation_days (absent: the default).
  Result<repo::KeyRow> new_key_row(std::string id, std::string label, enclave::KeyCurve curve,
                                   std::string purpose, bool exportable,
                                   std::optional<int> rotation_days, std::int64_t now) const;
  Result<KeyView> store_new_key(const store::TenantId& tenant, const repo::KeyRow& row,
                                const enclave::SealedKey& sk, std::int64_t now, std::string_view action,
                                const Actor& actor);
  Result<KeyView> change_state(const store::TenantId& tenant, std::string_view id,
                               std::string_view op, const Actor& actor);
  // One rotation of one key (fence 0: a manual rotation). nullopt when another rotation won.
  Result<std::optional<KeyView>> rotate_once(const store::TenantId& tenant, std::string_view id,
                                             std::int64_t fence, bool only_if_due,
                                             std::int64_t now);
  Result<KeyView> write_policy(const store::TenantId& tenant, std::string_view id,
                               std::optional<std::string> canonical, const Actor& actor);
  Status audit(const store::TenantId& tenant, const Actor& actor, std::string action,
               std::string_view key_id);
  template <class T>
  T measured(std::string_view op, std::chrono::steady_clock::time_point start, T result);
  // The key's row as the signing path needs it, read from the primary.
  Result<KeyForSigning> read_for_signing(const store::TenantId& tenant, std::string_view id);
  // signing_key past a miss in memory: the row read, and kept in memory when caching.
  Result<SigningKey> load_signing_key(const store::TenantId& tenant, std::string_view id);
  // After a change of the key has committed (or failed): its signing material is read again next time. Called
  // after the transaction, never inside it (see SigningCache).
  void forget_for_signing(const store::TenantId& tenant, std::string_view id);
  // Every write of a key's row or versions: db_.with_tenant(tenant, fn), then forget_for_signing(tenant, id).
  template <class F>
  auto change_key(const store::TenantId& tenant, std::string_view id, F&& fn);
  struct SigningCache;

  store::Database& db_;
  enclave::Enclave& enclave_;
  audit::AuditLog* audit_;
  cache::Cache& shared_;
  const Clock& clock_;
  KeyOptions options_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<SigningCache> signing_cache_;  // null unless options_.cache_for_signing
};

}  // namespace nsl::keys
