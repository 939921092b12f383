// Fuzz target `enclave_response`: bytes arriving at nsl's end of the enclave socket -> FrameReader ->
// decode_response -> every unpacker the client uses (unpack_key, unpack_signature, unpack_quote, unpack_identity,
// unpack_typed_signature, unpack_sealed_many) and error_from_proto.
//
// Invariants (a violation aborts): the reader yields frames or fails for good; decode errors are invalid_argument;
// an unpacker either fails with internal or returns a value of the promised shape (33-byte SEC1 or 32-byte Ed25519
// public key, 64-byte report data, 32-byte transport key, 64-byte typed signature with a 0/1 recovery id, one
// answer per item — a non-empty ciphertext or a known error code — for a batch of ciphertexts);
// error_from_proto always returns a known code; no
// exception escapes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "enclave/protocol/codec.hpp"
#include "fuzz_check.hpp"

namespace {
using nsl::fuzz::check;
namespace protocol = nsl::enclave::protocol;
constexpr const char* kName = "enclave_response";

template <typename T>
void expect_internal_or_value(const nsl::Result<T>& r, const char* what) {
  check(r.ok() || r.error().code() == nsl::ErrorCode::internal, kName, what);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  protocol::FrameReader reader(4096);
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  for (std::string_view chunk : {bytes.substr(0, split), bytes.substr(split)}) {
    reader.feed(chunk);
    for (;;) {
      auto next = reader.next();
      if (!next.ok()) {
        check(reader.failed() && !reader.next().ok(), kName, "a failed reader recovered");
        return 0;
      }
      if (!next->has_value()) break;
      auto resp = protocol::decode_response(**next);
      if (!resp.ok()) {
        check(resp.error().code() == nsl::ErrorCode::invalid_argument, kName, "decode error is not invalid_argument");
        continue;
      }
      if (resp->has_error()) {
        const nsl::Error e = protocol::error_from_proto(resp->error());
        check(static_cast<int>(e.code()) <= static_cast<int>(nsl::ErrorCode::deadline_exceeded), kName,
              "error code out of range");
      }
      auto key = protocol::unpack_key(*resp);
      expect_internal_or_value(key, "unpack_key failed with a code other than internal");
      if (key.ok()) {
        check(key->public_key.size() == (key->curve == nsl::enclave::KeyCurve::ed25519 ? 32u : 33u), kName,
              "unpacked public key has the wrong size");
        check(!key->sealed.empty(), kName, "unpacked key without a sealed blob");
      }
      expect_internal_or_value(protocol::unpack_signature(*resp), "unpack_signature failed oddly");
      expect_internal_or_value(protocol::unpack_quote(*resp), "unpack_quote failed oddly");
      expect_internal_or_value(protocol::unpack_identity(*resp), "unpack_identity failed oddly");
      auto typed = protocol::unpack_typed_signature(*resp);
      expect_internal_or_value(typed, "unpack_typed_signature failed oddly");
      if (typed.ok()) {
        check(typed->signature.size() == 64 && typed->recovery_id <= 1, kName, "unpacked typed signature has the wrong shape");
      }
      const std::size_t items = resp->has_sealed_many() ? static_cast<std::size_t>(resp->sealed_many().items_size()) : 1;
      auto many = protocol::unpack_sealed_many(*resp, items);
      expect_internal_or_value(many, "unpack_sealed_many failed oddly");
      if (many.ok()) {
        check(many->size() == items, kName, "unpacked batch has another count");
        for (const auto& item : *many) {
          check(item.ok() ? !item->empty()
                          : static_cast<int>(item.error().code()) <= static_cast<int>(nsl::ErrorCode::deadline_exceeded),
                kName, "unpacked batch item of the wrong shape");
        }
      }
      expect_internal_or_value(protocol::unpack_sealed_many(*resp, items + 1), "unpack_sealed_many failed oddly");
      protocol::wipe_secrets(*resp);
    }
  }
  return 0;
}
