// nsl/enclave/metered.hpp — an Enclave that counts every operation of another one: the reference
// architecture's "TEE operation success rates".
//
//   nsl_enclave_operations_total{op, result}   op: generate_key, import_key, export_key, sign, sign_typed,
//                                              public_key, seal, unseal, derive_data_key,
//                                              generate_data_key, data_encrypt, data_decrypt, data_generate,
//                                              data_rewrap,
//                                              attest, identity; result: ok or the ErrorCode name
//   nsl_enclave_operation_seconds{op}          latency, as seen from nsl (socket round trip included)
//
// A policy refusal from sign_typed counts as result permission_denied: the enclave worked, it said no.
//
//   MeteredEnclave metered(*client, &registry);   // then hand `metered` to the services
//
// Thread-safety: as the wrapped Enclave (the metrics are thread-safe).
#pragma once

#include <chrono>
#include <memory>

#include "enclave/enclave.hpp"

#include "obs/metrics.hpp"

namespace nsl::enclave {

class MeteredEnclave final : public Enclave {
 public:
  MeteredEnclave(Enclave& inner, obs::Registry* registry);

  Result<SealedKey> generate_key(const Binding& binding, KeyCurve curve) override;
  Result<SealedKey> import_key(const Binding& binding, KeyCurve curve, ByteView wrapped) override;
  Result<ExportedKeyBlob> export_key(const Binding& binding, ByteView sealed,
                                     const ExportRequest& request) override;
  Result<Signature> sign(const Binding& binding, ByteView sealed, const SignPayload& payload) override;
  Result<SealedKey> public_key(const Binding& binding, ByteView sealed) override;
  Result<TypedSignature> sign_typed(const Binding& binding, ByteView sealed,
                                    const TypedSignRequest& request) override;
  void sign_typed_async(const Binding& binding, ByteView sealed, const TypedSignRequest& request,
                        std::function<void(Result<TypedSignature>)> done) override;
  Result<Bytes> seal(const Binding& binding, ByteView plaintext, ByteView aad) override;
  Result<SecretString> unseal(const Binding& binding, ByteView sealed, ByteView aad) override;
  Result<SecretBytes> derive_data_key(const Binding& binding) override;
  Result<Bytes> generate_data_key(const Binding& binding) override;
  Result<Bytes> data_encrypt(const Binding& binding, ByteView sealed_key, ByteView aad, ByteView plaintext) override;
  // Counted as data_encrypt operations, one per item, each with the batch's latency.
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

 private:
  template <class T>
  T measured(const char* op, std::chrono::steady_clock::time_point start, T result);

  Enclave& inner_;
  obs::CounterFamily* ops_ = nullptr;
  obs::HistogramFamily* seconds_ = nullptr;
};

}  // namespace nsl::enclave
