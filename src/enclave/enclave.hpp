// nsl/enclave/enclave.hpp — what the untrusted side may ask of the trusted process.
//
// `Enclave` is the one seam between nsl (untrusted: HTTP, storage, chain access) and nsl-enclave (trusted: the
// only process that ever holds private keys or the sealing key in plaintext). Implementations: the socket client
// (enclave/client.hpp, production and embedded) and, inside the trusted tree only, the in-process core used by
// the enclave's own tests. Nothing here returns a private key: keys leave the enclave only as sealed blobs, which
// only the same enclave identity can open, and only under the binding they were sealed with.
//
// Binding: every sealed blob is tied to (tenant_id, object_id, version, purpose). The enclave refuses a blob
// presented under any other binding, so the database cannot swap one tenant's key or secret for another's. The
// caller chooses the values (tenant UUID, key or secret id, its version, "signing", "secret", ...); they are
// authenticated, not secret. Sizes: tenant_id, object_id and purpose 1..128 bytes each; object_id and purpose
// printable ASCII.
//
// Errors (core/error.hpp): invalid_argument (malformed input, wrong digest size, unsupported curve for the
// operation, a blob of an unknown format version), permission_denied (a blob that does not open: wrong binding,
// another enclave identity or sealing secret, a secret presented as a key, or corruption — AES-GCM cannot tell
// these apart), failed_precondition (an import wrapped to an earlier transport key), unavailable (the enclave is
// down or restarting, or the platform could not produce a quote: retry with backoff), deadline_exceeded (no
// answer in time: the operation may have happened), internal (a bug on either side).
//
// Thread-safety: implementations are safe to call from any number of threads at once.
//
//   NSL_TRY_ASSIGN(auto key, enclave.generate_key({.tenant_id = t, .object_id = "k1", .version = 1,
//                                                  .purpose = "signing"}, KeyCurve::secp256r1));
//   store(key.sealed, key.public_key);
//   NSL_TRY_ASSIGN(auto sig, enclave.sign(binding, key.sealed, SignPayload::digest(sha256(msg))));
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <span>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "core/secret_string.hpp"

namespace nsl::enclave {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

enum class KeyCurve : std::uint8_t { secp256r1 = 1, secp256k1 = 2, ed25519 = 3 };
std::string_view key_curve_name(KeyCurve c) noexcept;  // "secp256r1" | "secp256k1" | "ed25519"
Result<KeyCurve> parse_key_curve(std::string_view name);

// How the trusted process runs. `sim` gives no protection at all and says so everywhere.
enum class Mode : std::uint8_t { sim = 1, gramine_sgx = 2, tdx = 3, snp = 4 };
std::string_view mode_name(Mode m) noexcept;  // "sim" | "gramine-sgx" | "tdx" | "snp"
Result<Mode> parse_mode(std::string_view name);

struct Binding {
  std::string tenant_id;
  std::string object_id;
  std::uint32_t version = 1;
  std::string purpose;
};
// invalid_argument naming the offending field, or ok.
Status check_binding(const Binding& b);

struct SealedKey {
  KeyCurve curve = KeyCurve::secp256r1;
  Bytes public_key;  // secp256r1/secp256k1: SEC1 compressed (33 bytes); ed25519: 32 bytes
  Bytes sealed;      // opaque; store it as is
};

// What to sign. ECDSA curves sign a 32-byte digest the caller computed (SHA-256 for N3, Keccak-256 for
// EVM); Ed25519 signs the message itself. Later: typed N3/EVM transaction payloads the enclave decodes and
// checks against policy before signing.
struct SignPayload {
  enum class Kind : std::uint8_t { digest = 1, message = 2 };
  Kind kind = Kind::digest;
  Bytes data;
  static SignPayload of_digest(ByteView d) { return {Kind::digest, Bytes(d.begin(), d.end())}; }
  static SignPayload of_message(ByteView m) { return {Kind::message, Bytes(m.begin(), m.end())}; }
};

// ECDSA: 64 bytes r || s (low-S); Ed25519: 64 bytes.
using Signature = std::array<std::uint8_t, 64>;

// ---- Typed signing: the enclave decodes what it signs ---------------------------------------------
//
// sign_typed() takes the thing to sign in its chain form, decodes it with the strict parsers of
// chain/neo and chain/evm, evaluates the key's signing policy (signing/policy.hpp) against the DECODED
// form — never against a caller's summary — computes the digest itself and signs. A policy violation
// is permission_denied with the message "signing policy: <rule>: <why>" (the rule names are those of
// signing/policy.hpp, e.g. "max_value_per_tx"); a payload that does not decode is invalid_argument.
// Curves: ed25519 keys sign no typed format (they sign messages with sign()); see each format for the
// ECDSA curve it needs. The exact bytes hashed for each format are in signing/formats.hpp.
enum class SignFormat : std::uint8_t {
  raw_digest = 1,   // payload: a 32-byte digest (secp256r1 or secp256k1) — opaque, so refused under any
                    // policy that does not set allow_raw_digest
  neo_message = 2,  // payload: the message; N3 wallet message signing, NeoLine/neon-dappkit "without salt"
                    // layout (signing/formats.hpp); secp256r1 only; bound to no network
  eip191 = 3,       // payload: the message; EIP-191 personal_sign (secp256k1 only)
  eip712 = 4,       // payload: EIP-712 typed data as UTF-8 JSON (secp256k1 only)
  neo_tx = 5,       // payload: an N3 transaction's unsigned part (neo::serialize_unsigned); secp256r1 only
  evm_tx = 6,       // payload: an EVM transaction's signing payload (evm::signing_payload); secp256k1 only
};
std::string_view sign_format_name(SignFormat f) noexcept;  // "raw_digest", "neo_message", ...
Result<SignFormat> parse_sign_format(std::string_view name);

// An amount of one asset, as a non-negative decimal integer in the asset's smallest unit. Assets are
// "neo:0x<contract script hash>" (NEP-17, hash as N3 displays it), "evm:native" (wei) or
// "evm:0x<token address, lowercase>" (ERC-20).
struct AssetAmount {
  std::string asset;
  std::string amount;
  friend bool operator==(const AssetAmount&, const AssetAmount&) = default;
};

struct TypedSignRequest {
  SignFormat format = SignFormat::raw_digest;
  Bytes payload;                    // see SignFormat; at most 128 KiB
  std::uint32_t network_magic = 0;  // neo_tx (required, non-zero): the N3 network the signature is for
  std::uint64_t chain_id = 0;       // evm_tx (required): must equal the transaction's own chain id
  // The key's policy, sealed by this enclave under Binding{key's tenant_id, key's object_id,
  // policy_version, "policy"} (Enclave::seal of the canonical policy JSON, empty aad); empty = no policy.
  // A blob that does not open is permission_denied; one that opens but is not a valid policy
  // failed_precondition.
  Bytes policy_sealed;
  std::uint32_t policy_version = 0;
  // What the key has moved in the last 24 hours per asset, from the host's ledger, for the rolling
  // limits (max_value_per_24h). Assets not listed count as zero.
  std::vector<AssetAmount> spent_24h;
  // neo_tx: the verification script of the account the key signs for when that is not the key's
  // own single-signature account — an m-of-n multisig contract (chain/neo/account.hpp) that lists
  // the key. That account must be a signer of the transaction. Empty = the key's own account.
  // At most 64 keys (kMaxSignMultisigKeys).
  Bytes neo_account_script;
};
inline constexpr std::size_t kMaxSignMultisigKeys = 64;

inline constexpr std::size_t kMaxDataPlaintext = 512 * 1024;
inline constexpr std::size_t kMaxDataAad = 64 * 1024;
inline constexpr std::size_t kDataCiphertextOverhead = 1 + 16 + 12 + 16;

struct TypedSignature {
  Bytes signature;                     // 64 bytes r || s (low-S)
  std::uint8_t recovery_id = 0;        // secp256k1: the y parity of R (0/1), for EVM v values; else 0
  std::array<std::uint8_t, 32> digest{};  // what was signed
  // What the signed transaction moves, per asset, sorted by asset (ledger entries): NEP-17 transfer
  // amounts of an understood N3 script, an EVM transaction's value (evm:native, when non-zero) and its
  // ERC-20 transfer/transferFrom amount (signing/evaluate.hpp); empty for messages and digests.
  std::vector<AssetAmount> moves;
};

// What a quote's 64-byte report_data commits to. The enclave computes report_data itself,
// SHA-512(label || u32be(len(subject)) || subject || nonce), so the host cannot obtain a quote over a value
// of its choosing that looks like the enclave's own transport key:
//   transport_key  label "nsl-attest-v1/transport-key\0", subject = the enclave's X25519 transport key
//   user           label "nsl-attest-v1/user\0",           subject = caller data (0..1024 bytes)
enum class AttestPurpose : std::uint8_t { transport_key = 1, user = 2 };
std::array<std::uint8_t, 64> attest_report_data(AttestPurpose purpose, ByteView subject, ByteView nonce);

struct Quote {
  std::string format;  // "sim" | "sgx-dcap" | "tdx" | "snp"
  Bytes quote;         // verify with attest::verify_quote
  std::array<std::uint8_t, 64> report_data{};
};

// Key export (Enclave::export_key): the private key of one sealed version leaves the enclave
// encrypted for its owner, in one of two forms:
//   nep2     NEP-2 under `passphrase` (chain/neo/nep2.hpp, N=16384 r=8 p=8); secp256r1 keys only.
//            The passphrase crosses the host, so the host could decrypt the result: prefer wrapped.
//   wrapped  export wrap v1 (enclave/protocol/import_wrap.hpp) to the owner's X25519 public key
//            under the key version's binding: only the holder of the matching private key opens it.
// Whether a key may be exported at all is the host's decision (the key's `exportable` flag).
struct ExportRequest {
  enum class Format : std::uint8_t { nep2 = 1, wrapped = 2 };
  Format format = Format::wrapped;
  SecretString passphrase;                               // nep2: 1..1024 bytes of UTF-8
  std::array<std::uint8_t, 32> recipient_public_key{};  // wrapped: the owner's X25519 key
};

struct ExportedKeyBlob {
  ExportRequest::Format format = ExportRequest::Format::wrapped;
  std::string nep2;  // "6P…"
  Bytes wrapped;     // export wrap v1, 126 bytes
};

struct Identity {
  Mode mode = Mode::sim;
  bool simulated = true;           // true in sim mode: no hardware protection
  Bytes measurement;               // sim: SHA-256 of the enclave binary; SGX: MRENCLAVE; TDX: MRTD; SNP: MEASUREMENT
  std::string seal_policy;         // "measurement" | "signer"
  std::array<std::uint8_t, 32> transport_public_key{};  // X25519; wrap imports to it (protocol/import_wrap.hpp)
  std::string version;             // nsl-enclave build version
};

class Enclave {
 public:
  virtual ~Enclave() = default;

  // A fresh key pair; the private key is sealed under `binding`.
  virtual Result<SealedKey> generate_key(const Binding& binding, KeyCurve curve) = 0;
  // A private key produced elsewhere, wrapped by the owner to this enclave's transport key under the same
  // binding (enclave/protocol/import_wrap.hpp), so it never crosses the host in clear.
  virtual Result<SealedKey> import_key(const Binding& binding, KeyCurve curve, ByteView wrapped) = 0;
  virtual Result<Signature> sign(const Binding& binding, ByteView sealed, const SignPayload& payload) = 0;
  virtual Result<SealedKey> public_key(const Binding& binding, ByteView sealed) = 0;
  // The key in `sealed`, encrypted for its owner (ExportRequest). invalid_argument for a bad
  // request (empty passphrase, NEP-2 of a non-secp256r1 key, bad recipient key).
  virtual Result<ExportedKeyBlob> export_key(const Binding& binding, ByteView sealed,
                                             const ExportRequest& request) = 0;
  // Decode, check the policy, sign (see TypedSignRequest).
  virtual Result<TypedSignature> sign_typed(const Binding& binding, ByteView sealed,
                                            const TypedSignRequest& request) = 0;
  // sign_typed without a waiting thread: `done` runs exactly once with the outcome — on an internal
  // thread of the implementation, or on the caller's thread before this returns (an immediate failure, or
  // an implementation without its own threads: this default calls sign_typed). Keep `done` short and
  // non-blocking. The arguments are copied before this returns.
  virtual void sign_typed_async(const Binding& binding, ByteView sealed, const TypedSignRequest& request,
                                std::function<void(Result<TypedSignature>)> done) {
    done(sign_typed(binding, sealed, request));
  }

  // Tenant secrets: arbitrary bytes (up to 64 KiB) sealed under `binding` plus optional extra `aad`.
  virtual Result<Bytes> seal(const Binding& binding, ByteView plaintext, ByteView aad) = 0;
  // The plaintext comes back (that is the secrets service's job) in a SecretString: wiped on destruction.
  virtual Result<SecretString> unseal(const Binding& binding, ByteView sealed, ByteView aad) = 0;

  // A 32-byte data-encryption key for envelope encryption of database columns, derived deterministically
  // from the sealing root and `binding` (same binding, same key; bump `version` to rotate). It leaves the
  // enclave by design: it encrypts data the untrusted side stores, and is never a signing key.
  virtual Result<SecretBytes> derive_data_key(const Binding& binding) = 0;

  // Symmetric data keys: the secrets service's envelope keys and transit keys. generate_data_key makes a
  // random AES-256 key inside the enclave and returns it sealed under `binding` (a data-key blob, which
  // no other operation accepts); it never leaves the enclave in clear. data_encrypt / data_decrypt open
  // it inside and work with it:
  //   ciphertext = 0x01 || salt (16) || nonce (12) || AES-256-GCM(K, plaintext, aad) || tag (16)
  //   K = HKDF-SHA256(ikm = data key, salt, info = "nsl-data-v1"), a fresh key per message, so a data key
  //   has no 2^32-message bound of random GCM nonces under one key.
  // plaintext at most kMaxDataPlaintext, aad at most kMaxDataAad bytes. A ciphertext that does not open
  // (another key or aad, or altered) is permission_denied, as is a key blob that does not open under the
  // binding. data_rewrap decrypts under one key and encrypts under another inside the enclave, so that
  // rotation never shows the plaintext to the host.
  virtual Result<Bytes> generate_data_key(const Binding& binding) = 0;
  virtual Result<Bytes> data_encrypt(const Binding& binding, ByteView sealed_key, ByteView aad,
                                     ByteView plaintext) = 0;
  virtual Result<SecretBytes> data_decrypt(const Binding& binding, ByteView sealed_key, ByteView aad,
                                           ByteView ciphertext) = 0;
  // Several data_encrypt calls under one key, answers in the order of `items` (each may fail on
  // its own). This default runs them one after another; the trusted core opens the key once for
  // all, and the socket client sends them in as few requests as the frame size allows (one
  // DataEncryptMany each), all before it waits.
  struct DataEncryptItem {
    ByteView aad;
    ByteView plaintext;
  };
  virtual std::vector<Result<Bytes>> data_encrypt_many(const Binding& binding, ByteView sealed_key,
                                                       std::span<const DataEncryptItem> items) {
    std::vector<Result<Bytes>> out;
    out.reserve(items.size());
    for (const DataEncryptItem& item : items) {
      out.push_back(data_encrypt(binding, sealed_key, item.aad, item.plaintext));
    }
    return out;
  }
  // A fresh random key of `size` bytes (16, 32 or 64) for the caller's own envelope encryption, made
  // inside the enclave and returned encrypted as data_encrypt(binding, sealed_key, aad, key) would; in clear
  // too only when with_plaintext (otherwise the key never leaves the enclave unencrypted).
  struct GeneratedData {
    Bytes ciphertext;
    std::optional<SecretBytes> plaintext;
  };
  virtual Result<GeneratedData> data_generate(const Binding& binding, ByteView sealed_key, ByteView aad,
                                              std::uint32_t size, bool with_plaintext) = 0;
  virtual Result<Bytes> data_rewrap(const Binding& from, ByteView from_key, const Binding& to, ByteView to_key,
                                    ByteView aad, ByteView ciphertext) = 0;

  virtual Result<Quote> attest(AttestPurpose purpose, ByteView subject, ByteView nonce) = 0;
  virtual Result<Identity> identity() = 0;
};

}  // namespace nsl::enclave
