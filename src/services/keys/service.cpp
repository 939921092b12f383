#include "services/keys/service.hpp"

#include <map>
#include <mutex>
#include <span>
#include <unordered_map>
#include <utility>

#include "chain/evm/address.hpp"
#include "chain/evm/u256.hpp"
#include "chain/neo/account.hpp"
#include "core/json_strict.hpp"
#include "core/strings.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "services/audit/audit_log.hpp"
#include "services/audit/verify.hpp"
#include "services/identity/repo.hpp"
#include "signing/policy.hpp"

namespace nsl::keys {
namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr std::string_view kRotationLock = "keys:rotation";
constexpr std::size_t kMaxPolicyBytes = 64 * 1024;

bool valid_label(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool valid_purpose(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

bool valid_asset(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

Result<enclave::KeyCurve> curve_of(std::string_view name) {
  auto c = enclave::parse_key_curve(name);
  if (!c.ok()) return err::invalid_argument("curve must be secp256r1, secp256k1 or ed25519");
  return *c;
}

Result<enclave::Bytes> bytes_of(const std::string& hex, std::string_view what) {
  auto b = from_hex(hex);
  if (!b) return err::internal("stored " + std::string(what) + " is not hex");
  return std::move(*b);
}

evm::U256 add_saturating(const evm::U256& a, const evm::U256& b) {
  std::array<std::uint8_t, 32> out{};
  unsigned carry = 0;
  for (int i = 31; i >= 0; --i) {
    const unsigned s = unsigned(a.be32()[i]) + unsigned(b.be32()[i]) + carry;
    out[i] = static_cast<std::uint8_t>(s & 0xff);
    carry = s >> 8;
  }
  if (carry != 0) out.fill(0xff);
  return evm::U256::from_be32(out);
}

std::string hex_of(std::span<const std::uint8_t> b) { return to_hex(b); }

const Actor& system_actor() {
  static const Actor a{.subject = "system", .request_id = ""};
  return a;
}

// The single-signature N3 account of a stored secp256r1 public key: its verification script, that script's
// hash and the address. Stored compressed and checked on the curve when the key was stored (as the signing
// path trusts it too): re-checking would cost a modular square root on every read of every key.
struct StoredNeoAccount {
  neo::Bytes script;
  neo::UInt160 hash{};
  std::string address;
};
Result<StoredNeoAccount> neo_account_of(std::span<const std::uint8_t> pub) {
  if (pub.size() != 33) return err::internal("stored secp256r1 public key is not compressed");
  neo::PublicKey compressed{};
  std::copy(pub.begin(), pub.end(), compressed.begin());
  StoredNeoAccount a;
  a.script = neo::signature_redeem_script_unchecked(compressed);
  a.hash = neo::script_hash(a.script);
  a.address = neo::to_address(a.hash);
  return a;
}

template <class T>
std::string_view curve_label(const Result<T>& r) {
  if constexpr (std::is_same_v<T, KeyView> || std::is_same_v<T, KeyForSigning>) {
    if (r.ok()) return r->key.curve;
  }
  return "";
}

}  // namespace

Result<std::string> validate_policy_text(std::string_view text) {
  if (text.size() > kMaxPolicyBytes) return err::invalid_argument("policy is larger than 64 KiB");
  // The enclave parses the same text with the same parser before every signing.
  NSL_TRY_ASSIGN(signing::Policy policy, signing::parse_policy(text));
  return signing::canonical_json(policy);
}

Result<std::string> add_decimal_saturating(std::string_view a, std::string_view b) {
  NSL_TRY_ASSIGN(evm::U256 x, evm::U256::from_decimal(a));
  NSL_TRY_ASSIGN(evm::U256 y, evm::U256::from_decimal(b));
  return add_saturating(x, y).to_decimal();
}

struct KeyService::Metrics {
  obs::CounterFamily* ops = nullptr;
  obs::HistogramFamily* seconds = nullptr;
};

// The usable keys' signing material by (tenant, key id). A read that started before a change committed must not
// put its (old) row back after the change dropped the entry: every drop advances `generation`, and a read stores
// its row only if no drop happened since it began — a drop comes after its change's commit, so a read that could
// have missed the change began before the drop.
struct KeyService::SigningCache {
  struct Entry {
    SigningKey value;
    std::chrono::steady_clock::time_point until;
  };
  std::mutex mu;
  std::uint64_t generation = 0;
  std::unordered_map<std::string, Entry> entries;
  std::uint64_t hits = 0, misses = 0;

  static std::string key_of(const store::TenantId& tenant, std::string_view id) {
    std::string k = tenant.str();
    k.push_back('/');
    k.append(id);
    return k;
  }
};

KeyService::KeyService(store::Database& db, enclave::Enclave& enclave, audit::AuditLog* audit,
                       cache::Cache& shared, const Clock& clock, KeyOptions options,
                       obs::Registry* registry)
    : db_(db),
      enclave_(enclave),
      audit_(audit),
      shared_(shared),
      clock_(clock),
      options_(options),
      metrics_(std::make_unique<Metrics>()) {
  if (options_.cache_for_signing) signing_cache_ = std::make_unique<SigningCache>();
  if (registry != nullptr) {
    metrics_->ops = &registry->counter_family(
        "nsl_keys_operations_total",
        "Key operations by operation, curve (empty when unknown) and result (ok or error code)",
        {"op", "curve", "result"});
    metrics_->seconds = &registry->histogram_family("nsl_keys_operation_seconds",
                                                    "Latency of key operations, seconds", {"op"},
                                                    obs::default_latency_buckets());
  }
}

KeyService::~KeyService() = default;

std::int64_t KeyService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             clock_.system_now().time_since_epoch())
      .count();
}

void KeyService::count_operation(std::string_view op, std::string_view curve, const Status& st,
                       std::chrono::steady_clock::time_point start) {
  if (metrics_->ops == nullptr) return;
  // Label values by view: the family looks its child up without building strings.
  const std::string_view result =
      st.ok() ? std::string_view("ok") : std::string_view(error_code_name(st.error().code()));
  metrics_->ops->with({op, curve, result}).inc();
  metrics_->seconds->with({op}).observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

template <class T>
T KeyService::measured(std::string_view op, std::chrono::steady_clock::time_point start, T result) {
  Status st = result.ok() ? Status() : Status(result.error());
  count_operation(op, curve_label(result), st, start);
  return result;
}

Status KeyService::audit(const store::TenantId& tenant, const Actor& actor, std::string action,
                         std::string_view key_id) {
  return identity::audit_change(audit_, tenant, actor, std::move(action),
                                "key:" + std::string(key_id), "ok");
}

Result<KeyView> KeyService::view_of(store::Tx& tx, repo::KeyRow key) {
  KeyView v;
  NSL_TRY_ASSIGN(v.versions, repo::versions_of(tx, key.id));
  const repo::KeyVersionRow* current = nullptr;
  for (auto& ver : v.versions) {
    ver.sealed.reset();
    if (ver.version == key.current_version) current = &ver;
  }
  if (current == nullptr) return err::internal("key has no row for its current version");
  NSL_TRY_ASSIGN(enclave::Bytes pub, bytes_of(current->public_key, "public key"));
  if (key.curve == "secp256r1") {
    NSL_TRY_ASSIGN(StoredNeoAccount a, neo_account_of(pub));
    v.neo = NeoAccount{.address = std::move(a.address),
                       .script_hash = a.hash.to_string(),
                       .verification_script = hex_of(a.script)};
  } else if (key.curve == "secp256k1") {
    NSL_TRY_ASSIGN(evm::Address a, evm::address_from_public_key(pub));
    v.evm_address = a.to_checksum();
  }
  key.policy_sealed.reset();
  v.key = std::move(key);
  return v;
}

// ---- create / read ----

Result<repo::KeyRow> KeyService::new_key_row(std::string id, std::string label,
                                             enclave::KeyCurve curve, std::string purpose,
                                             bool exportable, std::optional<int> rotation_days,
                                             std::int64_t now) const {
  const int days = rotation_days.value_or(options_.default_rotation_days);
  if (days < 0 || days > options_.max_rotation_days) {
    return err::invalid_argument("rotation_days must be from 0 (never) to " +
                                 std::to_string(options_.max_rotation_days));
  }
  repo::KeyRow row{.id = std::move(id),
                   .label = std::move(label),
                   .curve = std::string(enclave::key_curve_name(curve)),
                   .purpose = std::move(purpose),
                   .exportable = exportable,
                   .state = std::string(repo::kEnabled),
                   .current_version = 1,
                   .rotation_days = days,
                   .created_at = now,
                   .updated_at = now};
  if (days > 0) row.next_rotation_at = now + days * kDayMs;
  return row;
}

Result<KeyView> KeyService::store_new_key(const store::TenantId& tenant, const repo::KeyRow& row,
                                          const enclave::SealedKey& sk, std::int64_t now,
                                          std::string_view action, const Actor& actor) {
  repo::KeyVersionRow ver{.key_id = row.id,
                          .version = 1,
                          .public_key = hex_of(sk.public_key),
                          .sealed = hex_of(sk.sealed),
                          .state = std::string(repo::kVersionActive),
                          .created_at = now};
  NSL_TRY_ASSIGN(KeyView view, db_.with_tenant(tenant, [&](store::Tx& tx) -> Result<KeyView> {
    NSL_TRY(repo::insert_key(tx, row));
    NSL_TRY(repo::insert_version(tx, ver));
    return view_of(tx, row);
  }));
  NSL_TRY(audit(tenant, actor, std::string(action), row.id));
  return view;
}

Result<KeyView> KeyService::create(const store::TenantId& tenant, const NewKeyRequest& req,
                                   const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<KeyView> {
    NSL_TRY_ASSIGN(enclave::KeyCurve curve, curve_of(req.curve));
    if (!valid_label(req.label))
      return err::invalid_argument("label must be 1..128 printable characters");
    if (!valid_purpose(req.purpose))
      return err::invalid_argument("purpose must be 1..64 characters of a-z, 0-9, '_' or '-'");
    const std::int64_t now = now_ms();
    NSL_TRY_ASSIGN(repo::KeyRow row, new_key_row(identity::repo::new_id("key"), req.label, curve,
                                                 req.purpose, req.exportable, req.rotation_days, now));
    NSL_TRY_ASSIGN(enclave::SealedKey sk,
                   enclave_.generate_key({.tenant_id = tenant.str(),
                                          .object_id = row.id,
                                          .version = 1,
                                          .purpose = "signing"},
                                         curve));
    return store_new_key(tenant, row, sk, now, "keys.create", actor);
  };
  return measured("create", start, run());
}

bool is_key_id(std::string_view id) noexcept {
  if (id.size() != 24 || id.substr(0, 4) != "key_") return false;
  for (char c : id.substr(4)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<ImportSession> KeyService::begin_import(const store::TenantId& tenant,
                                               enclave::ByteView nonce) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<ImportSession> {
    if (nonce.size() < 16 || nonce.size() > 64)
      return err::invalid_argument("nonce must be 16..64 bytes");
    ImportSession s;
    s.key_id = identity::repo::new_id("key");
    s.binding = {.tenant_id = tenant.str(), .object_id = s.key_id, .version = 1,
                 .purpose = "signing"};
    NSL_TRY_ASSIGN(enclave::Identity id, enclave_.identity());
    s.transport_public_key = id.transport_public_key;
    NSL_TRY_ASSIGN(s.quote, enclave_.attest(enclave::AttestPurpose::transport_key, {}, nonce));
    s.nonce.assign(nonce.begin(), nonce.end());
    return s;
  };
  auto r = run();
  count_operation("import_begin", "", r.ok() ? Status() : Status(r.error()), start);
  return r;
}

Result<KeyView> KeyService::import(const store::TenantId& tenant, const ImportKeyRequest& req,
                                   const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<KeyView> {
    if (!is_key_id(req.key_id))
      return err::invalid_argument("key_id must be a key id from POST /v1/keys/imports");
    NSL_TRY_ASSIGN(enclave::KeyCurve curve, curve_of(req.curve));
    if (!valid_label(req.label))
      return err::invalid_argument("label must be 1..128 printable characters");
    const std::int64_t now = now_ms();
    NSL_TRY_ASSIGN(repo::KeyRow row, new_key_row(req.key_id, req.label, curve, "signing",
                                                 req.exportable, req.rotation_days, now));
    NSL_TRY_ASSIGN(std::optional<repo::KeyRow> existing,
                   db_.with_tenant(tenant, [&](store::Tx& tx) {
                     return repo::find_key_any_state(tx, req.key_id);
                   }));
    if (existing) return err::conflict("key_id is already used; start a new import");
    NSL_TRY_ASSIGN(enclave::SealedKey sk,
                   enclave_.import_key({.tenant_id = tenant.str(),
                                        .object_id = row.id,
                                        .version = 1,
                                        .purpose = "signing"},
                                       curve, req.wrapped));
    // A concurrent import of the same id loses on the primary key (conflict).
    return store_new_key(tenant, row, sk, now, "keys.import", actor);
  };
  return measured("import", start, run());
}

Result<KeyExport> KeyService::export_key(const store::TenantId& tenant, std::string_view id,
                                         const enclave::ExportRequest& request,
                                         const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  std::string curve;
  auto run = [&]() -> Result<KeyExport> {
    NSL_TRY_ASSIGN(KeyForSigning k, for_signing(tenant, id));
    curve = k.key.curve;
    if (!k.key.exportable) return err::failed_precondition("key is not exportable");
    NSL_TRY_ASSIGN(enclave::ExportedKeyBlob blob, enclave_.export_key(k.binding, k.sealed, request));
    NSL_TRY(audit(tenant, actor, "keys.export", k.key.id));
    return KeyExport{.key_id = k.key.id,
                     .version = k.version,
                     .curve = k.key.curve,
                     .binding = k.binding,
                     .exported = std::move(blob)};
  };
  auto r = run();
  count_operation("export", curve, r.ok() ? Status() : Status(r.error()), start);
  return r;
}

Result<KeyView> KeyService::get(const store::TenantId& tenant, std::string_view id) {
  const auto start = std::chrono::steady_clock::now();
  // The primary (read-only): a key the caller just created or changed must read back as such.
  return measured("get", start, db_.with_tenant_read_primary(tenant, [&](store::Tx& tx) -> Result<KeyView> {
    NSL_TRY_ASSIGN(repo::KeyRow k, repo::get_key(tx, id));
    return view_of(tx, std::move(k));
  }));
}

Result<std::vector<KeyView>> KeyService::list(const store::TenantId& tenant,
                                              const repo::KeyFilter& filter, int limit,
                                              const std::optional<std::string>& after_id) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<std::vector<KeyView>> {
    if (filter.curve) NSL_TRY(curve_of(*filter.curve));
    if (filter.state && *filter.state != repo::kEnabled && *filter.state != repo::kDisabled &&
        *filter.state != repo::kPendingDestruction) {
      return err::invalid_argument("state must be enabled, disabled or pending_destruction");
    }
    if (limit < 1 || limit > 1000) return err::invalid_argument("limit out of range");
    return db_.with_tenant_read_primary(tenant, [&](store::Tx& tx) -> Result<std::vector<KeyView>> {
      NSL_TRY_ASSIGN(std::vector<repo::KeyRow> rows, repo::list_keys(tx, filter, limit, after_id));
      std::vector<KeyView> out;
      out.reserve(rows.size());
      for (auto& r : rows) {
        NSL_TRY_ASSIGN(KeyView v, view_of(tx, std::move(r)));
        out.push_back(std::move(v));
      }
      return out;
    });
  };
  return measured("list", start, run());
}

// ---- state changes ----

template <class F>
auto KeyService::change_key(const store::TenantId& tenant, std::string_view id, F&& fn) {
  auto result = db_.with_tenant(tenant, std::forward<F>(fn));
  forget_for_signing(tenant, id);
  return result;
}

Result<KeyView> KeyService::change_state(const store::TenantId& tenant, std::string_view id,
                                         std::string_view op, const Actor& actor) {
  bool changed = false;
  const std::int64_t now = now_ms();
  NSL_TRY_ASSIGN(KeyView view, change_key(tenant, id, [&](store::Tx& tx) -> Result<KeyView> {
    NSL_TRY_ASSIGN(repo::KeyRow k, repo::get_key(tx, id));
    std::int64_t n = 0;
    if (op == "disable") {
      if (k.state == repo::kDisabled) return view_of(tx, std::move(k));
      if (k.state == repo::kPendingDestruction) {
        return err::failed_precondition(
            "key is pending destruction: enable it to cancel the destruction first");
      }
      NSL_TRY_ASSIGN(n, repo::set_state(tx, id, repo::kDisabled, {repo::kEnabled}, std::nullopt,
                                        now));
    } else {
      if (k.state == repo::kEnabled) return view_of(tx, std::move(k));
      NSL_TRY_ASSIGN(n, repo::set_state(tx, id, repo::kEnabled,
                                        {repo::kDisabled, repo::kPendingDestruction},
                                        std::nullopt, now));
    }
    if (n != 1) return err::conflict("the key changed concurrently; retry");
    changed = true;
    NSL_TRY_ASSIGN(repo::KeyRow after, repo::get_key(tx, id));
    return view_of(tx, std::move(after));
  }));
  if (changed) NSL_TRY(audit(tenant, actor, "keys." + std::string(op), view.key.id));
  return view;
}

Result<KeyView> KeyService::disable(const store::TenantId& tenant, std::string_view id,
                                    const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  return measured("disable", start, change_state(tenant, id, "disable", actor));
}

Result<KeyView> KeyService::enable(const store::TenantId& tenant, std::string_view id,
                                   const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  return measured("enable", start, change_state(tenant, id, "enable", actor));
}

Result<KeyView> KeyService::schedule_destruction(const store::TenantId& tenant,
                                                 std::string_view id,
                                                 std::optional<int> grace_days,
                                                 const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<KeyView> {
    const int days = grace_days.value_or(options_.default_destroy_grace_days);
    if (days < options_.min_destroy_grace_days || days > options_.max_destroy_grace_days) {
      return err::invalid_argument("grace_days must be from " +
                                   std::to_string(options_.min_destroy_grace_days) + " to " +
                                   std::to_string(options_.max_destroy_grace_days));
    }
    const std::int64_t now = now_ms();
    bool changed = false;
    NSL_TRY_ASSIGN(KeyView view, change_key(tenant, id, [&](store::Tx& tx) -> Result<KeyView> {
      NSL_TRY_ASSIGN(repo::KeyRow k, repo::get_key(tx, id));
      if (k.state == repo::kPendingDestruction) return view_of(tx, std::move(k));
      NSL_TRY_ASSIGN(std::int64_t n,
                     repo::set_state(tx, id, repo::kPendingDestruction,
                                     {repo::kEnabled, repo::kDisabled}, now + days * kDayMs, now));
      if (n != 1) return err::conflict("the key changed concurrently; retry");
      changed = true;
      NSL_TRY_ASSIGN(repo::KeyRow after, repo::get_key(tx, id));
      return view_of(tx, std::move(after));
    }));
    if (changed) NSL_TRY(audit(tenant, actor, "keys.destroy.schedule", view.key.id));
    return view;
  };
  return measured("destroy_schedule", start, run());
}

// ---- rotation ----

Result<std::optional<KeyView>> KeyService::rotate_once(const store::TenantId& tenant,
                                                       std::string_view id, std::int64_t fence,
                                                       bool only_if_due, std::int64_t now) {
  NSL_TRY_ASSIGN(repo::KeyRow k,
                 db_.with_tenant(tenant, [&](store::Tx& tx) { return repo::get_key(tx, id); }));
  if (only_if_due && (k.state != repo::kEnabled || k.rotation_days <= 0 || !k.next_rotation_at ||
                      *k.next_rotation_at > now)) {
    return std::optional<KeyView>();
  }
  if (k.state == repo::kPendingDestruction) {
    return err::failed_precondition("key is pending destruction");
  }
  if (k.current_version == UINT32_MAX) return err::failed_precondition("key has no versions left");
  NSL_TRY_ASSIGN(enclave::KeyCurve curve, curve_of(k.curve));
  const std::uint32_t next = k.current_version + 1;
  // The enclave call happens outside any transaction; a rotation that loses the race below leaves
  // its fresh sealed blob unused (it is never stored).
  NSL_TRY_ASSIGN(enclave::SealedKey sk,
                 enclave_.generate_key({.tenant_id = tenant.str(),
                                        .object_id = k.id,
                                        .version = next,
                                        .purpose = "signing"},
                                       curve));
  repo::KeyVersionRow ver{.key_id = k.id,
                          .version = next,
                          .public_key = hex_of(sk.public_key),
                          .sealed = hex_of(sk.sealed),
                          .state = std::string(repo::kVersionActive),
                          .created_at = now};
  std::optional<std::int64_t> next_at;
  if (k.rotation_days > 0) next_at = now + k.rotation_days * kDayMs;
  return change_key(tenant, id, [&](store::Tx& tx) -> Result<std::optional<KeyView>> {
    NSL_TRY_ASSIGN(bool moved,
                   repo::advance_version(tx, id, k.current_version, ver, next_at, fence, now));
    if (!moved) return std::optional<KeyView>();
    NSL_TRY_ASSIGN(repo::KeyRow after, repo::get_key(tx, id));
    NSL_TRY_ASSIGN(KeyView v, view_of(tx, std::move(after)));
    return std::optional<KeyView>(std::move(v));
  });
}

Result<KeyView> KeyService::rotate(const store::TenantId& tenant, std::string_view id,
                                   const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<KeyView> {
    NSL_TRY_ASSIGN(std::optional<KeyView> v, rotate_once(tenant, id, 0, false, now_ms()));
    if (!v) return err::conflict("the key was rotated or changed concurrently; retry");
    NSL_TRY(audit(tenant, actor, "keys.rotate", v->key.id));
    return std::move(*v);
  };
  return measured("rotate", start, run());
}

Result<int> KeyService::rotate_due(std::chrono::system_clock::time_point now_tp) {
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(now_tp.time_since_epoch()).count();
  NSL_TRY_ASSIGN(std::optional<cache::Lock> lock,
                 shared_.acquire_lock(kRotationLock, options_.rotation_lock_ttl));
  if (!lock) return 0;  // another replica is rotating
  int rotated = 0;
  auto run = [&]() -> Status {
    NSL_TRY_ASSIGN(std::vector<store::TenantId> tenants, audit::list_tenants(db_));
    for (const store::TenantId& t : tenants) {
      // Stop well inside the lock's lifetime; the next run continues.
      if (std::chrono::steady_clock::now() - start > options_.rotation_lock_ttl / 2) break;
      NSL_TRY_ASSIGN(std::vector<std::string> ids, db_.with_tenant(t, [&](store::Tx& tx) {
        return repo::due_for_rotation(tx, now, options_.background_batch);
      }));
      for (const std::string& id : ids) {
        const auto one = std::chrono::steady_clock::now();
        auto r = rotate_once(t, id, lock->fencing_token, /*only_if_due=*/true, now);
        if (!r.ok()) {
          count_operation("rotate_due", "", r.error(), one);
          obs::log_warn("scheduled key rotation failed",
                        {{"tenant", t.str()}, {"key", id}, {"error", r.error().message()}});
          continue;
        }
        if (!*r) continue;  // rotated by someone else meanwhile, or no longer due
        count_operation("rotate_due", (*r)->key.curve, Status(), one);
        ++rotated;
        if (Status st = audit(t, system_actor(), "keys.rotate", id); !st.ok()) {
          obs::log_warn("audit of a scheduled key rotation failed",
                        {{"tenant", t.str()}, {"key", id}});
        }
      }
    }
    return {};
  };
  Status st = run();
  (void)shared_.release_lock(*lock);  // expires by itself when the cache is unreachable
  NSL_TRY(st);
  return rotated;
}

// ---- destruction ----

Result<int> KeyService::purge_destroyed(std::chrono::system_clock::time_point now_tp) {
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(now_tp.time_since_epoch()).count();
  NSL_TRY_ASSIGN(std::vector<store::TenantId> tenants, audit::list_tenants(db_));
  int destroyed = 0;
  for (const store::TenantId& t : tenants) {
    NSL_TRY_ASSIGN(std::vector<std::string> ids, db_.with_tenant(t, [&](store::Tx& tx) {
      return repo::due_for_destruction(tx, now, options_.background_batch);
    }));
    for (const std::string& id : ids) {
      const auto start = std::chrono::steady_clock::now();
      std::string curve;
      // Conditional on the key still being due: a replica running the same purge, or an enable
      // that cancelled the destruction meanwhile, makes this a no-op.
      auto done = change_key(t, id, [&](store::Tx& tx) -> Result<bool> {
        NSL_TRY_ASSIGN(auto k, repo::find_key_any_state(tx, id));
        if (k) curve = k->curve;
        return repo::destroy_key(tx, id, now);
      });
      if (!done.ok()) {
        count_operation("destroy", curve, done.error(), start);
        obs::log_warn("key destruction failed",
                      {{"tenant", t.str()}, {"key", id}, {"error", done.error().message()}});
        continue;
      }
      if (!*done) continue;
      count_operation("destroy", curve, Status(), start);
      ++destroyed;
      if (Status st = audit(t, system_actor(), "keys.destroy", id); !st.ok()) {
        obs::log_warn("audit of a key destruction failed", {{"tenant", t.str()}, {"key", id}});
      }
    }
  }
  return destroyed;
}

// ---- policies ----

Result<KeyView> KeyService::write_policy(const store::TenantId& tenant, std::string_view id,
                                         std::optional<std::string> canonical,
                                         const Actor& actor) {
  NSL_TRY_ASSIGN(repo::KeyRow k,
                 db_.with_tenant(tenant, [&](store::Tx& tx) { return repo::get_key(tx, id); }));
  if (!canonical && !k.policy_json) {
    // Nothing to delete: unchanged, not audited.
    return db_.with_tenant(tenant, [&](store::Tx& tx) { return view_of(tx, k); });
  }
  if (k.policy_version == UINT32_MAX) return err::failed_precondition("policy versions exhausted");
  const std::uint32_t next = k.policy_version + 1;
  std::optional<std::string> sealed_hex;
  if (canonical) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(canonical->data());
    NSL_TRY_ASSIGN(enclave::Bytes sealed,
                   enclave_.seal({.tenant_id = tenant.str(),
                                  .object_id = k.id,
                                  .version = next,
                                  .purpose = "policy"},
                                 enclave::ByteView(p, canonical->size()), {}));
    sealed_hex = hex_of(sealed);
  }
  const std::int64_t now = now_ms();
  NSL_TRY_ASSIGN(KeyView view, change_key(tenant, id, [&](store::Tx& tx) -> Result<KeyView> {
    NSL_TRY_ASSIGN(bool ok,
                   repo::set_policy(tx, id, k.policy_version, canonical, sealed_hex, now));
    if (!ok) return err::conflict("the key's policy changed concurrently; retry");
    NSL_TRY_ASSIGN(repo::KeyRow after, repo::get_key(tx, id));
    return view_of(tx, std::move(after));
  }));
  NSL_TRY(audit(tenant, actor, canonical ? "keys.policy.set" : "keys.policy.delete", view.key.id));
  return view;
}

Result<KeyView> KeyService::set_policy(const store::TenantId& tenant, std::string_view id,
                                       std::string_view policy_text, const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<KeyView> {
    NSL_TRY_ASSIGN(std::string canonical, validate_policy_text(policy_text));
    return write_policy(tenant, id, std::move(canonical), actor);
  };
  return measured("policy_set", start, run());
}

Result<KeyView> KeyService::delete_policy(const store::TenantId& tenant, std::string_view id,
                                          const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  return measured("policy_delete", start, write_policy(tenant, id, std::nullopt, actor));
}

// ---- for the signing path ----

SigningKey KeyService::signing_key_in_memory(const store::TenantId& tenant, std::string_view id) {
  SigningCache* c = signing_cache_.get();
  if (c == nullptr) return nullptr;
  const auto start = std::chrono::steady_clock::now();
  const std::string key = SigningCache::key_of(tenant, id);
  const auto now = clock_.steady_now();
  SigningKey out;
  {
    std::lock_guard lk(c->mu);
    auto it = c->entries.find(key);
    if (it == c->entries.end() || it->second.until <= now) return nullptr;  // signing_key counts the miss
    ++c->hits;
    out = it->second.value;
  }
  count_operation("for_signing", out->key.curve, Status(), start);
  return out;
}

Result<SigningKey> KeyService::signing_key(const store::TenantId& tenant, std::string_view id) {
  if (SigningKey hit = signing_key_in_memory(tenant, id)) return hit;
  return load_signing_key(tenant, id);
}

Result<KeyForSigning> KeyService::for_signing(const store::TenantId& tenant, std::string_view id) {
  NSL_TRY_ASSIGN(SigningKey k, signing_key(tenant, id));
  return *k;
}

Result<SigningKey> KeyService::load_signing_key(const store::TenantId& tenant, std::string_view id) {
  const auto start = std::chrono::steady_clock::now();
  SigningCache* c = signing_cache_.get();
  std::string key;
  const auto now = clock_.steady_now();
  std::uint64_t generation = 0;
  if (c != nullptr) {
    key = SigningCache::key_of(tenant, id);
    std::lock_guard lk(c->mu);
    if (auto it = c->entries.find(key); it != c->entries.end() && it->second.until <= now) c->entries.erase(it);
    ++c->misses;
    generation = c->generation;
  }
  Result<KeyForSigning> r = read_for_signing(tenant, id);
  if (options_.after_signing_read) options_.after_signing_read();
  count_operation("for_signing", curve_label(r), r.ok() ? Status() : Status(r.error()), start);
  if (!r.ok()) return std::move(r).error();
  SigningKey out = std::make_shared<const KeyForSigning>(std::move(*r));
  if (c != nullptr) {
    std::lock_guard lk(c->mu);
    if (c->generation == generation) {
      if (c->entries.size() >= options_.signing_cache_max) c->entries.clear();
      c->entries.insert_or_assign(key, SigningCache::Entry{out, now + options_.signing_cache_ttl});
    }
  }
  return out;
}

KeyService::SigningCacheStats KeyService::signing_cache_stats() const {
  if (!signing_cache_) return {};
  std::lock_guard lk(signing_cache_->mu);
  return {signing_cache_->hits, signing_cache_->misses, signing_cache_->entries.size()};
}

void KeyService::forget_for_signing(const store::TenantId& tenant, std::string_view id) {
  if (!signing_cache_) return;
  std::lock_guard lk(signing_cache_->mu);
  ++signing_cache_->generation;
  signing_cache_->entries.erase(SigningCache::key_of(tenant, id));
}

Result<KeyForSigning> KeyService::read_for_signing(const store::TenantId& tenant, std::string_view id) {
  // The primary, not a replica: a key disabled a moment ago must already be refused. A
  // read-only transaction there sees every committed change and does not queue behind writes.
  NSL_TRY_ASSIGN(std::optional<repo::KeyWithCurrent> row,
                 db_.with_tenant_read_primary(tenant, [&](store::Tx& tx) {
                   return repo::get_key_with_current(tx, id);
                 }));
  if (!row || row->key.state == repo::kDestroyed) return err::not_found("key not found");
  if (row->key.state == repo::kDisabled) return err::failed_precondition("key is disabled");
  if (row->key.state == repo::kPendingDestruction)
    return err::failed_precondition("key is pending destruction");
  if (!row->current.sealed || row->current.state != repo::kVersionActive)
    return err::internal("the key's current version is not usable");
  KeyForSigning out;
  NSL_TRY_ASSIGN(out.curve, curve_of(row->key.curve));
  out.version = row->current.version;
  NSL_TRY_ASSIGN(out.public_key, bytes_of(row->current.public_key, "public key"));
  NSL_TRY_ASSIGN(out.sealed, bytes_of(*row->current.sealed, "sealed key"));
  out.binding = {.tenant_id = tenant.str(),
                 .object_id = row->key.id,
                 .version = out.version,
                 .purpose = "signing"};
  if (row->key.policy_sealed) {
    NSL_TRY_ASSIGN(out.policy_sealed, bytes_of(*row->key.policy_sealed, "sealed policy"));
  }
  out.policy_version = row->key.policy_version;
  if (out.curve == enclave::KeyCurve::secp256r1) {
    // The enclave derives its own account from the sealed key.
    NSL_TRY_ASSIGN(StoredNeoAccount a, neo_account_of(out.public_key));
    out.neo_verification = std::move(a.script);
    out.neo_account = a.hash;
    out.neo_address = std::move(a.address);
  }
  out.key = std::move(row->key);
  return out;
}

Result<std::vector<AssetAmount>> KeyService::spent_24h(const store::TenantId& tenant,
                                                       std::string_view id,
                                                       std::chrono::system_clock::time_point now) {
  const std::int64_t now_ms_v =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  NSL_TRY_ASSIGN(std::vector<repo::SpendRow> rows,
                 db_.with_tenant_read_primary(tenant, [&](store::Tx& tx) -> Result<std::vector<repo::SpendRow>> {
                   NSL_TRY(repo::get_key(tx, id));
                   return repo::spends_since(tx, id, now_ms_v - kDayMs);
                 }));
  std::map<std::string, evm::U256> sums;
  for (const auto& r : rows) {
    auto v = evm::U256::from_decimal(r.amount);
    if (!v.ok()) return err::internal("malformed amount in the spend ledger");
    auto& s = sums[r.asset];
    s = add_saturating(s, *v);
  }
  std::vector<AssetAmount> out;
  out.reserve(sums.size());
  for (const auto& [asset, sum] : sums) out.push_back({asset, sum.to_decimal()});
  return out;
}

Status KeyService::record_spends(const store::TenantId& tenant, std::string_view id,
                                 const std::vector<AssetAmount>& moves,
                                 std::chrono::system_clock::time_point at) {
  std::vector<repo::SpendRow> rows;
  for (const auto& m : moves) {
    if (!valid_asset(m.asset))
      return err::invalid_argument("asset must be 1..128 printable ASCII characters");
    auto v = evm::U256::from_decimal(m.amount);
    if (!v.ok()) {
      return err::invalid_argument("amount of " + m.asset +
                                   " must be a decimal integer below 2^256");
    }
    if (v->is_zero()) continue;
    rows.push_back({m.asset, v->to_decimal()});
  }
  const std::int64_t at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  return db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY(repo::get_key(tx, id));
    for (const auto& r : rows) NSL_TRY(repo::insert_spend(tx, id, r, at_ms));
    return {};
  });
}

Result<std::int64_t> KeyService::prune_spends(std::chrono::system_clock::time_point now) {
  const std::int64_t cutoff =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() -
      kDayMs;
  NSL_TRY_ASSIGN(std::vector<store::TenantId> tenants, audit::list_tenants(db_));
  std::int64_t n = 0;
  for (const store::TenantId& t : tenants) {
    NSL_TRY_ASSIGN(std::int64_t d, db_.with_tenant(t, [&](store::Tx& tx) {
      return repo::delete_spends_before(tx, cutoff);
    }));
    n += d;
  }
  return n;
}

}  // namespace nsl::keys
