#include "services/identity/users.hpp"

#include <nlohmann/json.hpp>

#include "auth/totp.hpp"
#include "core/strings.hpp"
#include "enclave/enclave.hpp"
#include "obs/log.hpp"
#include "services/audit/audit_log.hpp"

namespace nsl::identity {
namespace {

enclave::Binding totp_binding(const store::TenantId& tenant, std::string_view user_id) {
  return {.tenant_id = tenant.str(),
          .object_id = "user:" + std::string(user_id),
          .version = 1,
          .purpose = "totp"};
}

enclave::ByteView bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

User public_user(const repo::UserRow& u) {
  return {.id = u.id,
          .email = u.email,
          .disabled = u.disabled,
          .totp_enabled = u.totp_enabled(),
          .created_at = u.created_at};
}

std::optional<auth::RoleBinding> binding_of(const repo::RoleBindingRow& r) {
  return auth::binding_from_string(r.resource.empty() ? r.role : r.role + "@" + r.resource);
}

}  // namespace

Result<std::string> normalize_email(std::string_view email) {
  const auto bad = [] {
    return err::invalid_argument("email must be 3..254 characters with one '@' and no spaces");
  };
  if (email.size() < 3 || email.size() > 254) return bad();
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == email.size() ||
      email.find('@', at + 1) != std::string_view::npos) {
    return bad();
  }
  for (unsigned char c : email) {
    if (c <= 0x20 || c == 0x7f || c == ':') return bad();
  }
  return ascii_lower(email);
}

UserService::UserService(store::Database& db, audit::AuditLog* audit, const Clock& clock,
                         enclave::Enclave& enclave, UserOptions opts)
    : db_(db), audit_(audit), clock_(clock), enclave_(enclave), opts_(std::move(opts)) {}

std::int64_t UserService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             clock_.system_now().time_since_epoch())
      .count();
}

Status UserService::audit(const store::TenantId& tenant, const Actor& actor, std::string action,
                          std::string resource, std::string result) {
  return audit_change(audit_, tenant, actor, std::move(action), std::move(resource),
                      std::move(result));
}

Result<CreatedUser> UserService::create_user(const store::TenantId& tenant,
                                             const NewUserRequest& req,
                                             const auth::Principal* caller, const Actor& actor) {
  NSL_TRY_ASSIGN(std::string email, normalize_email(req.email));
  if (req.password.size() < 12 || req.password.size() > crypto::kPasswordMaxBytes) {
    return err::invalid_argument("password must be 12..1024 bytes");
  }
  if (req.roles.size() > 16) return err::invalid_argument("at most 16 roles per user");
  if (caller != nullptr) {
    for (const auto& b : req.roles) {
      if (!IdentityService::may_grant(*caller, b)) {
        return err::permission_denied("you cannot grant the role \"" +
                                      std::string(auth::role_name(b.role)) +
                                      "\": it carries permissions you do not hold");
      }
    }
  }
  NSL_TRY_ASSIGN(std::string phc, crypto::password_hash(req.password, opts_.password_params));
  const std::int64_t now = now_ms();
  repo::UserRow row{
      .id = repo::new_id("usr"), .email = email, .password_hash = phc, .created_at = now};
  CreatedUser out{.user = public_user(row)};
  for (const auto& b : req.roles) {
    out.bindings.push_back({.id = repo::new_id("rb"),
                            .principal = "user:" + row.id,
                            .role = std::string(auth::role_name(b.role)),
                            .resource = b.resource.value_or(""),
                            .created_at = now});
  }
  Status st = db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY_ASSIGN(auto existing, repo::find_user_by_email(tx, email));
    if (existing) return err::conflict("a user with this email already exists");
    NSL_TRY(repo::insert_user(tx, row));
    for (const auto& b : out.bindings) NSL_TRY(repo::insert_role_binding(tx, b));
    return {};
  });
  NSL_TRY(st);
  NSL_TRY(audit(tenant, actor, "user.create", "user:" + row.id, "ok"));
  return out;
}

Result<User> UserService::get_user(const store::TenantId& tenant, std::string_view id) {
  NSL_TRY_ASSIGN(repo::UserRow u,
                 db_.with_tenant(tenant, [&](store::Tx& tx) { return repo::get_user(tx, id); }));
  return public_user(u);
}

Result<std::vector<User>> UserService::list_users(const store::TenantId& tenant, int limit,
                                                  std::optional<std::string> after_id) {
  NSL_TRY_ASSIGN(auto rows, db_.with_tenant(tenant, [&](store::Tx& tx) {
    return repo::list_users(tx, limit, after_id);
  }));
  std::vector<User> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(public_user(r));
  return out;
}

Result<User> UserService::disable_user(const store::TenantId& tenant, std::string_view id,
                                       const auth::Principal* caller, const Actor& actor) {
  bool changed = false;
  auto row = db_.with_tenant(tenant, [&](store::Tx& tx) -> Result<repo::UserRow> {
    NSL_TRY_ASSIGN(repo::UserRow u, repo::get_user(tx, id));
    if (u.disabled) return u;
    if (caller != nullptr) {
      // Like revoking an API key: only someone who could have granted every role of the user.
      NSL_TRY_ASSIGN(auto bindings, repo::role_bindings_of(tx, "user:" + u.id));
      for (const auto& r : bindings) {
        auto b = binding_of(r);
        if (b && !IdentityService::may_grant(*caller, *b)) {
          return err::permission_denied("you cannot disable a user holding the role \"" + r.role +
                                        "\": it carries permissions you do not hold");
        }
      }
    }
    NSL_TRY(repo::set_user_disabled(tx, u.id));
    NSL_TRY(repo::revoke_refresh_of_user(tx, u.id, now_ms()));
    u.disabled = true;
    changed = true;
    return u;
  });
  if (!row.ok()) return std::move(row).error();
  if (changed) NSL_TRY(audit(tenant, actor, "user.disable", "user:" + row->id, "ok"));
  return public_user(*row);
}

Result<TotpEnrolment> UserService::begin_totp(const store::TenantId& tenant,
                                              std::string_view user_id, const Actor& actor) {
  NSL_TRY_ASSIGN(repo::UserRow u, db_.with_tenant(tenant, [&](store::Tx& tx) {
    return repo::get_user(tx, user_id);
  }));
  if (u.disabled) return err::failed_precondition("the user is disabled");
  if (u.totp_enabled()) return err::failed_precondition("TOTP is already enabled for this user");
  // The base32 text is what gets sealed: this module never reads key bytes (SecretAccess rule).
  auth::TotpSecret s = auth::totp_generate_secret();
  NSL_TRY_ASSIGN(SecretString uri, auth::totp_uri(opts_.totp_issuer, u.email, s.base32));
  NSL_TRY_ASSIGN(enclave::Bytes sealed,
                 enclave_.seal(totp_binding(tenant, u.id), bytes_of(s.base32.reveal()), {}));
  const std::string stored = std::string(repo::kTotpPendingMark) + to_hex(sealed);
  NSL_TRY(db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY_ASSIGN(repo::UserRow again, repo::get_user(tx, u.id));
    if (again.totp_enabled()) return err::conflict("TOTP was enabled concurrently");
    return repo::set_totp(tx, u.id, stored, 0);
  }));
  NSL_TRY(audit(tenant, actor, "user.totp.begin", "user:" + u.id, "ok"));
  return TotpEnrolment{.otpauth_uri = std::move(uri), .secret = std::move(s.base32)};
}

Status UserService::confirm_totp(const store::TenantId& tenant, std::string_view user_id,
                                 std::string_view code, const Actor& actor) {
  auto got = db_.with_tenant(tenant, [&](store::Tx& tx) { return repo::get_user(tx, user_id); });
  if (!got.ok()) return std::move(got).error();
  const repo::UserRow& u = *got;
  if (!u.totp_sealed.starts_with(repo::kTotpPendingMark)) {
    return err::failed_precondition("no TOTP enrolment is pending for this user");
  }
  const std::string hex = u.totp_sealed.substr(repo::kTotpPendingMark.size());
  auto sealed = from_hex(hex);
  if (!sealed) return err::internal("malformed sealed TOTP secret");
  NSL_TRY_ASSIGN(SecretString base32, enclave_.unseal(totp_binding(tenant, u.id), *sealed, {}));
  NSL_TRY_ASSIGN(SecretBytes key, auth::totp_secret_from_base32(base32));
  auto step = auth::totp_verify(key, code, now_ms() / 1000);
  if (!step.ok()) {
    if (step.error().code() == ErrorCode::unauthenticated)
      return err::invalid_argument("the TOTP code does not match");
    return std::move(step).error();
  }
  NSL_TRY(db_.with_tenant(tenant, [&](store::Tx& tx) -> Status {
    NSL_TRY_ASSIGN(repo::UserRow again, repo::get_user(tx, u.id));
    if (again.totp_sealed != u.totp_sealed) return err::conflict("the enrolment changed; retry");
    return repo::set_totp(tx, u.id, hex, static_cast<std::int64_t>(*step));
  }));
  return audit(tenant, actor, "user.totp.confirm", "user:" + u.id, "ok");
}

}  // namespace nsl::identity
