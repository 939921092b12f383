// nsl/chain/neo/internal/tx_codec.hpp — shared pieces of the transaction codec (tx_codec.cpp) and
// validation (tx_validate.cpp): the unchecked writers behind serialize()/serialize_unsigned()
// (decode_json uses them to show the hash of a model that fails validation) and error helpers.
#pragma once

#include <cstdio>
#include <string>

#include "chain/neo/internal/binary.hpp"
#include "chain/neo/tx.hpp"

namespace nsl::neo::internal {

void write_unsigned(Writer& w, const Transaction& tx);
void write_witnesses(Writer& w, const Transaction& tx);

inline Error bad(const std::string& msg) { return err::invalid_argument("neo tx: " + msg); }

inline std::string hex8(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v & 0xFFu);
  return buf;
}

inline bool known_condition_type(std::uint8_t t) {
  return !to_string(static_cast<WitnessConditionType>(t)).empty();
}

// Input or output size: non-empty and within Transaction.MaxTransactionSize.
inline Status check_tx_size(std::size_t n) {
  if (n == 0) return bad("empty input");
  if (n > kMaxTransactionSize) {
    return bad(std::to_string(n) + " bytes exceed the maximum transaction size " +
               std::to_string(kMaxTransactionSize));
  }
  return ok_status();
}

}  // namespace nsl::neo::internal
