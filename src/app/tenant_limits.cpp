#include "app/tenant_limits.hpp"

#include "core/strings.hpp"

namespace nsl::app {

Result<std::map<std::string, std::int64_t>> TenantLimits::load(store::Database& db,
                                                               const store::TenantId& tenant) {
  return db.with_tenant_read(
      tenant, [&](store::Tx& tx) -> Result<std::map<std::string, std::int64_t>> {
        NSL_TRY_ASSIGN(store::Rows rows,
                       tx.query("SELECT key, value FROM tenant_settings WHERE tenant_id = $1 AND "
                                "substr(key, 1, 11) = 'rate_limit.'",
                                {*tx.tenant()}));
        std::map<std::string, std::int64_t> out;
        for (const auto& r : rows) {
          const std::string key = r[0].value_or("");
          auto v = parse_u64(r[1].value_or(""));
          if (v && *v > 0 && *v <= 10'000'000)
            out[key.substr(kRateLimitSettingPrefix.size())] = static_cast<std::int64_t>(*v);
        }
        return out;
      });
}

Status TenantLimits::set(store::Database& db, const store::TenantId& tenant,
                         std::string_view rate_class, std::optional<std::int64_t> per_minute) {
  const std::string key = std::string(kRateLimitSettingPrefix) + std::string(rate_class);
  return db.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    if (!per_minute) {
      NSL_TRY(tx.exec("DELETE FROM tenant_settings WHERE tenant_id = $1 AND key = $2",
                      {*tx.tenant(), key}));
      return {};
    }
    NSL_TRY(
        tx.exec("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, $2, $3) "
                "ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value",
                {*tx.tenant(), key, std::to_string(*per_minute)}));
    return {};
  });
}

namespace {

std::optional<std::int64_t> pick(const std::map<std::string, std::int64_t, std::less<>>& limits,
                                 std::string_view rate_class) {
  if (auto it = limits.find(rate_class); it != limits.end()) return it->second;
  return std::nullopt;
}

}  // namespace

std::optional<std::optional<std::int64_t>> TenantLimits::in_memory(const store::TenantId& tenant,
                                                                   std::string_view rate_class) {
  const auto now = clock_.steady_now();
  // A hit (every request but one per tenant and ttl) copies nothing but the answer.
  std::lock_guard lk(mu_);
  if (auto it = cache_.find(tenant.str()); it != cache_.end() && it->second.until > now)
    return pick(it->second.limits, rate_class);
  return std::nullopt;
}

Result<std::optional<std::int64_t>> TenantLimits::limit(const store::TenantId& tenant,
                                                        std::string_view rate_class) {
  if (auto hit = in_memory(tenant, rate_class)) return *hit;
  const auto now = clock_.steady_now();
  NSL_TRY_ASSIGN(auto loaded, load(db_, tenant));
  std::map<std::string, std::int64_t, std::less<>> limits(loaded.begin(), loaded.end());
  auto out = pick(limits, rate_class);
  std::lock_guard lk(mu_);
  if (cache_.size() > 100000) cache_.clear();  // bounded: tenants beyond this reload
  cache_[tenant.str()] = Entry{now + ttl_, std::move(limits)};
  return out;
}

}  // namespace nsl::app
