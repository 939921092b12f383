// nsl/services/audit/checkpoint.hpp — who signs and who checks audit checkpoints.
//
// A checkpoint row (audit_checkpoints) commits to a tenant's chain head: (seq, hash, created_at)
// signed over checkpoint_message() (record.hpp). Whoever can rewrite the database cannot forge a
// checkpoint without the signing key, so a rewritten chain suffix is caught by verify_tenant().
// Production signs inside the enclave (the key never leaves it); the Ed25519 classes here hold
// the key in process and are meant for tests, tools and single-node deployments.
//
//   auto kp = crypto::ed25519_generate();
//   Ed25519CheckpointVerifier verifier;
//   verifier.add_key("audit-1", kp.public_key);
//   Ed25519CheckpointSigner signer("audit-1", std::move(kp));
//
// Thread-safety: sign() is called from the AuditLog writer thread and from checkpoint() callers
// concurrently; implementations must be thread-safe. The Ed25519 classes are (immutable after
// construction; add_key() must not race with verify()).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/bytes.hpp"
#include "crypto/ed25519.hpp"

namespace nsl::audit {

class CheckpointSigner {
 public:
  virtual ~CheckpointSigner() = default;
  virtual std::string key_id() const = 0;
  virtual std::string alg() const = 0;  // e.g. "Ed25519"
  virtual Result<std::vector<std::uint8_t>> sign(crypto::ByteSpan message) = 0;
};

class CheckpointVerifier {
 public:
  virtual ~CheckpointVerifier() = default;
  // False for an unknown key id or alg as well as for a bad signature.
  virtual bool verify(std::string_view key_id, std::string_view alg, crypto::ByteSpan message,
                      crypto::ByteSpan signature) const = 0;
};

inline constexpr std::string_view kEd25519Alg = "Ed25519";

class Ed25519CheckpointSigner final : public CheckpointSigner {
 public:
  Ed25519CheckpointSigner(std::string key_id, crypto::Ed25519KeyPair key)
      : key_id_(std::move(key_id)), key_(std::move(key)) {}
  std::string key_id() const override { return key_id_; }
  std::string alg() const override { return std::string(kEd25519Alg); }
  Result<std::vector<std::uint8_t>> sign(crypto::ByteSpan message) override;

 private:
  std::string key_id_;
  crypto::Ed25519KeyPair key_;
};

class Ed25519CheckpointVerifier final : public CheckpointVerifier {
 public:
  void add_key(std::string key_id, const crypto::Ed25519PublicKey& public_key) {
    keys_[std::move(key_id)] = public_key;
  }
  bool verify(std::string_view key_id, std::string_view alg, crypto::ByteSpan message,
              crypto::ByteSpan signature) const override;

 private:
  std::map<std::string, crypto::Ed25519PublicKey, std::less<>> keys_;
};

}  // namespace nsl::audit
