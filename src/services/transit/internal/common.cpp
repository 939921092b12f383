// Helpers shared by the transit service's translation units (internal/common.hpp).
#include "services/transit/internal/common.hpp"

#include "obs/log.hpp"

namespace nsl::transit::internal {
namespace {
constexpr std::string_view kObjectPrefix = "transit:";
constexpr std::string_view kPurpose = "data-key";
}  // namespace

enclave::Binding binding(const store::TenantId& tenant, std::string_view name,
                         std::uint32_t version) {
  return {.tenant_id = tenant.str(),
          .object_id = std::string(kObjectPrefix) + std::string(name),
          .version = version,
          .purpose = std::string(kPurpose)};
}

const Actor& system_actor() {
  static const Actor a{.subject = "system", .request_id = ""};
  return a;
}

Error ciphertext_error(const Error& e) {
  if (e.code() != ErrorCode::permission_denied && e.code() != ErrorCode::invalid_argument) return e;
  return err::invalid_argument("ciphertext does not decrypt under this key");
}

Error key_error(const Error& e, const store::TenantId& tenant, std::string_view name,
                std::uint32_t version) {
  if (e.code() != ErrorCode::permission_denied && e.code() != ErrorCode::invalid_argument) return e;
  obs::log_error(
      "transit key version does not open in the enclave",
      {{"tenant", tenant.str()}, {"key", name}, {"version", version}, {"error", e.message()}});
  return err::internal(
      "the transit key version does not open in the enclave (data integrity error)");
}

TransitKey key_of(const repo::KeyRow& k) {
  return {.name = k.name,
          .type = k.type,
          .latest_version = k.latest_version,
          .min_decryption_version = k.min_decryption_version,
          .min_encryption_version = k.min_encryption_version,
          .deletion_allowed = k.deletion_allowed,
          .rotation_days = k.rotation_days,
          .next_rotation_at = k.next_rotation_at,
          .created_at = k.created_at,
          .updated_at = k.updated_at,
          .versions = {}};
}

}  // namespace nsl::transit::internal
