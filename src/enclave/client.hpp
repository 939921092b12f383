// nsl/enclave/client.hpp — the untrusted side's connection to nsl-enclave over its Unix socket.
//
// EnclaveClient implements Enclave (enclave.hpp) by sending protocol requests over a small pool of
// connections. Each connection carries many requests at once (pipelined; answers matched by request id), so
// one connection serves any number of threads — and serves them fastest: each further connection adds a reader
// thread on both sides, the answers of a busy moment then arrive in more, smaller reads, and on 2 cores four
// connections sign ≈ 30 % slower than one (bench/README.md). More connections only spread very large frames. Every call has a deadline (ClientOptions::deadline by
// default): an unanswered call fails with deadline_exceeded ("may or may not have happened"), a lost
// connection fails its calls with unavailable. Broken connections are re-dialled in the background with
// exponential backoff (initial .. max); while none is up, calls fail fast with unavailable instead of queueing.
//
// Readiness: ready() is true once a connection is up and the enclave answered identity(); /health/ready uses
// check(), a ping round trip.
//
// Callbacks of the *_async calls run on an internal thread (the connection's reader, or the deadline sweeper)
// or, for an immediate failure, on the caller's thread; keep them short and never block in them.
//
// Thread-safety: every member may be called from any thread at once.
//
//   EnclaveClient enclave({.socket_path = "/run/nsl/enclave.sock"});
//   NSL_TRY_ASSIGN(auto sig, enclave.sign(binding, sealed, SignPayload::of_digest(digest)));
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/secret_string.hpp"
#include "enclave/enclave.hpp"

namespace nsl::enclave {

struct ClientOptions {
  std::string socket_path;                                       // Unix socket; ignored when tcp_port != 0
  std::string tcp_host;                                          // loopback TCP instead (Gramine): 127.0.0.1 or ::1
  std::uint16_t tcp_port = 0;
  SecretString token;                                            // sent in a Hello first on every connection
  unsigned connections = 1;                                      // pool size, 1..64; see above
  std::chrono::milliseconds deadline{5000};                      // default per-call deadline
  std::chrono::milliseconds backoff_initial{50};                 // first re-dial delay after a failure
  std::chrono::milliseconds backoff_max{2000};                   // cap of the doubling delay
  std::size_t max_frame = std::size_t{1} << 20;                  // largest frame sent or accepted
  std::size_t max_in_flight = 65536;                             // over all connections; beyond: unavailable
};

struct ClientStats {
  std::uint64_t connects = 0;       // successful dials, the first ones included
  std::uint64_t disconnects = 0;    // connections lost
  std::uint64_t timeouts = 0;       // calls failed with deadline_exceeded
  std::uint64_t in_flight = 0;      // calls awaiting an answer now
  unsigned connected = 0;           // connections up now
};

class EnclaveClient final : public Enclave {
 public:
  explicit EnclaveClient(ClientOptions options);
  ~EnclaveClient() override;
  EnclaveClient(const EnclaveClient&) = delete;
  EnclaveClient& operator=(const EnclaveClient&) = delete;

  Result<SealedKey> generate_key(const Binding& binding, KeyCurve curve) override;
  Result<SealedKey> import_key(const Binding& binding, KeyCurve curve, ByteView wrapped) override;
  Result<ExportedKeyBlob> export_key(const Binding& binding, ByteView sealed,
                                     const ExportRequest& request) override;
  Result<Signature> sign(const Binding& binding, ByteView sealed, const SignPayload& payload) override;
  Result<TypedSignature> sign_typed(const Binding& binding, ByteView sealed,
                                    const TypedSignRequest& request) override;
  // Pipelined: `done` runs on the connection's reader (or the deadline sweeper), never blocking a thread.
  void sign_typed_async(const Binding& binding, ByteView sealed, const TypedSignRequest& request,
                        std::function<void(Result<TypedSignature>)> done) override;
  Result<SealedKey> public_key(const Binding& binding, ByteView sealed) override;
  Result<Bytes> seal(const Binding& binding, ByteView plaintext, ByteView aad) override;
  Result<SecretString> unseal(const Binding& binding, ByteView sealed, ByteView aad) override;
  Result<SecretBytes> derive_data_key(const Binding& binding) override;
  Result<Bytes> generate_data_key(const Binding& binding) override;
  Result<Bytes> data_encrypt(const Binding& binding, ByteView sealed_key, ByteView aad, ByteView plaintext) override;
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

  // Pipelined signing without a waiting thread: `done` runs once, with the signature or the error.
  void sign_async(const Binding& binding, ByteView sealed, const SignPayload& payload,
                  std::function<void(Result<Signature>)> done,
                  std::optional<std::chrono::milliseconds> deadline = std::nullopt);

  // A ping round trip within `deadline`: ok, unavailable or deadline_exceeded.
  Status check(std::chrono::milliseconds deadline);
  bool ready() const noexcept;
  // The identity read when the first connection came up (refreshed on every reconnect).
  std::optional<Identity> cached_identity() const;
  ClientStats stats() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace nsl::enclave
