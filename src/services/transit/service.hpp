// nsl/services/transit/service.hpp — transit encryption: named per-tenant keys that encrypt and
// decrypt the caller's data without storing it, in the manner of Vault's transit engine.
//
//   TransitService transit(db, enclave, &audit, Clock::real(), TransitOptions{}, &registry);
//   NSL_TRY(transit.create_key(tenant, "orders", {}, actor));
//   NSL_TRY_ASSIGN(Encrypted e, transit.encrypt(tenant, "orders", plain, {}, std::nullopt, actor));
//   NSL_TRY_ASSIGN(SecretBytes p, transit.decrypt(tenant, "orders", e.ciphertext, {}, actor));
//
// Keys: names match ^[a-z0-9][a-z0-9._-]{0,63}$, unique per tenant (another tenant's keys are
// not_found). Type "aes256-gcm" only: signing keys are managed by the key service (/v1/keys).
// Every key version is an enclave data key (Enclave::generate_data_key) made inside the enclave
// and stored only sealed, under Binding{tenant, "transit:<name>", version, "data-key"}; no
// operation here ever holds key material. Deleting a key (only once deletion_allowed was set)
// deletes every version: each ciphertext made under it is undecryptable from then on.
//
// Ciphertexts: "nsl:v1:<key version>:<base64 of the enclave's data ciphertext>" (ciphertext.hpp;
// "v1" is the text FORMAT version). Each message gets its own HKDF-derived AES-256-GCM key inside
// the enclave (enclave.hpp). The associated data given to the enclave is
//   "nsl-transit-v1" || 0x00 || tenant_id || 0x00 || name || 0x00 || associated_data
// where associated_data is the caller's optional context (at most 1 KiB), which must be presented
// again to decrypt. The key version is not in it, deliberately: Enclave::data_rewrap authenticates
// the source and seals the result under ONE aad, so an aad that names the version could not be
// rewrapped inside the enclave. The version is bound anyway: version N is its own random data key,
// sealed under a binding carrying N, so a ciphertext relabelled with another version, moved to
// another key or tenant, or presented with other associated data does not open — that is
// invalid_argument "ciphertext does not decrypt under this key" (caller input, never internal).
// If the enclave protocol grows separate from/to aads for data_rewrap, the version can be added.
//
// Versions: create makes version 1; rotate makes latest + 1 (a conditional UPDATE, so concurrent
// rotations make exactly one version). min_decryption_version (1..latest): older ciphertexts are
// refused (failed_precondition naming the minimum) but kept, so lowering it again restores them.
// min_encryption_version (0, or min_decryption_version..latest): the lowest version an explicit
// key_version may name; 0 = any version from min_decryption_version. Encrypt without key_version
// always uses the latest. rotate_due rotates keys whose next_rotation_at (set from rotation_days,
// default 90, 0 = never) passed, across tenants, under the shared cache lock "transit:rotation"
// with its fencing token stored per rotation (as keys::KeyService::rotate_due).
//
// rewrap moves a ciphertext to the latest version inside the enclave (data_rewrap): the plaintext
// never reaches this process.
//
// datakey: a fresh random 128/256/512-bit key for the caller's own envelope encryption, returned
// encrypted under the transit key (and in clear when asked: "plaintext" mode). The key is made by
// the enclave (Enclave::data_generate, its own CSPRNG) and encrypted there, so in "wrapped" mode it
// never exists in clear outside the enclave; in "plaintext" mode it lives only in the returned
// SecretBytes.
//
// Limits (TransitOptions): plaintext at most 32 KiB per item, associated data at most 1 KiB,
// batches 1..100 items; a batch answers one Result per item (one bad item fails only itself).
//
// Errors: invalid_argument (names, options, malformed or non-decrypting ciphertexts, sizes),
// not_found (no such key in this tenant), conflict (key exists; concurrent rotation or config
// change), failed_precondition (deletion not allowed; version below a minimum; versions
// exhausted), internal (a stored key version that does not open in the enclave), and the store's
// and the enclave's unavailable / deadline_exceeded.
//
// Audit (resource "transit-key:<name>"; never plaintext, associated data or key material):
// transit.key_create, transit.key_config, transit.key_rotate (also scheduled ones, actor "system"),
// transit.key_delete on success; transit.encrypt, transit.decrypt, transit.rewrap, transit.datakey
// for every call on a well-formed key name, with the error code as result when refused (a batch is
// one record: "ok", or "partial" when some items failed). A ciphertext or plaintext is handed out
// only after its record is written.
//
// Metrics: nsl_secrets_operations_total{op,result} and nsl_secrets_operation_seconds{op} (shared
// with the secrets service), op = transit_key_create, transit_key_read, transit_key_list,
// transit_key_config, transit_rotate, transit_key_delete, transit_encrypt, transit_decrypt,
// transit_rewrap, transit_datakey (batches: transit_encrypt_batch, ...), transit_rotate_due.
//
// Thread-safety: safe for concurrent use (state lives in the database).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "enclave/enclave.hpp"
#include "services/identity/service.hpp"
#include "services/transit/ciphertext.hpp"
#include "store/db.hpp"

namespace nsl::audit {
class AuditLog;
}
namespace nsl::obs {
class Registry;
}

namespace nsl::transit {

using identity::Actor;
using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline constexpr std::string_view kKeyType = "aes256-gcm";

struct TransitOptions {
  // Clamped to what the enclave accepts (enclave::kMaxDataPlaintext, kMaxDataAad less the label).
  // Ciphertext texts are parsed up to kMaxCiphertextText (64 KiB), which fits 46 KiB of plaintext:
  // raise both together.
  std::size_t max_plaintext = 32 * 1024;
  std::size_t max_associated_data = 1024;
  std::size_t max_batch = 100;
  int default_rotation_days = 90;
  int max_rotation_days = 3650;
  // How long one rotate_due run may hold the "transit:rotation" lock.
  std::chrono::milliseconds rotation_lock_ttl{std::chrono::minutes(5)};
  int background_batch = 200;  // keys per tenant per rotate_due run
};

// ^[a-z0-9][a-z0-9._-]{0,63}$, else invalid_argument.
Status validate_key_name(std::string_view name);

struct KeyOptions {
  std::string type = std::string(kKeyType);
  std::optional<int> rotation_days;  // 0..3650 (0 = never); default TransitOptions
  bool deletion_allowed = false;
};

struct KeyVersionInfo {
  std::uint32_t version = 0;
  std::int64_t created_at = 0;  // Unix ms
};

// A key's metadata; never key material.
struct TransitKey {
  std::string name;
  std::string type;
  std::uint32_t latest_version = 0;
  std::uint32_t min_decryption_version = 1;
  std::uint32_t min_encryption_version = 0;
  bool deletion_allowed = false;
  int rotation_days = 0;
  std::optional<std::int64_t> next_rotation_at;  // Unix ms; nullopt when rotation_days is 0
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::vector<KeyVersionInfo> versions;  // oldest first (list_keys leaves it empty)
};

struct KeyPage {
  std::vector<TransitKey> keys;
  std::optional<std::string> next_after;  // set when the page is full: pass as `after`
};

// A partial configuration update (nullopt = unchanged).
struct KeyConfig {
  std::optional<std::uint32_t> min_decryption_version;
  std::optional<std::uint32_t> min_encryption_version;
  std::optional<int> rotation_days;
  std::optional<bool> deletion_allowed;
};

struct Encrypted {
  std::string ciphertext;  // nsl:v1:<version>:<base64>
  std::uint32_t key_version = 0;
};

struct DataKey {
  std::string ciphertext;  // the data key encrypted under the transit key
  std::uint32_t key_version = 0;
  std::optional<SecretBytes> plaintext;  // when asked for
};

struct EncryptItem {
  ByteView plaintext;
  ByteView associated_data;
};
struct CiphertextItem {
  std::string_view ciphertext;
  ByteView associated_data;
};

class TransitService {
 public:
  TransitService(store::Database& db, enclave::Enclave& enclave, audit::AuditLog* audit,
                 const Clock& clock, TransitOptions options = {},
                 obs::Registry* registry = nullptr);
  ~TransitService();
  TransitService(const TransitService&) = delete;
  TransitService& operator=(const TransitService&) = delete;

  const TransitOptions& options() const noexcept { return options_; }

  // conflict when the name exists; invalid_argument for another type (signing keys: /v1/keys).
  Result<TransitKey> create_key(const store::TenantId& tenant, std::string_view name,
                                const KeyOptions& options, const Actor& actor);
  Result<TransitKey> get_key(const store::TenantId& tenant, std::string_view name);
  // limit 1..1000; `after`: a key name (exclusive).
  Result<KeyPage> list_keys(const store::TenantId& tenant, const std::optional<std::string>& after,
                            int limit);
  Result<TransitKey> update_config(const store::TenantId& tenant, std::string_view name,
                                   const KeyConfig& config, const Actor& actor);
  Result<TransitKey> rotate(const store::TenantId& tenant, std::string_view name,
                            const Actor& actor);
  // failed_precondition unless deletion_allowed; removes every version (crypto-shredding).
  Status delete_key(const store::TenantId& tenant, std::string_view name, const Actor& actor);

  // key_version nullopt = the latest.
  Result<Encrypted> encrypt(const store::TenantId& tenant, std::string_view name,
                            ByteView plaintext, ByteView associated_data,
                            std::optional<std::uint32_t> key_version, const Actor& actor);
  Result<SecretBytes> decrypt(const store::TenantId& tenant, std::string_view name,
                              std::string_view ciphertext, ByteView associated_data,
                              const Actor& actor);
  // The same plaintext under the latest version, moved inside the enclave.
  Result<Encrypted> rewrap(const store::TenantId& tenant, std::string_view name,
                           std::string_view ciphertext, ByteView associated_data,
                           const Actor& actor);
  // bits 128 | 256 | 512.
  Result<DataKey> datakey(const store::TenantId& tenant, std::string_view name, int bits,
                          bool with_plaintext, const Actor& actor);

  // 1..max_batch items; the outer Result fails only for the whole request (key, batch size).
  Result<std::vector<Result<Encrypted>>> encrypt_batch(const store::TenantId& tenant,
                                                       std::string_view name,
                                                       std::span<const EncryptItem> items,
                                                       std::optional<std::uint32_t> key_version,
                                                       const Actor& actor);
  Result<std::vector<Result<SecretBytes>>> decrypt_batch(const store::TenantId& tenant,
                                                         std::string_view name,
                                                         std::span<const CiphertextItem> items,
                                                         const Actor& actor);
  Result<std::vector<Result<Encrypted>>> rewrap_batch(const store::TenantId& tenant,
                                                      std::string_view name,
                                                      std::span<const CiphertextItem> items,
                                                      const Actor& actor);

  // Rotates every key of every tenant whose next_rotation_at <= the clock's now, under the
  // shared lock "transit:rotation" (0 at once when another replica holds it). Returns the keys
  // rotated. For a background job.
  Result<int> rotate_due(cache::Cache& shared);

 private:
  struct Metrics;
  struct Loaded;  // a key's row and the sealed versions an operation needs
  std::int64_t now_ms() const;
  Result<TransitKey> view(store::Tx& tx, std::string_view name);
  Result<Loaded> load(const store::TenantId& tenant, std::string_view name,
                      std::span<const std::uint32_t> versions);
  Result<std::optional<TransitKey>> rotate_once(const store::TenantId& tenant,
                                                std::string_view name, std::int64_t fence,
                                                bool only_if_due, std::int64_t now);
  Result<std::uint32_t> encryption_version(const Loaded& key,
                                           std::optional<std::uint32_t> requested) const;
  Result<Encrypted> encrypt_one(const store::TenantId& tenant, const Loaded& key,
                                std::uint32_t version, ByteView plaintext,
                                ByteView associated_data);
  Result<SecretBytes> decrypt_one(const store::TenantId& tenant, const Loaded& key,
                                  const ParsedCiphertext& ct, ByteView associated_data);
  Result<Encrypted> rewrap_one(const store::TenantId& tenant, const Loaded& key,
                               const ParsedCiphertext& ct, ByteView associated_data);
  Status check_associated_data(ByteView associated_data) const;
  // The frame of a batch operation: key name and size checks, one audit record (ok / partial /
  // the error), metrics under `op`. `body` loads the key and answers one Result per item.
  template <class Out, class Body>
  Result<Out> batch(std::string_view op, std::string action, const store::TenantId& tenant,
                    std::string_view name, std::size_t items, const Actor& actor, Body body);
  // Decrypt and rewrap: the items' ciphertexts parsed, the key loaded with their versions (and
  // `extra`), then `one` per well-formed item.
  template <class T, class One>
  Result<std::vector<Result<T>>> each_ciphertext(const store::TenantId& tenant,
                                                 std::string_view name,
                                                 std::span<const CiphertextItem> items,
                                                 std::optional<std::uint32_t> extra, One one);
  // Audits a data operation with `st`'s code as result; an audit failure fails an ok operation.
  Status audit_use(const store::TenantId& tenant, const Actor& actor, std::string action,
                   std::string_view name, const Status& st, bool partial = false);
  Status audit(const store::TenantId& tenant, const Actor& actor, std::string action,
               std::string_view name);
  void count(std::string_view op, const Status& st, std::chrono::steady_clock::time_point start);
  template <class T>
  T measured(std::string_view op, std::chrono::steady_clock::time_point start, T result);

  store::Database& db_;
  enclave::Enclave& enclave_;
  audit::AuditLog* audit_;
  const Clock& clock_;
  TransitOptions options_;
  std::unique_ptr<Metrics> metrics_;
};

template <class T>
T TransitService::measured(std::string_view op, std::chrono::steady_clock::time_point start,
                           T result) {
  count(op, result.ok() ? Status() : Status(result.error()), start);
  return result;
}

}  // namespace nsl::transit
