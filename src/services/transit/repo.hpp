// nsl/services/transit/repo.hpp — transit keys and their versions on the store seam.
//
// Plain functions over a store::Tx for both back ends, like services/secrets/repo: every row is
// addressed through the transaction's tenant (`tenant_id = $1`), enforced again by row-level
// security on PostgreSQL. Times are Unix milliseconds; a version's `sealed` is the enclave's
// data-key blob in lowercase hex (never key material in clear).
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

namespace nsl::transit::repo {

struct KeyRow {
  std::string name;
  std::string type;
  std::uint32_t latest_version = 0;
  std::uint32_t min_decryption_version = 1;
  std::uint32_t min_encryption_version = 0;
  bool deletion_allowed = false;
  int rotation_days = 0;
  std::optional<std::int64_t> next_rotation_at;
  std::int64_t rotation_fence = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct VersionRow {
  std::uint32_t version = 0;
  std::string sealed;  // hex; empty in metadata listings
  std::int64_t created_at = 0;
};

// Inserts the key (latest_version 1) and its version 1; false (nothing written) when the name
// exists.
Result<bool> insert_key(store::Tx& tx, const KeyRow& key, const VersionRow& first);
Result<std::optional<KeyRow>> get_key(store::Tx& tx, std::string_view name);
struct KeyWithVersions {
  KeyRow key;
  std::vector<VersionRow> versions;  // oldest first, with `sealed`
};
// The key and, in one statement, its versions in [from, to] plus (when `latest`) its latest one;
// nullopt when there is no such key.
Result<std::optional<KeyWithVersions>> get_key_with_versions(store::Tx& tx, std::string_view name,
                                                             std::uint32_t from, std::uint32_t to,
                                                             bool latest);
// Name order, after `after` (exclusive).
Result<std::vector<KeyRow>> list_keys(store::Tx& tx, const std::optional<std::string>& after,
                                      int limit);
// Oldest first, without `sealed`.
Result<std::vector<VersionRow>> versions(store::Tx& tx, std::string_view name);
Result<std::optional<VersionRow>> get_version(store::Tx& tx, std::string_view name,
                                              std::uint32_t version);
// Writes the configurable columns of `key` (min versions, deletion_allowed, rotation_days,
// next_rotation_at), conditional on latest_version still being key.latest_version. True when
// changed.
Result<bool> update_config(store::Tx& tx, const KeyRow& key, std::int64_t now);
// latest_version expected -> expected + 1 with `next` stored, conditional on the key being at
// `expected` and (fence > 0) no newer rotation fence; false when another rotation won.
Result<bool> advance_version(store::Tx& tx, std::string_view name, std::uint32_t expected,
                             const VersionRow& next, std::optional<std::int64_t> next_rotation_at,
                             std::int64_t fence, std::int64_t now);
// Deletes the key and every version; returns the key rows deleted (0/1).
Result<std::int64_t> delete_key(store::Tx& tx, std::string_view name);
// Names whose next_rotation_at <= now (rotation_days > 0), name order.
Result<std::vector<std::string>> due_for_rotation(store::Tx& tx, std::int64_t now, int limit);

}  // namespace nsl::transit::repo
