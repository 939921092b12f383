// nsl/services/keys/repo.hpp — tenant keys, their versions, the spend ledger and idempotency
// records on the store seam.
//
// Plain functions over a store::Tx, written once for both back ends, like services/identity/repo:
// every row is addressed through the transaction's tenant (`tenant_id = $1`), which isolates
// tenants on SQLite and is enforced again by row-level security on PostgreSQL. Times are Unix
// milliseconds; binary values (public keys, sealed blobs) are lowercase hex.
//
//   auto key = db.with_tenant(tenant, [&](store::Tx& tx) { return repo::get_key(tx, id); });
//
// Errors: not_found for a row the tenant cannot see (a destroyed key counts as gone for
// get_key/list_keys), and the store's codes otherwise. Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/db.hpp"

namespace nsl::keys::repo {

inline constexpr std::string_view kEnabled = "enabled";
inline constexpr std::string_view kDisabled = "disabled";
inline constexpr std::string_view kPendingDestruction = "pending_destruction";
inline constexpr std::string_view kDestroyed = "destroyed";

inline constexpr std::string_view kVersionActive = "active";
inline constexpr std::string_view kVersionVerifyOnly = "verify_only";
inline constexpr std::string_view kVersionDestroyed = "destroyed";

struct KeyRow {
  std::string id;  // "key_" + 20 hex, creation-ordered
  std::string label;
  std::string curve;               // secp256r1 | secp256k1 | ed25519
  std::string purpose = "signing";
  bool exportable = false;
  std::string state = "enabled";   // enabled | disabled | pending_destruction | destroyed
  std::uint32_t current_version = 1;
  std::optional<std::string> policy_json;    // canonical JSON text
  std::optional<std::string> policy_sealed;  // hex
  std::uint32_t policy_version = 0;
  int rotation_days = 90;                    // 0 = never
  std::optional<std::int64_t> next_rotation_at;
  std::optional<std::int64_t> destroy_after;  // set while pending_destruction
  std::int64_t rotation_fence = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct KeyVersionRow {
  std::string key_id;
  std::uint32_t version = 1;
  std::string public_key;             // hex
  std::optional<std::string> sealed;  // hex; NULL once destroyed
  std::string state = "active";       // active | verify_only | destroyed
  std::int64_t created_at = 0;
};

struct KeyFilter {
  std::optional<std::string> curve;
  std::optional<std::string> state;  // never "destroyed" (those are not listed)
  std::optional<std::string> label_prefix;
};

// ---- keys and versions ----
Status insert_key(store::Tx& tx, const KeyRow& k);
Status insert_version(store::Tx& tx, const KeyVersionRow& v);
// not_found for an absent or destroyed key.
Result<KeyRow> get_key(store::Tx& tx, std::string_view id);
// Any state, destroyed included (purge and internal checks).
Result<std::optional<KeyRow>> find_key_any_state(store::Tx& tx, std::string_view id);
Result<std::vector<KeyVersionRow>> versions_of(store::Tx& tx, std::string_view key_id);
// Newest first, destroyed keys left out; `after_id` continues a listing.
Result<std::vector<KeyRow>> list_keys(store::Tx& tx, const KeyFilter& filter, int limit,
                                      const std::optional<std::string>& after_id);

// The key row with its current version, read by ONE statement (one snapshot on every back end), so
// a concurrent rotation is seen either entirely or not at all. nullopt when absent.
struct KeyWithCurrent {
  KeyRow key;
  KeyVersionRow current;
};
Result<std::optional<KeyWithCurrent>> get_key_with_current(store::Tx& tx, std::string_view id);

// Sets state (and destroy_after) when the key is in one of `from`; returns the rows changed (0/1).
Result<std::int64_t> set_state(store::Tx& tx, std::string_view id, std::string_view to,
                               const std::vector<std::string_view>& from,
                               std::optional<std::int64_t> destroy_after, std::int64_t now);

// Moves the key from `expected_version` to expected_version + 1, conditional on the key still
// being at expected_version, enabled or disabled, and (fence > 0) no newer rotation fence having
// written it; inserts the new version and marks the earlier active one verify_only. Returns false
// (nothing written) when the condition does not hold.
Result<bool> advance_version(store::Tx& tx, std::string_view id, std::uint32_t expected_version,
                             const KeyVersionRow& next,
                             std::optional<std::int64_t> next_rotation_at,
                             std::int64_t fence, std::int64_t now);

// policy_json/policy_sealed (both or neither) at policy_version = expected + 1, conditional on the
// stored policy_version still being `expected`; false when it moved.
Result<bool> set_policy(store::Tx& tx, std::string_view id, std::uint32_t expected_version,
                        const std::optional<std::string>& policy_json,
                        const std::optional<std::string>& policy_sealed, std::int64_t now);

// Ids of keys whose rotation is due (enabled, rotation_days > 0, next_rotation_at <= now).
Result<std::vector<std::string>> due_for_rotation(store::Tx& tx, std::int64_t now, int limit);
// Ids of pending_destruction keys whose destroy_after <= now.
Result<std::vector<std::string>> due_for_destruction(store::Tx& tx, std::int64_t now, int limit);
// pending_destruction (destroy_after <= now) → destroyed: the key's sealed blobs and policy are
// erased. Returns false when the key was not (or no longer) due: enabled again or already purged.
Result<bool> destroy_key(store::Tx& tx, std::string_view id, std::int64_t now);

// ---- spend ledger ----
struct SpendRow {
  std::string asset;
  std::string amount;  // decimal
};
Status insert_spend(store::Tx& tx, std::string_view key_id, const SpendRow& s, std::int64_t at);
// Every spend of the key with at > since.
Result<std::vector<SpendRow>> spends_since(store::Tx& tx, std::string_view key_id,
                                           std::int64_t since);
Result<std::int64_t> delete_spends_before(store::Tx& tx, std::int64_t before);

// ---- idempotency records ----
struct IdempotencyRow {
  std::string request_hash;
  int status = 0;
  std::string body;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
};
// Unexpired record, or nullopt.
Result<std::optional<IdempotencyRow>> get_idempotency(store::Tx& tx, std::string_view scope,
                                                      std::string_view key, std::int64_t now);
// Stores a record unless an unexpired one exists (an expired one is replaced); false then.
Result<bool> put_idempotency(store::Tx& tx, std::string_view scope, std::string_view key,
                             const IdempotencyRow& row, std::int64_t now);
// Sets status/body of the unexpired in-progress (status 0) record with this request_hash; false
// when there is none.
Result<bool> finish_idempotency(store::Tx& tx, std::string_view scope, std::string_view key,
                                std::string_view request_hash, int status, std::string_view body,
                                std::int64_t now);
// Deletes the in-progress (status 0) record; returns the rows deleted.
Result<std::int64_t> release_idempotency(store::Tx& tx, std::string_view scope,
                                         std::string_view key);
Result<std::int64_t> delete_expired_idempotency(store::Tx& tx, std::int64_t now);

}  // namespace nsl::keys::repo
