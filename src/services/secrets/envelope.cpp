// The secrets service's envelope data keys: creation on a tenant's first write, rotation, and
// rewrapping of stored versions under the newest key (service.hpp "Envelope encryption").
#include "services/secrets/internal/envelope.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "core/strings.hpp"
#include "obs/log.hpp"
#include "services/audit/verify.hpp"
#include "services/secrets/repo.hpp"
#include "services/secrets/service.hpp"

namespace nsl::secrets {
namespace internal {

enclave::Binding key_binding(const store::TenantId& tenant, std::uint32_t version) {
  return {.tenant_id = tenant.str(),
          .object_id = std::string(kDataKeyObject),
          .version = version,
          .purpose = std::string(kDataKeyPurpose)};
}

Result<enclave::Bytes> bytes_of(const std::string& hex, std::string_view what) {
  auto b = from_hex(hex);
  if (!b) return err::internal("stored " + std::string(what) + " is not hex");
  return std::move(*b);
}

Error integrity_error(const Error& e, const store::TenantId& tenant, std::string_view path,
                      std::uint32_t version, std::string_view what) {
  if (e.code() != ErrorCode::permission_denied && e.code() != ErrorCode::invalid_argument) return e;
  obs::log_error("stored secret failed its integrity check", {{"tenant", tenant.str()},
                                                              {"path", path},
                                                              {"version", version},
                                                              {"operation", what},
                                                              {"error", e.message()}});
  if (what == "encrypt") {
    return err::internal(
        "the tenant's data key does not open in the enclave (data integrity "
        "error)");
  }
  return err::internal(
      "stored secret does not decrypt under this tenant, path and version "
      "(data integrity error)");
}

}  // namespace internal

namespace {
using internal::bytes_of;
using internal::integrity_error;
using internal::key_binding;
constexpr int kMaxRewrapBatch = 10000;
}  // namespace

// ---- data keys ----

Result<SecretsService::DataKey> SecretsService::active_key(const store::TenantId& tenant) {
  NSL_TRY_ASSIGN(std::optional<repo::DataKeyRow> row,
                 db_.with_tenant(tenant, [](store::Tx& tx) { return repo::active_data_key(tx); }));
  if (!row) {
    // The tenant's first write. The enclave call runs outside any transaction; replicas racing
    // here each make a key, the first insert wins and everyone uses the winner.
    NSL_TRY_ASSIGN(enclave::Bytes sealed, enclave_.generate_data_key(key_binding(tenant, 1)));
    const repo::DataKeyRow fresh{.version = 1,
                                 .sealed = to_hex(sealed),
                                 .state = std::string(repo::kKeyActive),
                                 .created_at = now_ms()};
    NSL_TRY_ASSIGN(
        row,
        db_.with_tenant(tenant, [&fresh](store::Tx& tx) -> Result<std::optional<repo::DataKeyRow>> {
          NSL_TRY(repo::insert_data_key_if_absent(tx, fresh));
          return repo::active_data_key(tx);
        }));
    if (!row) return err::internal("the tenant has no active data key");
  }
  DataKey key{.version = row->version, .sealed = {}};
  NSL_TRY_ASSIGN(key.sealed, bytes_of(row->sealed, "data key"));
  return key;
}

Result<std::uint32_t> SecretsService::rotate_data_key(const store::TenantId& tenant,
                                                      const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<std::uint32_t> {
    NSL_TRY_ASSIGN(std::vector<repo::DataKeyRow> keys,
                   db_.with_tenant(tenant, [](store::Tx& tx) { return repo::data_keys(tx); }));
    return rotate_to(tenant, keys.empty() ? 0 : keys.back().version, actor);
  };
  return measured("rotate_data_key", start, run());
}

Result<std::uint32_t> SecretsService::rotate_to(const store::TenantId& tenant,
                                                std::uint32_t newest, const Actor& actor) {
  if (newest == UINT32_MAX) return err::failed_precondition("data key versions exhausted");
  const std::uint32_t next = newest + 1;
  NSL_TRY_ASSIGN(enclave::Bytes sealed, enclave_.generate_data_key(key_binding(tenant, next)));
  const repo::DataKeyRow row{.version = next,
                             .sealed = to_hex(sealed),
                             .state = std::string(repo::kKeyActive),
                             .created_at = now_ms()};
  Status stored = db_.with_tenant(tenant, [&row](store::Tx& tx) -> Status {
    NSL_TRY_ASSIGN(bool inserted, repo::insert_data_key_if_absent(tx, row));
    if (!inserted) return err::conflict("the data key was rotated concurrently; retry");
    NSL_TRY(repo::retire_data_keys_below(tx, row.version));
    return {};
  });
  if (!stored.ok()) return std::move(stored).error();
  NSL_TRY(
      audit(tenant, actor, "secrets.data_key_rotate", "secret-data-key:" + std::to_string(next)));
  return next;
}

Result<RewrapReport> SecretsService::rewrap(const store::TenantId& tenant, int limit) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<RewrapReport> {
    if (limit < 1 || limit > kMaxRewrapBatch)
      return err::invalid_argument("limit must be 1..10000");
    struct Work {
      std::vector<repo::DataKeyRow> keys;
      std::vector<repo::VersionRow> rows;
    };
    NSL_TRY_ASSIGN(Work work, db_.with_tenant(tenant, [limit](store::Tx& tx) -> Result<Work> {
      Work w;
      NSL_TRY_ASSIGN(w.keys, repo::data_keys(tx));
      std::optional<std::uint32_t> newest;
      for (const auto& k : w.keys) {
        if (k.state == repo::kKeyActive) newest = k.version;
      }
      if (!newest) return w;
      NSL_TRY_ASSIGN(w.rows, repo::versions_not_under(tx, *newest, limit));
      return w;
    }));
    RewrapReport report;
    std::map<std::uint32_t, enclave::Bytes> sealed_keys;
    for (const auto& k : work.keys) {
      NSL_TRY_ASSIGN(enclave::Bytes b, bytes_of(k.sealed, "data key"));
      sealed_keys[k.version] = std::move(b);
      if (k.state == repo::kKeyActive) report.to_version = k.version;
    }
    if (report.to_version == 0 || work.rows.empty()) return report;
    const enclave::Bytes& to_key = sealed_keys[report.to_version];
    struct Change {
      std::string path;
      std::uint32_t version;
      std::string old_hex;
      std::string new_hex;
    };
    std::vector<Change> changes;
    for (const auto& row : work.rows) {
      auto from_key = sealed_keys.find(row.dek_version);
      if (from_key == sealed_keys.end()) {
        obs::log_error("secret version refers to a missing data key",
                       {{"tenant", tenant.str()}, {"path", row.path}, {"version", row.version}});
        continue;
      }
      NSL_TRY_ASSIGN(enclave::Bytes ct, bytes_of(*row.ciphertext, "ciphertext"));
      auto moved = enclave_.data_rewrap(key_binding(tenant, row.dek_version), from_key->second,
                                        key_binding(tenant, report.to_version), to_key,
                                        value_aad(tenant.str(), row.path, row.version), ct);
      if (!moved.ok()) {
        Error e = integrity_error(moved.error(), tenant, row.path, row.version, "rewrap");
        if (e.code() != ErrorCode::internal) return e;  // enclave unavailable: try again later
        continue;                                       // left under its old key, logged
      }
      changes.push_back({row.path, row.version, *row.ciphertext, to_hex(*moved)});
    }
    const std::uint32_t to = report.to_version;
    NSL_TRY_ASSIGN(
        report.rewrapped, db_.with_tenant(tenant, [&changes, to](store::Tx& tx) -> Result<int> {
          int n = 0;
          for (const auto& c : changes) {
            NSL_TRY_ASSIGN(bool done, repo::replace_ciphertext(tx, c.path, c.version, c.old_hex,
                                                               c.new_hex, to));
            if (done) ++n;
          }
          return n;
        }));
    report.more = static_cast<int>(work.rows.size()) == limit;
    return report;
  };
  return measured("rewrap", start, run());
}

Result<SecretsService::MaintenanceReport> SecretsService::maintain() {
  static const Actor system{.subject = "system", .request_id = ""};
  MaintenanceReport report;
  NSL_TRY_ASSIGN(std::vector<store::TenantId> tenants, audit::list_tenants(db_));
  const std::int64_t max_age_ms =
      static_cast<std::int64_t>(options_.data_key_rotation_days) * 24 * 3600 * 1000;
  for (const store::TenantId& t : tenants) {
    if (options_.data_key_rotation_days > 0) {
      auto keys = db_.with_tenant(t, [](store::Tx& tx) { return repo::data_keys(tx); });
      if (!keys.ok()) {
        obs::log_warn("secrets data key check failed",
                      {{"tenant", t.str()}, {"error", keys.error().message()}});
        continue;
      }
      // Tenants without secrets have no key: nothing to rotate.
      const repo::DataKeyRow* active = nullptr;
      for (const auto& k : *keys) {
        if (k.state == repo::kKeyActive) active = &k;
      }
      if (active != nullptr && now_ms() - active->created_at >= max_age_ms) {
        // Version newest + 1 of the keys just read: a replica that rotated meanwhile made that
        // version already, so this one gets a conflict instead of rotating a second time.
        const auto start = std::chrono::steady_clock::now();
        auto v = measured("rotate_data_key", start, rotate_to(t, keys->back().version, system));
        if (v.ok()) {
          ++report.rotated;
          obs::log_info("secrets data key rotated on schedule",
                        {{"tenant", t.str()}, {"version", *v}});
        } else if (v.error().code() != ErrorCode::conflict) {  // conflict: another replica did it
          obs::log_warn("scheduled secrets data key rotation failed",
                        {{"tenant", t.str()}, {"error", v.error().message()}});
        }
      }
    }
    auto moved = rewrap(t, std::clamp(options_.rewrap_batch, 1, kMaxRewrapBatch));
    if (!moved.ok()) {
      obs::log_warn("secrets rewrap failed", {{"tenant", t.str()}, {"error", moved.error().message()}});
      continue;
    }
    report.rewrapped += moved->rewrapped;
  }
  return report;
}

}  // namespace nsl::secrets
