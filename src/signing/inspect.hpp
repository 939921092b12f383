// nsl/signing/inspect.hpp — what a signing payload DOES, decoded from its chain bytes (never from a caller's
// summary), for the signing policy (signing/evaluate.hpp) and the value ledger.
//
// N3 scripts (inspect_neo_script). The walker models exactly the instructions N3's ScriptBuilder emits for
// contract calls (chain/neo/script.hpp; neo-project/neo ScriptBuilderExtensions EmitDynamicCall / CreateArray
// / CreateMap): pushes (PUSHINT8..PUSHINT256, PUSHT, PUSHF, PUSHNULL, PUSHDATA1/2/4, PUSHM1, PUSH0..PUSH16),
// NEWARRAY0, PACK, NEWMAP, PACKMAP, NOP, SYSCALL System.Contract.Call, and ASSERT directly after a call
// (Nep17Options::assert_result / neo-cli). Several calls may follow one another. For every call it records
// the contract hash, the method, the CallFlags and the arguments; a call to "transfer" with the NEP-17 shape
// (20-byte from, 20-byte to, a non-negative integer amount, any data) is decoded into a Nep17Transfer, any
// other "transfer" call is marked `transfer_malformed` (its amount cannot be known).
// Anything else makes the script "opaque" (understood = false, `why` says what): jumps and every other
// opcode, other syscalls, truncated operands, a call whose operands are not (20-byte hash, method string,
// CallFlags 0..0x0F, array), a method starting with '_' (N3 refuses those), PACK counts that are not small
// non-negative integers or reach below the operands pushed since the previous call, stacks deeper than 2048
// items or arrays nested deeper than 16. Keeping call results out of every operand makes the model exact
// whatever a called method returns.
//
// EVM transactions (inspect_evm_tx): the strict decoder of the signing payload
// (evm::decode_unsigned_transaction), then the 4-byte selector of `data` and, for exactly-shaped ERC-20 calls
// (transfer(address,uint256) 0xa9059cbb, approve(address,uint256) 0x095ea7b3,
// transferFrom(address,address,uint256) 0x23b872dd: 4 + 32*n bytes, address words with 12 zero bytes), the
// decoded arguments; a call with one of those selectors and any other shape is `erc20_malformed`.
//
// Thread-safety: pure functions.
//
//   NSL_TRY_ASSIGN(Decoded d, inspect(Format::neo_tx, unsigned_tx, {.network_magic = neo::kMainNetMagic}));
//   if (!d.neo->script.understood) ... d.neo->script.why
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/evm/tx.hpp"
#include "chain/evm/u256.hpp"
#include "chain/neo/tx.hpp"
#include "chain/neo/types.hpp"
#include "core/result.hpp"
#include "crypto/bytes.hpp"
#include "signing/formats.hpp"

namespace nsl::signing {

inline constexpr std::size_t kMaxScriptStack = 2048;  // NeoVM MaxStackSize
inline constexpr std::size_t kMaxScriptNesting = 16;

inline constexpr std::array<std::uint8_t, 4> kErc20Transfer = {0xa9, 0x05, 0x9c, 0xbb};
inline constexpr std::array<std::uint8_t, 4> kErc20Approve = {0x09, 0x5e, 0xa7, 0xb3};
inline constexpr std::array<std::uint8_t, 4> kErc20TransferFrom = {0x23, 0xb8, 0x72, 0xdd};

struct Nep17Transfer {
  neo::UInt160 from;
  neo::UInt160 to;
  evm::U256 amount;
};

struct NeoCall {
  neo::UInt160 contract;
  std::string method;  // the bytes of the method string as pushed
  std::uint8_t call_flags = 0;
  std::size_t arg_count = 0;
  std::optional<Nep17Transfer> transfer;  // method "transfer" in the NEP-17 shape
  bool transfer_malformed = false;        // method "transfer" in any other shape
};

struct NeoScript {
  bool understood = false;
  std::string why;  // when not understood: what the walker met
  std::vector<NeoCall> calls;
};

NeoScript inspect_neo_script(ByteSpan script);

struct Erc20Call {
  enum class Kind : std::uint8_t { transfer, approve, transfer_from };
  Kind kind = Kind::transfer;
  std::optional<evm::Address> from;  // transferFrom only
  evm::Address to;                   // recipient; the spender for approve
  evm::U256 amount;
};

struct EvmCall {
  evm::Transaction tx;
  std::optional<std::array<std::uint8_t, 4>> selector;  // when data has >= 4 bytes
  std::optional<Erc20Call> erc20;
  bool erc20_malformed = false;  // an ERC-20 selector with arguments of another shape
};

Result<EvmCall> inspect_evm_tx(ByteSpan signing_payload);

struct NeoTx {
  neo::Transaction tx;
  NeoScript script;
};

struct Decoded {
  Format format = Format::raw_digest;
  Digest digest{};                // what will be signed (formats.hpp)
  std::optional<NeoTx> neo;       // neo_tx
  std::optional<EvmCall> evm;     // evm_tx
  // eip712: the domain's chainId when it has one (nullopt also when it is absent); `eip712_chain_unreadable`
  // when it is present but not an integer 0..2^64-1.
  std::optional<std::uint64_t> eip712_chain_id;
  bool eip712_chain_unreadable = false;
};

struct InspectOptions {
  std::uint32_t network_magic = 0;  // neo_tx: required (non-zero)
};

// Decodes `payload` in format `f` and computes its digest; invalid_argument when it does not decode.
Result<Decoded> inspect(Format f, ByteSpan payload, const InspectOptions& options);

}  // namespace nsl::signing
