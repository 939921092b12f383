#include "enclave/metered.hpp"

namespace nsl::enclave {

using Clock = std::chrono::steady_clock;

MeteredEnclave::MeteredEnclave(Enclave& inner, obs::Registry* registry) : inner_(inner) {
  if (registry == nullptr) return;
  ops_ = &registry->counter_family("nsl_enclave_operations_total",
                                   "Enclave operations by operation and result (ok or error code)", {"op", "result"});
  seconds_ = &registry->histogram_family("nsl_enclave_operation_seconds",
                                         "Latency of enclave operations seen from nsl, seconds", {"op"},
                                         obs::default_latency_buckets());
}

template <class T>
T MeteredEnclave::measured(const char* op, Clock::time_point start, T result) {
  if (ops_ != nullptr) {
    const std::string result_label = result.ok() ? "ok" : std::string(error_code_name(result.error().code()));
    ops_->with({op, result_label}).inc();
    seconds_->with({op}).observe(std::chrono::duration<double>(Clock::now() - start).count());
  }
  return result;
}

Result<SealedKey> MeteredEnclave::generate_key(const Binding& binding, KeyCurve curve) {
  const auto start = Clock::now();
  return measured("generate_key", start, inner_.generate_key(binding, curve));
}

Result<SealedKey> MeteredEnclave::import_key(const Binding& binding, KeyCurve curve, ByteView wrapped) {
  const auto start = Clock::now();
  return measured("import_key", start, inner_.import_key(binding, curve, wrapped));
}

Result<ExportedKeyBlob> MeteredEnclave::export_key(const Binding& binding, ByteView sealed,
                                                   const ExportRequest& request) {
  const auto start = Clock::now();
  return measured("export_key", start, inner_.export_key(binding, sealed, request));
}

Result<Signature> MeteredEnclave::sign(const Binding& binding, ByteView sealed, const SignPayload& payload) {
  const auto start = Clock::now();
  return measured("sign", start, inner_.sign(binding, sealed, payload));
}

Result<SealedKey> MeteredEnclave::public_key(const Binding& binding, ByteView sealed) {
  const auto start = Clock::now();
  return measured("public_key", start, inner_.public_key(binding, sealed));
}

Result<TypedSignature> MeteredEnclave::sign_typed(const Binding& binding, ByteView sealed,
                                                  const TypedSignRequest& request) {
  const auto start = Clock::now();
  return measured("sign_typed", start, inner_.sign_typed(binding, sealed, request));
}

void MeteredEnclave::sign_typed_async(const Binding& binding, ByteView sealed, const TypedSignRequest& request,
                                      std::function<void(Result<TypedSignature>)> done) {
  const auto start = Clock::now();
  inner_.sign_typed_async(binding, sealed, request,
                          [this, start, done = std::move(done)](Result<TypedSignature> r) {
                            done(measured("sign_typed", start, std::move(r)));
                          });
}

Result<Bytes> MeteredEnclave::seal(const Binding& binding, ByteView plaintext, ByteView aad) {
  const auto start = Clock::now();
  return measured("seal", start, inner_.seal(binding, plaintext, aad));
}

Result<SecretString> MeteredEnclave::unseal(const Binding& binding, ByteView sealed, ByteView aad) {
  const auto start = Clock::now();
  return measured("unseal", start, inner_.unseal(binding, sealed, aad));
}

Result<SecretBytes> MeteredEnclave::derive_data_key(const Binding& binding) {
  const auto start = Clock::now();
  return measured("derive_data_key", start, inner_.derive_data_key(binding));
}

Result<Bytes> MeteredEnclave::generate_data_key(const Binding& binding) {
  const auto start = Clock::now();
  return measured("generate_data_key", start, inner_.generate_data_key(binding));
}

Result<Bytes> MeteredEnclave::data_encrypt(const Binding& binding, ByteView sealed_key, ByteView aad,
                                           ByteView plaintext) {
  const auto start = Clock::now();
  return measured("data_encrypt", start, inner_.data_encrypt(binding, sealed_key, aad, plaintext));
}

std::vector<Result<Bytes>> MeteredEnclave::data_encrypt_many(const Binding& binding, ByteView sealed_key,
                                                             std::span<const DataEncryptItem> items) {
  const auto start = Clock::now();
  std::vector<Result<Bytes>> out = inner_.data_encrypt_many(binding, sealed_key, items);
  for (Result<Bytes>& r : out) r = measured("data_encrypt", start, std::move(r));
  return out;
}

Result<Enclave::GeneratedData> MeteredEnclave::data_generate(const Binding& binding, ByteView sealed_key,
                                                             ByteView aad, std::uint32_t size, bool with_plaintext) {
  const auto start = Clock::now();
  return measured("data_generate", start, inner_.data_generate(binding, sealed_key, aad, size, with_plaintext));
}

Result<SecretBytes> MeteredEnclave::data_decrypt(const Binding& binding, ByteView sealed_key, ByteView aad,
                                                 ByteView ciphertext) {
  const auto start = Clock::now();
  return measured("data_decrypt", start, inner_.data_decrypt(binding, sealed_key, aad, ciphertext));
}

Result<Bytes> MeteredEnclave::data_rewrap(const Binding& from, ByteView from_key, const Binding& to, ByteView to_key,
                                          ByteView aad, ByteView ciphertext) {
  const auto start = Clock::now();
  return measured("data_rewrap", start, inner_.data_rewrap(from, from_key, to, to_key, aad, ciphertext));
}

Result<Quote> MeteredEnclave::attest(AttestPurpose purpose, ByteView subject, ByteView nonce) {
  const auto start = Clock::now();
  return measured("attest", start, inner_.attest(purpose, subject, nonce));
}

Result<Identity> MeteredEnclave::identity() {
  const auto start = Clock::now();
  return measured("identity", start, inner_.identity());
}

}  // namespace nsl::enclave
