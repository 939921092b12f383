// The transit service's key management: create, read, list, configure, rotate (also on schedule)
// and delete (service.hpp).
#include <utility>

#include "core/strings.hpp"
#include "obs/log.hpp"
#include "services/audit/verify.hpp"
#include "services/transit/internal/common.hpp"
#include "services/transit/repo.hpp"
#include "services/transit/service.hpp"

namespace nsl::transit {
namespace {
using internal::binding;
using internal::kDayMs;
using internal::key_of;
using internal::status_of;
using internal::system_actor;
constexpr std::string_view kRotationLock = "transit:rotation";
}  // namespace

Result<TransitKey> TransitService::view(store::Tx& tx, std::string_view name) {
  NSL_TRY_ASSIGN(std::optional<repo::KeyRow> k, repo::get_key(tx, name));
  if (!k) return err::not_found("transit key not found");
  TransitKey out = key_of(*k);
  NSL_TRY_ASSIGN(std::vector<repo::VersionRow> vs, repo::versions(tx, name));
  out.versions.reserve(vs.size());
  for (const auto& v : vs)
    out.versions.push_back({.version = v.version, .created_at = v.created_at});
  return out;
}

Result<TransitKey> TransitService::create_key(const store::TenantId& tenant, std::string_view name,
                                              const KeyOptions& options, const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<TransitKey> {
    NSL_TRY(validate_key_name(name));
    if (options.type != kKeyType) {
      return err::invalid_argument(
          "unsupported transit key type: transit keys are \"aes256-gcm\"; signing keys are "
          "managed by the key service at /v1/keys");
    }
    const int days = options.rotation_days.value_or(options_.default_rotation_days);
    if (days < 0 || days > options_.max_rotation_days) {
      return err::invalid_argument("rotation_days must be from 0 (never) to " +
                                   std::to_string(options_.max_rotation_days));
    }
    // The enclave call runs outside any transaction; a create that loses a race leaves its fresh
    // sealed key unused (never stored).
    NSL_TRY_ASSIGN(enclave::Bytes sealed, enclave_.generate_data_key(binding(tenant, name, 1)));
    const std::int64_t now = now_ms();
    repo::KeyRow row{.name = std::string(name),
                     .type = std::string(kKeyType),
                     .latest_version = 1,
                     .min_decryption_version = 1,
                     .min_encryption_version = 0,
                     .deletion_allowed = options.deletion_allowed,
                     .rotation_days = days,
                     .next_rotation_at = std::nullopt,
                     .rotation_fence = 0,
                     .created_at = now,
                     .updated_at = now};
    if (days > 0) row.next_rotation_at = now + days * kDayMs;
    const repo::VersionRow first{.version = 1, .sealed = to_hex(sealed), .created_at = now};
    auto made = db_.with_tenant(tenant, [&](store::Tx& tx) -> Result<TransitKey> {
      NSL_TRY_ASSIGN(bool inserted, repo::insert_key(tx, row, first));
      if (!inserted) return err::conflict("a transit key with this name exists");
      return view(tx, name);
    });
    if (!made.ok()) return made;
    NSL_TRY(audit(tenant, actor, "transit.key_create", name));
    return made;
  };
  return measured("transit_key_create", start, run());
}

Result<TransitKey> TransitService::get_key(const store::TenantId& tenant, std::string_view name) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<TransitKey> {
    NSL_TRY(validate_key_name(name));
    return db_.with_tenant_read_primary(tenant, [&](store::Tx& tx) { return view(tx, name); });
  };
  return measured("transit_key_read", start, run());
}

Result<KeyPage> TransitService::list_keys(const store::TenantId& tenant,
                                          const std::optional<std::string>& after, int limit) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<KeyPage> {
    if (limit < 1 || limit > 1000) return err::invalid_argument("limit must be 1..1000");
    if (after) {
      if (!validate_key_name(*after).ok())
        return err::invalid_argument("cursor is not a transit key name");
    }
    auto rows = db_.with_tenant_read_primary(
        tenant, [&](store::Tx& tx) { return repo::list_keys(tx, after, limit); });
    if (!rows.ok()) return std::move(rows).error();
    KeyPage page;
    page.keys.reserve(rows->size());
    for (const auto& r : *rows) page.keys.push_back(key_of(r));
    if (static_cast<int>(page.keys.size()) == limit) page.next_after = page.keys.back().name;
    return page;
  };
  return measured("transit_key_list", start, run());
}

Result<TransitKey> TransitService::update_config(const store::TenantId& tenant,
                                                 std::string_view name, const KeyConfig& config,
                                                 const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<TransitKey> {
    NSL_TRY(validate_key_name(name));
    if (config.rotation_days &&
        (*config.rotation_days < 0 || *config.rotation_days > options_.max_rotation_days)) {
      return err::invalid_argument("rotation_days must be from 0 (never) to " +
                                   std::to_string(options_.max_rotation_days));
    }
    const std::int64_t now = now_ms();
    auto changed = db_.with_tenant(tenant, [&](store::Tx& tx) -> Result<TransitKey> {
      NSL_TRY_ASSIGN(std::optional<repo::KeyRow> found, repo::get_key(tx, name));
      if (!found) return err::not_found("transit key not found");
      repo::KeyRow k = std::move(*found);
      if (config.min_decryption_version) k.min_decryption_version = *config.min_decryption_version;
      if (config.min_encryption_version) k.min_encryption_version = *config.min_encryption_version;
      if (config.deletion_allowed) k.deletion_allowed = *config.deletion_allowed;
      if (config.rotation_days) {
        k.rotation_days = *config.rotation_days;
        k.next_rotation_at = std::nullopt;
        if (k.rotation_days > 0) k.next_rotation_at = now + k.rotation_days * kDayMs;
      }
      const std::string latest = std::to_string(k.latest_version);
      if (k.min_decryption_version < 1 || k.min_decryption_version > k.latest_version) {
        return err::invalid_argument(
            "min_decryption_version must be from 1 to the latest version (" + latest + ")");
      }
      if (k.min_encryption_version != 0 && (k.min_encryption_version < k.min_decryption_version ||
                                            k.min_encryption_version > k.latest_version)) {
        return err::invalid_argument(
            "min_encryption_version must be 0 (any) or from min_decryption_version (" +
            std::to_string(k.min_decryption_version) + ") to the latest version (" + latest + ")");
      }
      NSL_TRY_ASSIGN(bool ok, repo::update_config(tx, k, now));
      if (!ok) return err::conflict("the key was rotated concurrently; retry");
      return view(tx, name);
    });
    if (!changed.ok()) return changed;
    NSL_TRY(audit(tenant, actor, "transit.key_config", name));
    return changed;
  };
  return measured("transit_key_config", start, run());
}

Result<std::optional<TransitKey>> TransitService::rotate_once(const store::TenantId& tenant,
                                                              std::string_view name,
                                                              std::int64_t fence, bool only_if_due,
                                                              std::int64_t now) {
  auto found = db_.with_tenant(tenant, [&](store::Tx& tx) { return repo::get_key(tx, name); });
  if (!found.ok()) return std::move(found).error();
  if (!*found) return err::not_found("transit key not found");
  const repo::KeyRow& k = **found;
  if (only_if_due && (k.rotation_days <= 0 || !k.next_rotation_at || *k.next_rotation_at > now)) {
    return std::optional<TransitKey>();
  }
  if (k.latest_version == UINT32_MAX) return err::failed_precondition("key versions exhausted");
  const std::uint32_t next = k.latest_version + 1;
  auto sealed = enclave_.generate_data_key(binding(tenant, name, next));
  if (!sealed.ok()) return std::move(sealed).error();
  const repo::VersionRow ver{.version = next, .sealed = to_hex(*sealed), .created_at = now};
  std::optional<std::int64_t> next_at;
  if (k.rotation_days > 0) next_at = now + k.rotation_days * kDayMs;
  const std::uint32_t expected = k.latest_version;
  return db_.with_tenant(tenant, [&](store::Tx& tx) -> Result<std::optional<TransitKey>> {
    NSL_TRY_ASSIGN(bool moved, repo::advance_version(tx, name, expected, ver, next_at, fence, now));
    if (!moved) return std::optional<TransitKey>();
    NSL_TRY_ASSIGN(TransitKey v, view(tx, name));
    return std::optional<TransitKey>(std::move(v));
  });
}

Result<TransitKey> TransitService::rotate(const store::TenantId& tenant, std::string_view name,
                                          const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<TransitKey> {
    NSL_TRY(validate_key_name(name));
    NSL_TRY_ASSIGN(std::optional<TransitKey> v, rotate_once(tenant, name, 0, false, now_ms()));
    if (!v) return err::conflict("the key was rotated concurrently; retry");
    NSL_TRY(audit(tenant, actor, "transit.key_rotate", name));
    return std::move(*v);
  };
  return measured("transit_rotate", start, run());
}

Status TransitService::delete_key(const store::TenantId& tenant, std::string_view name,
                                  const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Status {
    NSL_TRY(validate_key_name(name));
    Status deleted = db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
      NSL_TRY_ASSIGN(std::optional<repo::KeyRow> k, repo::get_key(tx, name));
      if (!k) return err::not_found("transit key not found");
      if (!k->deletion_allowed) {
        return err::failed_precondition(
            "deletion is not allowed for this key: set deletion_allowed to true first");
      }
      NSL_TRY(repo::delete_key(tx, name));
      return {};
    });
    if (!deleted.ok()) return deleted;
    return audit(tenant, actor, "transit.key_delete", name);
  };
  return measured("transit_key_delete", start, run());
}

Result<int> TransitService::rotate_due(cache::Cache& shared) {
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t now = now_ms();
  auto lock = shared.acquire_lock(kRotationLock, options_.rotation_lock_ttl);
  if (!lock.ok()) return std::move(lock).error();
  if (!*lock) return 0;  // another replica is rotating
  const std::int64_t fence = (*lock)->fencing_token;
  int rotated = 0;
  auto run = [&]() -> Status {
    NSL_TRY_ASSIGN(std::vector<store::TenantId> tenants, audit::list_tenants(db_));
    for (const store::TenantId& t : tenants) {
      // Stop well inside the lock's lifetime; the next run continues.
      if (std::chrono::steady_clock::now() - start > options_.rotation_lock_ttl / 2) break;
      auto names = db_.with_tenant(t, [&](store::Tx& tx) {
        return repo::due_for_rotation(tx, now, options_.background_batch);
      });
      if (!names.ok()) return std::move(names).error();
      for (const std::string& name : *names) {
        const auto one = std::chrono::steady_clock::now();
        auto r = rotate_once(t, name, fence, /*only_if_due=*/true, now);
        count("transit_rotate_due", status_of(r), one);
        if (!r.ok()) {
          obs::log_warn("scheduled transit key rotation failed",
                        {{"tenant", t.str()}, {"key", name}, {"error", r.error().message()}});
          continue;
        }
        if (!*r) continue;  // rotated by someone else meanwhile, or no longer due
        ++rotated;
        if (Status st = audit(t, system_actor(), "transit.key_rotate", name); !st.ok()) {
          obs::log_warn("audit of a scheduled transit key rotation failed",
                        {{"tenant", t.str()}, {"key", name}});
        }
      }
    }
    return {};
  };
  Status st = run();
  (void)shared.release_lock(**lock);  // expires by itself when the cache is unreachable
  if (!st.ok()) return std::move(st).error();
  return rotated;
}

}  // namespace nsl::transit
