// nsl/enclave/protocol/codec.hpp — enclave.hpp values <-> protocol messages (both sides; the trusted dispatcher
// is enclave/trusted/dispatch.hpp, the client enclave/client.hpp).
//
// Secrets in messages: unseal and derive_data_key answers carry plaintext in SecretResult.secret, a NEP-2
// export its passphrase-encrypted key; requests may carry the hello token, a plaintext to seal or a NEP-2
// passphrase. Call wipe_secrets() on a Response or Request (and SecretString::wipe on its serialized bytes)
// once it has been sent or read.
//
// Thread-safety: pure functions.
#pragma once

#include "core/error.hpp"
#include "enclave/enclave.hpp"
#include "enclave/protocol/frame.hpp"

namespace nsl::enclave::protocol {

// Protobuf `bytes` fields are std::string.
inline ByteView bytes_view(const std::string& s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string bytes_string(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

v1::Binding to_proto(const Binding& b);
Binding from_proto(const v1::Binding& b);
v1::Curve to_proto(KeyCurve c) noexcept;
Result<KeyCurve> from_proto(v1::Curve c);

v1::SignFormat to_proto(SignFormat f) noexcept;
Result<SignFormat> from_proto(v1::SignFormat f);

void set_error(v1::Response& response, const Error& error);
void set_error(v1::Error& out, const Error& error);
// The Error a failed Response carries (an unset or unknown code becomes internal).
Error error_from_proto(const v1::Error& e);

// Results out of a successful Response (the client's side). internal when the enclave answered with another
// result type or a malformed value: the two sides disagree, which is a bug, never the caller's fault.
Result<SealedKey> unpack_key(const v1::Response& r);
Result<Signature> unpack_signature(const v1::Response& r);
Result<Quote> unpack_quote(const v1::Response& r);
Result<Identity> unpack_identity(const v1::Response& r);
Result<TypedSignature> unpack_typed_signature(const v1::Response& r);
Result<ExportedKeyBlob> unpack_exported(const v1::Response& r);
// A DataEncryptMany answer: exactly `items` answers, each a ciphertext or its own error.
Result<std::vector<Result<Bytes>>> unpack_sealed_many(const v1::Response& r, std::size_t items);

// At most this many items in one DataEncryptMany.
inline constexpr std::size_t kMaxDataItems = 256;

// Overwrites every secret-bearing field of `response` with zeros before clearing it.
void wipe_secrets(v1::Response& response) noexcept;
// Overwrites the secret-bearing fields of `request` (the hello token, a plaintext to seal or encrypt — each
// item's of a DataEncryptMany too —, a NEP-2 export passphrase) with zeros; the rest stays readable.
void wipe_secrets(v1::Request& request) noexcept;

}  // namespace nsl::enclave::protocol
