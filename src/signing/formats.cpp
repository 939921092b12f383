#include "signing/formats.hpp"

#include <string>

#include "chain/evm/eip191.hpp"
#include "chain/evm/eip712.hpp"
#include "chain/evm/tx.hpp"
#include "chain/neo/tx.hpp"
#include "core/json_strict.hpp"
#include "crypto/hash.hpp"

namespace nsl::signing {

std::string_view format_name(Format f) noexcept {
  switch (f) {
    case Format::raw_digest: return "raw_digest";
    case Format::neo_message: return "neo_message";
    case Format::eip191: return "eip191";
    case Format::eip712: return "eip712";
    case Format::neo_tx: return "neo_tx";
    case Format::evm_tx: return "evm_tx";
  }
  return "unknown";
}

bool valid_format(Format f) noexcept { return format_name(f) != "unknown"; }

Bytes neo_message_bytes(ByteSpan message) {
  Bytes out = {0x01, 0x00, 0x01, 0xf0};
  const std::uint64_t n = message.size();
  const auto le = [&](std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  if (n < 0xfd) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n <= 0xffff) {
    out.push_back(0xfd);
    le(n, 2);
  } else if (n <= 0xffffffffu) {
    out.push_back(0xfe);
    le(n, 4);
  } else {
    out.push_back(0xff);
    le(n, 8);
  }
  out.insert(out.end(), message.begin(), message.end());
  out.push_back(0x00);
  out.push_back(0x00);
  return out;
}

Digest neo_message_digest(ByteSpan message) { return crypto::sha256(neo_message_bytes(message)); }

Result<nlohmann::json> parse_typed_data(ByteSpan payload) {
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  auto j = parse_json_strict(text, kEip712JsonDepth, true);
  if (!j.ok()) return err::invalid_argument("eip712: " + j.error().message());
  return std::move(j).value();
}

Result<Digest> signing_digest(Format f, ByteSpan payload, std::uint32_t network_magic) {
  switch (f) {
    case Format::raw_digest:
      if (payload.size() != 32) {
        return err::invalid_argument("raw_digest: the payload must be exactly 32 bytes, got " +
                                     std::to_string(payload.size()));
      }
      {
        Digest d{};
        std::copy(payload.begin(), payload.end(), d.begin());
        return d;
      }
    case Format::neo_message: return neo_message_digest(payload);
    case Format::eip191: return evm::personal_message_hash(payload);
    case Format::eip712: {
      NSL_TRY_ASSIGN(const nlohmann::json typed, parse_typed_data(payload));
      NSL_TRY_ASSIGN(const evm::Eip712Hashes h, evm::eip712_hash(typed));
      return h.digest;
    }
    case Format::neo_tx: {
      if (network_magic == 0) return err::invalid_argument("neo_tx: network_magic is required");
      NSL_TRY_ASSIGN(const neo::Transaction tx, neo::deserialize_unsigned(payload));
      NSL_TRY_ASSIGN(const neo::UInt256 hash, neo::tx_hash(tx));
      return neo::sign_digest(network_magic, hash);
    }
    case Format::evm_tx: {
      NSL_TRY_ASSIGN(const evm::Transaction tx, evm::decode_unsigned_transaction(payload));
      return evm::signing_hash(tx);
    }
  }
  return err::invalid_argument("unknown signing format");
}

}  // namespace nsl::signing
