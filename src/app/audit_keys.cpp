#include "app/audit_keys.hpp"

#include <algorithm>

#include "core/strings.hpp"
#include "obs/log.hpp"

namespace nsl::app {
namespace {

constexpr std::string_view kKeyId = "audit-ed25519-1";
constexpr std::string_view kPurpose = "audit";

enclave::Binding audit_binding() {
  return {.tenant_id = "system",
          .object_id = std::string(kKeyId),
          .version = 1,
          .purpose = "audit-checkpoint"};
}

class EnclaveCheckpointSigner final : public audit::CheckpointSigner {
 public:
  EnclaveCheckpointSigner(enclave::Enclave& e, enclave::Bytes sealed)
      : enclave_(e), sealed_(std::move(sealed)) {}
  std::string key_id() const override { return std::string(kKeyId); }
  std::string alg() const override { return std::string(audit::kEd25519Alg); }
  Result<std::vector<std::uint8_t>> sign(crypto::ByteSpan message) override {
    NSL_TRY_ASSIGN(enclave::Signature sig,
                   enclave_.sign(audit_binding(), enclave::ByteView(sealed_.data(), sealed_.size()),
                                 enclave::SignPayload::of_message(
                                     enclave::ByteView(message.data(), message.size()))));
    return std::vector<std::uint8_t>(sig.begin(), sig.end());
  }

 private:
  enclave::Enclave& enclave_;
  enclave::Bytes sealed_;
};

Result<store::Rows> stored(store::Database& db) {
  return db.with_system([](store::Tx& tx) {
    return tx.query(
        "SELECT id, public_key, sealed_private FROM system_keys WHERE purpose = $1 ORDER BY id",
        {kPurpose});
  });
}

}  // namespace

Result<std::unique_ptr<audit::CheckpointSigner>> open_audit_signer(store::Database& db,
                                                                   enclave::Enclave& enclave) {
  NSL_TRY_ASSIGN(store::Rows rows, stored(db));
  auto mine =
      std::find_if(rows.begin(), rows.end(), [](const store::Row& r) { return r[0] == kKeyId; });
  if (mine == rows.end()) {
    NSL_TRY_ASSIGN(enclave::SealedKey k,
                   enclave.generate_key(audit_binding(), enclave::KeyCurve::ed25519));
    Status st = db.with_system([&](store::Tx& tx) -> Status {
      NSL_TRY(
          tx.exec("INSERT INTO system_keys (id, purpose, alg, public_key, sealed_private, "
                  "created_at, retire_at, "
                  "expire_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6) ON CONFLICT (id) DO NOTHING",
                  {kKeyId, kPurpose, std::string(audit::kEd25519Alg), to_hex(k.public_key),
                   to_hex(k.sealed), std::int64_t{INT64_MAX}}));
      return {};
    });
    NSL_TRY(st);
    obs::log_info("audit checkpoint key ready", {{"key_id", std::string(kKeyId)}});
    NSL_TRY_ASSIGN(rows, stored(db));  // a concurrent replica may have won: use the stored key
    mine =
        std::find_if(rows.begin(), rows.end(), [](const store::Row& r) { return r[0] == kKeyId; });
    if (mine == rows.end()) return err::internal("audit key vanished after insert");
  }
  auto sealed = from_hex((*mine)[2].value_or(""));
  if (!sealed) return err::data_loss("the stored audit key is malformed");
  return std::unique_ptr<audit::CheckpointSigner>(
      std::make_unique<EnclaveCheckpointSigner>(enclave, std::move(*sealed)));
}

Result<std::unique_ptr<audit::CheckpointVerifier>> stored_audit_verifier(store::Database& db) {
  NSL_TRY_ASSIGN(store::Rows rows, stored(db));
  auto v = std::make_unique<audit::Ed25519CheckpointVerifier>();
  for (const auto& r : rows) {
    auto pub = from_hex(r[1].value_or(""));
    if (!pub || pub->size() != 32) return err::data_loss("a stored audit public key is malformed");
    crypto::Ed25519PublicKey pk{};
    std::copy(pub->begin(), pub->end(), pk.begin());
    v->add_key(r[0].value_or(""), pk);
  }
  return std::unique_ptr<audit::CheckpointVerifier>(std::move(v));
}

std::string LazyAuditSigner::alg() const { return std::string(audit::kEd25519Alg); }

Status LazyAuditSigner::open() {
  {
    std::lock_guard lk(mu_);
    if (inner_) return {};
  }
  NSL_TRY_ASSIGN(auto opened, open_audit_signer(db_, enclave_));
  std::lock_guard lk(mu_);
  if (!inner_) inner_ = std::move(opened);
  return {};
}

Result<std::vector<std::uint8_t>> LazyAuditSigner::sign(crypto::ByteSpan message) {
  std::lock_guard lk(mu_);
  if (!inner_) return err::unavailable("the audit checkpoint key is not open yet");
  return inner_->sign(message);
}

}  // namespace nsl::app
