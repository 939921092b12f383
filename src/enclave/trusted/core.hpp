// nsl/enclave/trusted/core.hpp — the enclave operations, in process: what nsl-enclave's server runs
// for each request, and what the enclave's own tests call directly.
//
// TrustedCore implements enclave::Enclave (enclave/enclave.hpp) on one backend (sim, gramine-sgx,
// tdx, snp; platform.hpp). open() loads the platform root, works out the identity values, derives
// the sealing key (sealing.hpp) and makes a fresh X25519 transport key pair (a new one at every
// start: imports wrapped for an earlier start are refused, so a leaked transport key is worth
// nothing after a restart).
//
// Limits: signing digests exactly 32 bytes (ECDSA), messages up to 64 KiB (Ed25519); secrets and
// their aad up to 64 KiB each; attest: user subject up to 1024 bytes, nonce up to 64 bytes, and an
// empty subject for AttestPurpose::transport_key (the enclave attests its own transport key).
//
// Typed signing (sign_typed): payload at most 128 KiB. Curves: neo_tx and neo_message need secp256r1 (N3
// wallets sign messages with their account key); eip191, eip712 and evm_tx need secp256k1; raw_digest
// takes either ECDSA curve; ed25519 keys sign nothing typed (they sign messages with sign(), and their
// raw-digest signing would be a different scheme from Ed25519's). neo_tx needs a non-zero network_magic
// and the key's single-sig account among the transaction's signers; evm_tx needs chain_id equal to the
// transaction's. The policy blob opens under Binding{key tenant, key object, policy_version, "policy"} with
// empty aad (seal() of the canonical JSON); a blob that does not open is permission_denied, one that opens
// but does not parse failed_precondition. The time rules use the enclave's system_clock. secp256k1
// signatures come with the recovery id (checked by recovering the key before answering).
//
// No error message and no log line carries key material, plaintext secrets or derived keys.
//
// Thread-safety: every member may be called from any number of threads at once. State after open()
// is immutable except the key cache, which is internally synchronised.
//
//   NSL_TRY_ASSIGN(auto core, TrustedCore::open({.mode = Mode::sim, .data_dir = dir}));
//   NSL_TRY_ASSIGN(auto key, core->generate_key(binding, KeyCurve::ed25519));
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "enclave/enclave.hpp"
#include "enclave/trusted/key_cache.hpp"
#include "enclave/trusted/platform.hpp"
#include "enclave/trusted/sealing.hpp"
#include "signing/policy.hpp"

namespace nsl::enclave::trusted {

inline constexpr std::string_view kEnclaveVersion = "nsl-enclave/1";
inline constexpr std::size_t kMaxSignMessage = 64 * 1024;
inline constexpr std::size_t kMaxTypedPayload = 128 * 1024;
inline constexpr std::size_t kMaxAttestSubject = 1024;
inline constexpr std::size_t kMaxAttestNonce = 64;

struct CoreOptions {
  Mode mode = Mode::sim;
  // sim, tdx, snp: the sealing secret lives in <data_dir>/enclave/sealing.secret. Unused by
  // gramine-sgx.
  std::string data_dir;
  std::string seal_policy = "signer";  // "signer" (survives upgrades) | "measurement"
  // Root under which /dev/attestation/... and /sys/kernel/config/tsm/report are looked up (tests: a
  // fake).
  std::string fs_root = "/";
  std::size_t key_cache_capacity = 1024;
  // Tests: the measurement to use instead of the platform's (sim/gramine-sgx: 32 bytes; tdx/snp:
  // 48). For tdx/snp it also skips the probe quote at start.
  std::optional<Bytes> measurement_override;
  // Tests: configfs-tsm hooks handed to the tdx/snp quote producer.
  TsmTestHooks tsm_hooks;
};

class TrustedCore final : public Enclave {
 public:
  static Result<std::unique_ptr<TrustedCore>> open(CoreOptions options);
  ~TrustedCore() override;
  TrustedCore(const TrustedCore&) = delete;
  TrustedCore& operator=(const TrustedCore&) = delete;

  Result<SealedKey> generate_key(const Binding& binding, KeyCurve curve) override;
  Result<SealedKey> import_key(const Binding& binding, KeyCurve curve, ByteView wrapped) override;
  Result<Signature> sign(const Binding& binding, ByteView sealed,
                         const SignPayload& payload) override;
  Result<SealedKey> public_key(const Binding& binding, ByteView sealed) override;
  Result<ExportedKeyBlob> export_key(const Binding& binding, ByteView sealed,
                                     const ExportRequest& request) override;
  Result<TypedSignature> sign_typed(const Binding& binding, ByteView sealed,
                                    const TypedSignRequest& request) override;
  Result<Bytes> seal(const Binding& binding, ByteView plaintext, ByteView aad) override;
  Result<SecretString> unseal(const Binding& binding, ByteView sealed, ByteView aad) override;
  Result<SecretBytes> derive_data_key(const Binding& binding) override;
  Result<Bytes> generate_data_key(const Binding& binding) override;
  Result<Bytes> data_encrypt(const Binding& binding, ByteView sealed_key, ByteView aad, ByteView plaintext) override;
  // Opens the data key once for all items.
  std::vector<Result<Bytes>> data_encrypt_many(const Binding& binding, ByteView sealed_key,
                                               std::span<const DataEncryptItem> items) override;
  Result<SecretBytes> data_decrypt(const Binding& binding, ByteView sealed_key, ByteView aad,
                                   ByteView ciphertext) override;
  Result<GeneratedData> data_generate(const Binding& binding, ByteView sealed_key, ByteView aad, std::uint32_t size,
                                      bool with_plaintext) override;
  Result<Bytes> data_rewrap(const Binding& from, ByteView from_key, const Binding& to, ByteView to_key, ByteView aad,
                            ByteView ciphertext) override;
  Result<Quote> attest(AttestPurpose purpose, ByteView subject, ByteView nonce) override;
  Result<Identity> identity() override;

  // Hit/miss/eviction counters of the unsealed-key cache (tests, metrics).
  KeyCache::Stats key_cache_stats() const { return cache_.stats(); }
  // Drops every cached plaintext key (each is wiped once no in-flight signature uses it).
  void clear_key_cache() { cache_.clear(); }
  // The same counters of the parsed-policy cache.
  SealedLru<signing::Policy>::Stats policy_cache_stats() const { return policies_.stats(); }

 private:
  struct Parts;
  explicit TrustedCore(Parts parts);

  // The unsealed key for (binding, sealed), from the cache or by opening the blob.
  Result<std::shared_ptr<const CachedKey>> unsealed_key(const Binding& binding, ByteView sealed);
  // The signing policy sealed under `binding` (its "policy" purpose), parsed, from the cache or by opening it.
  Result<std::shared_ptr<const signing::Policy>> opened_policy(const Binding& binding, ByteView sealed);

  const Mode mode_;
  const Sealer sealer_;
  const Bytes measurement_;
  const SealPolicy policy_;
  const SecretBytes transport_private_;
  const std::array<std::uint8_t, 32> transport_public_;
  const std::unique_ptr<QuoteProducer> producer_;
  KeyCache cache_;
  SealedLru<signing::Policy> policies_;  // as many entries as cache_
};

}  // namespace nsl::enclave::trusted
