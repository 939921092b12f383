// UserService: login (password, lockout, TOTP) and refresh tokens. See users.hpp.
#include <string.h>

#include <algorithm>
#include <array>

#include "auth/api_key.hpp"
#include "auth/totp.hpp"
#include "core/base64.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"
#include "enclave/enclave.hpp"
#include "services/audit/verify.hpp"
#include "services/identity/users.hpp"

namespace nsl::identity {
namespace {

constexpr std::string_view kRefreshStart = "nslr_";
constexpr std::size_t kTenantChars = 36;  // UUID text
constexpr std::size_t kRowIdChars = 23;   // "rt_" + 20 hex
constexpr std::size_t kSecretBytes = 32;  // 43 base64url characters
constexpr std::size_t kRefreshLength = 5 + kTenantChars + 1 + kRowIdChars + 1 + 43;

const Error& bad_credentials() {
  static const Error e = err::unauthenticated("invalid credentials");
  return e;
}
const Error& bad_refresh() {
  static const Error e = err::unauthenticated("invalid refresh token");
  return e;
}

struct ParsedRefresh {
  store::TenantId tenant;
  std::string id;
};

std::optional<ParsedRefresh> parse_refresh(std::string_view t) {
  if (t.size() != kRefreshLength || !t.starts_with(kRefreshStart)) return std::nullopt;
  const std::size_t sep1 = kRefreshStart.size() + kTenantChars;
  const std::size_t sep2 = sep1 + 1 + kRowIdChars;
  if (t[sep1] != '_' || t[sep2] != '_') return std::nullopt;
  auto tenant = store::TenantId::parse(t.substr(kRefreshStart.size(), kTenantChars));
  if (!tenant.ok()) return std::nullopt;
  std::string_view id = t.substr(sep1 + 1, kRowIdChars);
  if (!id.starts_with("rt_")) return std::nullopt;
  for (char c : id.substr(3)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return ParsedRefresh{*tenant, std::string(id)};
}

Result<auth::Principal> principal_of(store::Tx& tx, const store::TenantId& tenant,
                                     std::string_view user_id) {
  auth::Principal p{.tenant = tenant, .subject = "user:" + std::string(user_id)};
  NSL_TRY_ASSIGN(auto rows, repo::role_bindings_of(tx, p.subject));
  for (const auto& r : rows) {
    auto b = auth::binding_from_string(r.resource.empty() ? r.role : r.role + "@" + r.resource);
    if (b) p.bindings.push_back(std::move(*b));  // a role this binary does not know grants nothing
  }
  return p;
}

// The tenant named by id or by name; nullopt when there is none.
Result<std::optional<store::TenantId>> resolve_tenant(store::Database& db, std::string_view t) {
  if (auto id = store::TenantId::parse(t); id.ok()) {
    auto row = db.with_system([&](store::Tx& tx) { return repo::get_tenant(tx, *id); });
    if (row.ok()) return std::optional<store::TenantId>(row->id);
    if (row.error().code() == ErrorCode::not_found) return std::optional<store::TenantId>();
    return std::move(row).error();
  }
  NSL_TRY_ASSIGN(auto row,
                 db.with_system([&](store::Tx& tx) { return repo::find_tenant_by_name(tx, t); }));
  if (!row) return std::optional<store::TenantId>();
  return std::optional<store::TenantId>(row->id);
}

}  // namespace

Status UserService::login_failure(const store::TenantId& tenant, const repo::UserRow& u,
                                  bool counts) {
  if (!counts) return {};
  return db_.with_tenant(tenant, [&](store::Tx& tx) {
    return repo::record_login_failure(tx, u.id, opts_.max_failures,
                                      now_ms() + opts_.lockout.count() * 1000);
  });
}

Result<auth::Principal> UserService::login(const LoginRequest& req) {
  NSL_TRY_ASSIGN(std::optional<store::TenantId> tenant, resolve_tenant(db_, req.tenant));
  auto email = normalize_email(req.email);
  const bool password_shape_ok =
      !req.password.empty() && req.password.size() <= crypto::kPasswordMaxBytes;
  if (!tenant || !email.ok() || !password_shape_ok) {
    crypto::password_dummy_verify(opts_.password_params);
    return bad_credentials();
  }
  Actor actor{.subject = "anonymous", .request_id = req.request_id};
  NSL_TRY_ASSIGN(std::optional<repo::UserRow> found, db_.with_tenant(*tenant, [&](store::Tx& tx) {
    return repo::find_user_by_email(tx, *email);
  }));
  if (!found) {
    crypto::password_dummy_verify(opts_.password_params);
    NSL_TRY(audit(*tenant, actor, "auth.login", "user:unknown", "unauthenticated"));
    return bad_credentials();
  }
  const repo::UserRow& u = *found;
  const std::string resource = "user:" + u.id;
  // Always verified, so the answer takes the same time whatever the account's state.
  const bool password_ok = crypto::password_verify(u.password_hash, req.password);
  const std::int64_t now = now_ms();
  auto fail = [&](bool counts) -> Result<auth::Principal> {
    NSL_TRY(login_failure(*tenant, u, counts));
    NSL_TRY(audit(*tenant, actor, "auth.login", resource, "unauthenticated"));
    return bad_credentials();
  };
  // Locked: refused alike whether or not the password was right (no oracle during the lock).
  if (u.locked_until > now) return fail(false);
  if (!password_ok || u.disabled) return fail(!u.disabled);

  std::optional<std::int64_t> totp_step;
  if (u.totp_enabled()) {
    if (!req.totp || req.totp->empty()) {
      NSL_TRY(audit(*tenant, actor, "auth.login", resource, "unauthenticated"));
      return err::unauthenticated("a TOTP code is required");
    }
    auto sealed = from_hex(u.totp_sealed);
    if (!sealed) return err::internal("malformed sealed TOTP secret");
    const enclave::Binding b{
        .tenant_id = tenant->str(), .object_id = resource, .version = 1, .purpose = "totp"};
    NSL_TRY_ASSIGN(SecretString base32, enclave_.unseal(b, *sealed, {}));
    NSL_TRY_ASSIGN(SecretBytes key, auth::totp_secret_from_base32(base32));
    auto step = auth::totp_verify(key, *req.totp, now / 1000, {}, 1,
                                  static_cast<std::uint64_t>(u.totp_last_step));
    if (!step.ok()) {
      if (step.error().code() != ErrorCode::unauthenticated) return std::move(step).error();
      return fail(true);
    }
    totp_step = static_cast<std::int64_t>(*step);
  }

  bool replayed = false;
  auto principal =
      db_.with_tenant(*tenant, [&](store::Tx& tx) -> Result<std::optional<auth::Principal>> {
        if (totp_step) {
          // Conditional on the stored step: two logins racing with one code cannot both pass.
          NSL_TRY_ASSIGN(bool fresh, repo::advance_totp_step(tx, u.id, *totp_step));
          if (!fresh) {
            replayed = true;
            return std::optional<auth::Principal>();
          }
        }
        if (u.failed_logins != 0) NSL_TRY(repo::clear_login_failures(tx, u.id));
        NSL_TRY_ASSIGN(auth::Principal p, principal_of(tx, *tenant, u.id));
        return std::optional<auth::Principal>(std::move(p));
      });
  if (!principal.ok()) return std::move(principal).error();
  if (replayed) return fail(true);
  if (crypto::password_needs_rehash(u.password_hash, opts_.password_params)) {
    // Best effort: the login stands even when the new hash cannot be stored this time.
    if (auto phc = crypto::password_hash(req.password, opts_.password_params); phc.ok()) {
      (void)db_.with_tenant(*tenant,
                            [&](store::Tx& tx) { return repo::set_password_hash(tx, u.id, *phc); });
    }
  }
  actor.subject = resource;
  NSL_TRY(audit(*tenant, actor, "auth.login", resource, "ok"));
  return std::move(**principal);
}

Result<IssuedRefresh> UserService::new_refresh(store::Tx& tx, std::string_view user_id,
                                               std::string family_id, std::int64_t family_expires_at) {
  std::array<std::uint8_t, kSecretBytes> secret{};
  random_bytes(secret);
  repo::RefreshTokenRow row{.id = repo::new_id("rt"),
                            .family_id = std::move(family_id),
                            .user_id = std::string(user_id),
                            .created_at = now_ms()};
  row.family_expires_at = family_expires_at;
  row.expires_at = std::min(row.created_at + opts_.refresh_ttl.count() * 1000, family_expires_at);
  std::string token = std::string(kRefreshStart) + tx.tenant()->str() + "_" + row.id + "_" +
                      base64url_encode(secret);
  explicit_bzero(secret.data(), secret.size());
  row.hash = auth::api_key_hash(token);  // SHA-256 hex of the whole token
  NSL_TRY(repo::insert_refresh_token(tx, row));
  return IssuedRefresh{
      .token = SecretString::take(token), .family_id = row.family_id, .expires_at = row.expires_at};
}

Result<IssuedRefresh> UserService::issue_refresh(const auth::Principal& user) {
  if (!user.subject.starts_with("user:"))
    return err::invalid_argument("refresh tokens are for users only");
  const std::string user_id = user.subject.substr(5);
  return db_.with_tenant(user.tenant, [&](store::Tx& tx) -> Result<IssuedRefresh> {
    NSL_TRY(repo::get_user(tx, user_id));
    return new_refresh(tx, user_id, repo::new_id("rf"), now_ms() + opts_.refresh_family_ttl.count() * 1000);
  });
}

Result<RotatedRefresh> UserService::rotate_refresh(std::string_view presented, const Actor& actor) {
  auto parsed = parse_refresh(presented);
  if (!parsed) return bad_refresh();
  enum class Outcome { ok, invalid, reuse, disabled };
  Outcome outcome = Outcome::invalid;
  std::string family, user_id;
  const std::int64_t now = now_ms();
  using Maybe = std::optional<RotatedRefresh>;
  auto rotated = db_.with_tenant(parsed->tenant, [&](store::Tx& tx) -> Result<Maybe> {
    outcome = Outcome::invalid;
    NSL_TRY_ASSIGN(auto row, repo::find_refresh_token(tx, parsed->id));
    if (!row || !auth::api_key_matches(row->hash, presented)) return Maybe();
    if (row->revoked_at || row->expires_at <= now || row->family_expires_at <= now) return Maybe();
    family = row->family_id;
    user_id = row->user_id;
    // Spent already (or spent concurrently right now): whoever holds it, the family is burnt.
    NSL_TRY_ASSIGN(bool first_use, repo::mark_refresh_used(tx, row->id, now));
    if (row->used_at || !first_use) {
      outcome = Outcome::reuse;
      NSL_TRY(repo::revoke_refresh_family(tx, family, now));
      return Maybe();
    }
    auto user = repo::get_user(tx, user_id);
    if (!user.ok() && user.error().code() != ErrorCode::not_found) return std::move(user).error();
    if (!user.ok() || user->disabled) {
      outcome = Outcome::disabled;
      NSL_TRY(repo::revoke_refresh_family(tx, family, now));
      return Maybe();
    }
    NSL_TRY_ASSIGN(auth::Principal p, principal_of(tx, parsed->tenant, user_id));
    NSL_TRY_ASSIGN(IssuedRefresh next, new_refresh(tx, user_id, family, row->family_expires_at));
    outcome = Outcome::ok;
    return Maybe(RotatedRefresh{.principal = std::move(p), .refresh = std::move(next)});
  });
  if (!rotated.ok()) return std::move(rotated).error();
  if (outcome == Outcome::invalid) return bad_refresh();
  Actor a = actor;
  a.subject = "user:" + user_id;
  const std::string resource = "refresh_family:" + family;
  if (outcome != Outcome::ok) {
    NSL_TRY(audit(parsed->tenant, a,
                  outcome == Outcome::reuse ? "auth.refresh.reuse" : "auth.refresh", resource,
                  "unauthenticated"));
    return bad_refresh();
  }
  NSL_TRY(audit(parsed->tenant, a, "auth.refresh", resource, "ok"));
  return std::move(**rotated);
}

Status UserService::revoke_refresh(std::string_view presented, const Actor& actor) {
  auto parsed = parse_refresh(presented);
  if (!parsed) return {};
  std::string family, user_id;
  NSL_TRY(db_.with_tenant(parsed->tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY_ASSIGN(auto row, repo::find_refresh_token(tx, parsed->id));
    if (!row || !auth::api_key_matches(row->hash, presented) || row->revoked_at) return {};
    family = row->family_id;
    user_id = row->user_id;
    return repo::revoke_refresh_family(tx, family, now_ms());
  }));
  if (family.empty()) return {};
  Actor a = actor;
  a.subject = "user:" + user_id;
  return audit(parsed->tenant, a, "auth.refresh.revoke", "refresh_family:" + family, "ok");
}

Result<std::int64_t> UserService::purge_expired_refresh() {
  NSL_TRY_ASSIGN(std::vector<store::TenantId> tenants, audit::list_tenants(db_));
  std::int64_t purged = 0;
  const std::int64_t now = now_ms();
  for (const store::TenantId& t : tenants) {
    NSL_TRY_ASSIGN(std::int64_t n,
                   db_.with_tenant(t, [&](store::Tx& tx) { return repo::purge_refresh_families(tx, now); }));
    purged += n;
  }
  return purged;
}

}  // namespace nsl::identity
