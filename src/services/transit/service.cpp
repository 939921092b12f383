// The transit service: construction, metrics and audit helpers, and the data operations
// (encrypt / decrypt / rewrap / data keys); key management is in keys.cpp, batches in batch.cpp
// (service.hpp).
#include "services/transit/service.hpp"


#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "core/strings.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "services/secrets/metrics.hpp"
#include "services/transit/internal/common.hpp"
#include "services/transit/repo.hpp"

namespace nsl::transit {
namespace {
using internal::binding;
using internal::ciphertext_error;
using internal::key_error;
using internal::resource_of;
using internal::status_of;
constexpr std::size_t kMaxName = 64;
}  // namespace

Status validate_key_name(std::string_view name) {
  auto bad = [] {
    return err::invalid_argument(
        "key name must be 1..64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or "
        "digit");
  };
  if (name.empty() || name.size() > kMaxName) return bad();
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return bad();
  }
  return {};
}

struct TransitService::Metrics : secrets::OperationMetrics {
  using OperationMetrics::OperationMetrics;
};

TransitService::TransitService(store::Database& db, enclave::Enclave& enclave,
                               audit::AuditLog* audit, const Clock& clock, TransitOptions options,
                               obs::Registry* registry)
    : db_(db),
      enclave_(enclave),
      audit_(audit),
      clock_(clock),
      options_(options),
      metrics_(std::make_unique<Metrics>(registry)) {
  options_.max_plaintext = std::min(options_.max_plaintext, enclave::kMaxDataPlaintext);
  // The aad adds a label, the tenant id, the key name and separators (under 128 bytes).
  options_.max_associated_data = std::min(options_.max_associated_data, enclave::kMaxDataAad - 128);
}

TransitService::~TransitService() = default;

std::int64_t TransitService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             clock_.system_now().time_since_epoch())
      .count();
}

void TransitService::count(std::string_view op, const Status& st,
                           std::chrono::steady_clock::time_point start) {
  metrics_->record(op, st, start);
}

Status TransitService::audit(const store::TenantId& tenant, const Actor& actor, std::string action,
                             std::string_view name) {
  return identity::audit_change(audit_, tenant, actor, std::move(action), resource_of(name), "ok");
}

Status TransitService::audit_use(const store::TenantId& tenant, const Actor& actor,
                                 std::string action, std::string_view name, const Status& st,
                                 bool partial) {
  std::string result = st.ok() ? std::string(partial ? "partial" : "ok")
                               : std::string(error_code_name(st.error().code()));
  Status audited = identity::audit_change(audit_, tenant, actor, std::move(action),
                                          resource_of(name), std::move(result));
  if (!st.ok()) return st;
  return audited;
}

Status TransitService::check_associated_data(ByteView associated_data) const {
  if (associated_data.size() > options_.max_associated_data) {
    return err::invalid_argument("associated_data must be at most " +
                                 std::to_string(options_.max_associated_data) + " bytes");
  }
  return {};
}

// ---- data operations ----

Result<TransitService::Loaded> TransitService::load(const store::TenantId& tenant,
                                                    std::string_view name,
                                                    std::span<const std::uint32_t> versions) {
  // 0 stands for the latest version; the others are read as one range with it.
  bool latest = false;
  std::uint32_t from = 1;
  std::uint32_t to = 0;  // empty range unless an explicit version is asked for
  for (std::uint32_t v : versions) {
    if (v == 0) {
      latest = true;
    } else {
      from = to == 0 ? v : std::min(from, v);
      to = std::max(to, v);
    }
  }
  NSL_TRY_ASSIGN(std::optional<repo::KeyWithVersions> k,
                 db_.with_tenant_read_primary(tenant, [&](store::Tx& tx) {
                   return repo::get_key_with_versions(tx, name, from, to, latest);
                 }));
  if (!k) return err::not_found("transit key not found");
  Loaded l{.key = std::move(k->key), .sealed = {}};
  std::set<std::uint32_t> want;
  for (std::uint32_t v : versions) want.insert(v == 0 ? l.key.latest_version : v);
  for (repo::VersionRow& row : k->versions) {
    if (row.version == 0 || row.version > l.key.latest_version || want.count(row.version) == 0)
      continue;
    auto bytes = from_hex(row.sealed);
    if (!bytes) return err::internal("stored transit key version is not hex");
    l.sealed.emplace(row.version, std::move(*bytes));
  }
  return l;
}

Result<std::uint32_t> TransitService::encryption_version(
    const Loaded& key, std::optional<std::uint32_t> requested) const {
  const repo::KeyRow& k = key.key;
  if (!requested || *requested == 0) return k.latest_version;
  const std::uint32_t v = *requested;
  if (v > k.latest_version) {
    return err::invalid_argument("key_version " + std::to_string(v) +
                                 " does not exist (the latest is " +
                                 std::to_string(k.latest_version) + ")");
  }
  const std::uint32_t floor = std::max(k.min_decryption_version, k.min_encryption_version);
  if (v < floor) {
    return err::failed_precondition("key_version must be at least " + std::to_string(floor) +
                                    " (the key's min_encryption_version / "
                                    "min_decryption_version)");
  }
  return v;
}

Result<Encrypted> TransitService::encrypt_one(const store::TenantId& tenant, const Loaded& key,
                                              std::uint32_t version, ByteView plaintext,
                                              ByteView associated_data) {
  if (plaintext.size() > options_.max_plaintext) {
    return err::invalid_argument("plaintext must be at most " +
                                 std::to_string(options_.max_plaintext) + " bytes");
  }
  NSL_TRY(check_associated_data(associated_data));
  auto sealed = key.sealed.find(version);
  if (sealed == key.sealed.end()) return err::internal("a transit key version is missing");
  auto ct =
      enclave_.data_encrypt(binding(tenant, key.key.name, version), sealed->second,
                            transit_aad(tenant.str(), key.key.name, associated_data), plaintext);
  if (!ct.ok()) return key_error(ct.error(), tenant, key.key.name, version);
  return Encrypted{.ciphertext = format_ciphertext(version, *ct), .key_version = version};
}

namespace {
// Version checks shared by decrypt and rewrap.
Status usable_for_decryption(const repo::KeyRow& k, std::uint32_t version) {
  if (version > k.latest_version)
    return err::invalid_argument("ciphertext does not decrypt under this key");
  if (version < k.min_decryption_version) {
    return err::failed_precondition("ciphertext key version " + std::to_string(version) +
                                    " is below the key's min_decryption_version (" +
                                    std::to_string(k.min_decryption_version) + ")");
  }
  return {};
}
}  // namespace

Result<SecretBytes> TransitService::decrypt_one(const store::TenantId& tenant, const Loaded& key,
                                                const ParsedCiphertext& ct,
                                                ByteView associated_data) {
  NSL_TRY(check_associated_data(associated_data));
  NSL_TRY(usable_for_decryption(key.key, ct.key_version));
  auto sealed = key.sealed.find(ct.key_version);
  if (sealed == key.sealed.end())
    return err::invalid_argument("ciphertext does not decrypt under this key");
  auto plain = enclave_.data_decrypt(binding(tenant, key.key.name, ct.key_version), sealed->second,
                                     transit_aad(tenant.str(), key.key.name, associated_data),
                                     ct.ciphertext);
  if (!plain.ok()) return ciphertext_error(plain.error());
  return std::move(*plain);
}

Result<Encrypted> TransitService::rewrap_one(const store::TenantId& tenant, const Loaded& key,
                                             const ParsedCiphertext& ct, ByteView associated_data) {
  NSL_TRY(check_associated_data(associated_data));
  NSL_TRY(usable_for_decryption(key.key, ct.key_version));
  const std::uint32_t to = key.key.latest_version;
  auto from_key = key.sealed.find(ct.key_version);
  auto to_key = key.sealed.find(to);
  if (from_key == key.sealed.end())
    return err::invalid_argument("ciphertext does not decrypt under this key");
  if (to_key == key.sealed.end()) return err::internal("the latest transit key version is missing");
  auto moved =
      enclave_.data_rewrap(binding(tenant, key.key.name, ct.key_version), from_key->second,
                           binding(tenant, key.key.name, to), to_key->second,
                           transit_aad(tenant.str(), key.key.name, associated_data), ct.ciphertext);
  if (!moved.ok()) return ciphertext_error(moved.error());
  return Encrypted{.ciphertext = format_ciphertext(to, *moved), .key_version = to};
}

Result<Encrypted> TransitService::encrypt(const store::TenantId& tenant, std::string_view name,
                                          ByteView plaintext, ByteView associated_data,
                                          std::optional<std::uint32_t> key_version,
                                          const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  if (Status st = validate_key_name(name); !st.ok()) {
    return measured("transit_encrypt", start, Result<Encrypted>(std::move(st).error()));
  }
  auto run = [&]() -> Result<Encrypted> {
    if (plaintext.size() > options_.max_plaintext) {
      return err::invalid_argument("plaintext must be at most " +
                                   std::to_string(options_.max_plaintext) + " bytes");
    }
    NSL_TRY(check_associated_data(associated_data));
    const std::uint32_t want[] = {key_version.value_or(0)};
    NSL_TRY_ASSIGN(Loaded key, load(tenant, name, want));
    NSL_TRY_ASSIGN(std::uint32_t version, encryption_version(key, key_version));
    return encrypt_one(tenant, key, version, plaintext, associated_data);
  };
  Result<Encrypted> r = run();
  Status audited = audit_use(tenant, actor, "transit.encrypt", name, status_of(r));
  if (!audited.ok() && r.ok()) r = Result<Encrypted>(std::move(audited).error());
  return measured("transit_encrypt", start, std::move(r));
}

Result<SecretBytes> TransitService::decrypt(const store::TenantId& tenant, std::string_view name,
                                            std::string_view ciphertext, ByteView associated_data,
                                            const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  if (Status st = validate_key_name(name); !st.ok()) {
    return measured("transit_decrypt", start, Result<SecretBytes>(std::move(st).error()));
  }
  auto run = [&]() -> Result<SecretBytes> {
    NSL_TRY(check_associated_data(associated_data));
    NSL_TRY_ASSIGN(ParsedCiphertext ct, parse_ciphertext(ciphertext));
    const std::uint32_t want[] = {ct.key_version};
    NSL_TRY_ASSIGN(Loaded key, load(tenant, name, want));
    return decrypt_one(tenant, key, ct, associated_data);
  };
  Result<SecretBytes> r = run();
  // A plaintext is handed out only once its decryption is on record.
  Status audited = audit_use(tenant, actor, "transit.decrypt", name, status_of(r));
  if (!audited.ok() && r.ok()) r = Result<SecretBytes>(std::move(audited).error());
  return measured("transit_decrypt", start, std::move(r));
}

Result<Encrypted> TransitService::rewrap(const store::TenantId& tenant, std::string_view name,
                                         std::string_view ciphertext, ByteView associated_data,
                                         const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  if (Status st = validate_key_name(name); !st.ok()) {
    return measured("transit_rewrap", start, Result<Encrypted>(std::move(st).error()));
  }
  auto run = [&]() -> Result<Encrypted> {
    NSL_TRY(check_associated_data(associated_data));
    NSL_TRY_ASSIGN(ParsedCiphertext ct, parse_ciphertext(ciphertext));
    const std::uint32_t both[] = {ct.key_version, 0};
    NSL_TRY_ASSIGN(Loaded key, load(tenant, name, both));
    return rewrap_one(tenant, key, ct, associated_data);
  };
  Result<Encrypted> r = run();
  Status audited = audit_use(tenant, actor, "transit.rewrap", name, status_of(r));
  if (!audited.ok() && r.ok()) r = Result<Encrypted>(std::move(audited).error());
  return measured("transit_rewrap", start, std::move(r));
}

Result<DataKey> TransitService::datakey(const store::TenantId& tenant, std::string_view name,
                                        int bits, bool with_plaintext, const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  if (Status st = validate_key_name(name); !st.ok()) {
    return measured("transit_datakey", start, Result<DataKey>(std::move(st).error()));
  }
  auto run = [&]() -> Result<DataKey> {
    if (bits != 128 && bits != 256 && bits != 512)
      return err::invalid_argument("bits must be 128, 256 or 512");
    const std::uint32_t latest[] = {0};
    NSL_TRY_ASSIGN(Loaded key, load(tenant, name, latest));
    const std::uint32_t version = key.key.latest_version;
    auto sealed = key.sealed.find(version);
    if (sealed == key.sealed.end())
      return err::internal("the latest transit key version is missing");
    // Made inside the enclave (service.hpp "datakey"): in "wrapped" mode the key never reaches
    // this process in clear.
    auto made = enclave_.data_generate(binding(tenant, name, version), sealed->second,
                                       transit_aad(tenant.str(), name, {}),
                                       static_cast<std::uint32_t>(bits / 8), with_plaintext);
    if (!made.ok()) return key_error(made.error(), tenant, name, version);
    DataKey out;
    out.plaintext = std::move(made->plaintext);
    out.ciphertext = format_ciphertext(version, made->ciphertext);
    out.key_version = version;
    return out;
  };
  Result<DataKey> r = run();
  Status audited = audit_use(tenant, actor, "transit.datakey", name, status_of(r));
  if (!audited.ok() && r.ok()) r = Result<DataKey>(std::move(audited).error());
  return measured("transit_datakey", start, std::move(r));
}

}  // namespace nsl::transit
