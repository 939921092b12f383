// nsl/services/secrets/repo.hpp — the versioned key/value store of tenant secrets on the store
// seam: the tenant's envelope data keys, the secret paths and their versions.
//
// Plain functions over a store::Tx, written once for both back ends, like services/keys/repo:
// every row is addressed through the transaction's tenant (`tenant_id = $1`), which isolates
// tenants on SQLite and is enforced again by row-level security on PostgreSQL. Times are Unix
// milliseconds; binary values (sealed data keys, ciphertexts) are lowercase hex. Nothing here
// ever sees a plaintext value: version rows hold the enclave's data ciphertext (docs/enclave.md
// "Data ciphertext format v1") or NULL once destroyed.
//
//   auto a = db.with_tenant(tenant, [&](store::Tx& tx) { return repo::bump_version(tx, p, now); });
//
// Errors: the store's codes. Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/db.hpp"

namespace nsl::secrets::repo {

inline constexpr std::string_view kKeyActive = "active";
inline constexpr std::string_view kKeyRetired = "retired";

// One envelope key of the tenant, sealed by the enclave under
// Binding{tenant, "kv-data-key", version, "data-key"}.
struct DataKeyRow {
  std::uint32_t version = 0;
  std::string sealed;  // hex
  std::string state;   // active | retired
  std::int64_t created_at = 0;
};

struct SecretRow {
  std::string path;
  std::uint32_t current_version = 0;  // 0: metadata only, no version written yet
  int max_versions = 0;               // 0: the service default
  bool cas_required = false;
  std::int64_t delete_version_after_ms = 0;  // 0: never
  std::string custom_metadata = "{}";        // JSON object text (string -> string)
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct VersionRow {
  std::string path;
  std::uint32_t version = 0;
  std::optional<std::string> ciphertext;  // hex; NULL once destroyed (and in metadata listings)
  std::uint32_t dek_version = 0;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> deletion_time;  // NULL: live; else deleted from that time on
  bool destroyed = false;
};

// ---- data keys ----
// The newest active key, or nullopt when the tenant has none yet.
Result<std::optional<DataKeyRow>> active_data_key(store::Tx& tx);
Result<std::optional<DataKeyRow>> data_key(store::Tx& tx, std::uint32_t version);
// Oldest first.
Result<std::vector<DataKeyRow>> data_keys(store::Tx& tx);
// Inserts unless that version exists; false when it did (another replica won).
Result<bool> insert_data_key_if_absent(store::Tx& tx, const DataKeyRow& row);
// Marks every active key below `version` retired.
Result<std::int64_t> retire_data_keys_below(store::Tx& tx, std::uint32_t version);

// ---- secrets and versions ----
Result<std::optional<SecretRow>> get_secret(store::Tx& tx, std::string_view path);
// Allocates the next version of `path` with one statement that inserts the row (version 1) or
// increments current_version under the row lock, and returns the row after the change together
// with the tenant's newest active data key as it is in this transaction (nullopt: none yet), so
// a write needs no statement of its own to find its key. Writers of one path therefore queue on
// that row (PostgreSQL) or on the database (SQLite) until commit.
struct Allocated {
  SecretRow secret;
  std::optional<DataKeyRow> active_key;  // version and sealed only
};
Result<Allocated> bump_version(store::Tx& tx, std::string_view path, std::int64_t now);
// bump_version for several distinct paths in one statement (rows in any order, one per path).
// Paths are locked in the order given: callers pass them sorted, so that two writers of
// overlapping sets cannot deadlock.
Result<std::vector<Allocated>> bump_versions(store::Tx& tx,
                                             const std::vector<std::string_view>& paths,
                                             std::int64_t now);
// Creates the path's row without versions unless it exists.
Status ensure_secret(store::Tx& tx, std::string_view path, std::int64_t now);
// Partial update (nullopt fields are left as they are). Returns the rows changed (0/1).
struct MetadataChange {
  std::optional<int> max_versions;
  std::optional<bool> cas_required;
  std::optional<std::int64_t> delete_version_after_ms;
  std::optional<std::string> custom_metadata;  // JSON object text; replaces the whole object
};
Result<std::int64_t> update_metadata(store::Tx& tx, std::string_view path, const MetadataChange& c,
                                     std::int64_t now);
// Deletes the path with all its versions; returns the secret rows deleted (0/1).
Result<std::int64_t> delete_secret(store::Tx& tx, std::string_view path);

Status insert_version(store::Tx& tx, const VersionRow& v);
// Several versions in one statement; versions_insert builds it without running it (for
// Tx::exec_all: the statement refers to `sql`, which must outlive it).
Status insert_versions(store::Tx& tx, const std::vector<VersionRow>& versions);
store::Statement versions_insert(store::Tx& tx, const std::vector<VersionRow>& versions,
                                 std::string& sql);
// Everything a value read needs, in one statement: the path's current version, the requested
// version's row (`version` 0: the current one) and the data key it was sealed under.
struct ForRead {
  std::uint32_t current_version = 0;
  std::optional<VersionRow> version;  // nullopt: no such version row
  std::optional<DataKeyRow> key;      // version and sealed only; nullopt: the key row is missing
};
// nullopt: no such path.
Result<std::optional<ForRead>> load_for_read(store::Tx& tx, std::string_view path,
                                             std::uint32_t version);
Result<std::optional<VersionRow>> get_version(store::Tx& tx, std::string_view path,
                                              std::uint32_t version);
// Oldest first, ciphertext left out (always nullopt).
Result<std::vector<VersionRow>> version_metadata(store::Tx& tx, std::string_view path);
// Deletes the version rows numbered <= `up_to` (max_versions trimming); returns the rows deleted.
Result<std::int64_t> trim_versions(store::Tx& tx, std::string_view path, std::uint32_t up_to);
// Soft delete: deletion_time = now for the listed versions that are live (not destroyed, not
// already deleted by `now`). Returns the rows changed.
Result<std::int64_t> soft_delete(store::Tx& tx, std::string_view path,
                                 const std::vector<std::uint32_t>& versions, std::int64_t now);
// deletion_time = NULL for the listed versions that are not destroyed. Returns the rows changed.
Result<std::int64_t> undelete(store::Tx& tx, std::string_view path,
                              const std::vector<std::uint32_t>& versions);
// ciphertext = NULL, destroyed = 1 for the listed versions. Returns the rows changed.
Result<std::int64_t> destroy(store::Tx& tx, std::string_view path,
                             const std::vector<std::uint32_t>& versions);

// Paths starting with `prefix` (bytewise, case-sensitive), ascending, after `after` (exclusive).
Result<std::vector<SecretRow>> list_secrets(store::Tx& tx, std::string_view prefix,
                                            const std::optional<std::string>& after, int limit);

// Version rows with a ciphertext under a data key other than `dek_version`, in (path, version)
// order, with their ciphertext.
Result<std::vector<VersionRow>> versions_not_under(store::Tx& tx, std::uint32_t dek_version,
                                                   int limit);
// Replaces a version's ciphertext and data key, conditional on it still holding `old_ciphertext`
// (a destroy or another rewrap meanwhile makes this a no-op). True when changed.
Result<bool> replace_ciphertext(store::Tx& tx, std::string_view path, std::uint32_t version,
                                std::string_view old_ciphertext, std::string_view new_ciphertext,
                                std::uint32_t new_dek_version);

}  // namespace nsl::secrets::repo
