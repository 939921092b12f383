// nsl/chain/neo/script.hpp — NeoVM script building, byte-for-byte as N3's ScriptBuilder emits.
//
// Sources (neo-project/neo-vm src/Neo.VM/ScriptBuilder.cs and OpCode.cs; neo-project/neo
// src/Neo/Extensions/VM/ScriptBuilderExtensions.cs, src/Neo/SmartContract/InteropDescriptor.cs):
//   integers  -1..16 -> PUSHM1 / PUSH0..PUSH16 (one opcode, PUSH0 + value); otherwise the minimal
//             two's-complement little-endian encoding, sign-padded to 1/2/4/8/16/32 bytes after
//             PUSHINT8/16/32/64/128/256 (BigInteger.TryWriteBytes + PadRight). Beyond 32 bytes
//             (256 bits) N3 throws; VmInteger refuses such values.
//   bytes     < 0x100 bytes: PUSHDATA1 len8; < 0x10000: PUSHDATA2 len16; else PUSHDATA4 len32.
//   strings   their UTF-8 bytes as bytes. booleans PUSHT / PUSHF. null PUSHNULL.
//   UInt160   its 20 raw bytes as bytes.
//   arrays    empty: NEWARRAY0; else the items in REVERSE order, the count as an integer, PACK
//             (ScriptBuilderExtensions.CreateArray).
//   SYSCALL   0x41 + the interop hash as u32 little-endian, where the interop hash is the first
//             4 bytes of SHA-256 over the ASCII name read as little-endian u32
//             (InteropDescriptor.Hash). Names are ASCII program constants; bytes are hashed as
//             given (.NET's ASCII encoder would turn non-ASCII into '?').
//   contract_call = EmitDynamicCall: args array, CallFlags, method, script hash, then
//             SYSCALL System.Contract.Call.
//
// Thread-safety: ScriptBuilder is a value; use one per thread.
//
//   NSL_TRY_ASSIGN(auto script, nsl::neo::nep17_transfer(gas, from, to, "150000000"));
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chain/neo/types.hpp"
#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::neo {

using crypto::Bytes;
using crypto::ByteSpan;

// The opcodes this module emits or parses, values from neo-vm src/Neo.VM/OpCode.cs.
enum class OpCode : std::uint8_t {
  PUSHINT8 = 0x00,
  PUSHINT16 = 0x01,
  PUSHINT32 = 0x02,
  PUSHINT64 = 0x03,
  PUSHINT128 = 0x04,
  PUSHINT256 = 0x05,
  PUSHT = 0x08,
  PUSHF = 0x09,
  PUSHA = 0x0A,
  PUSHNULL = 0x0B,
  PUSHDATA1 = 0x0C,
  PUSHDATA2 = 0x0D,
  PUSHDATA4 = 0x0E,
  PUSHM1 = 0x0F,
  PUSH0 = 0x10,
  PUSH1 = 0x11,
  PUSH16 = 0x20,
  NOP = 0x21,
  ASSERT = 0x39,
  SYSCALL = 0x41,
  PACK = 0xC0,
  NEWARRAY0 = 0xC2,
};

// neo-project/neo src/Neo/SmartContract/CallFlags.cs.
enum class CallFlags : std::uint8_t {
  None = 0,
  ReadStates = 0x01,
  WriteStates = 0x02,
  AllowCall = 0x04,
  AllowNotify = 0x08,
  States = 0x03,
  ReadOnly = 0x05,
  All = 0x0F,
};

// Interop (SYSCALL) hash of an ASCII name: SHA-256(name)[0..4] read as little-endian u32.
std::uint32_t interop_hash(std::string_view name);
// Precomputed hashes of the services this module emits; the tests check them against
// interop_hash(). Serialized little-endian: CheckSig is 56 e7 b3 27.
inline constexpr std::uint32_t kSyscallCheckSig = 0x27B3E756;       // System.Crypto.CheckSig
inline constexpr std::uint32_t kSyscallCheckMultisig = 0x3ADCD09E;  // System.Crypto.CheckMultisig
inline constexpr std::uint32_t kSyscallContractCall = 0x525B7D62;   // System.Contract.Call

// A NeoVM integer as N3 pushes it: minimal two's-complement little-endian, at most 32 bytes.
class VmInteger {
 public:
  static constexpr std::size_t kMaxSize = 32;
  VmInteger() = default;  // zero
  static VmInteger from_i64(std::int64_t v);
  // Strict decimal: optional '-', digits, no leading zeros ("0" itself is fine; "-0" is not), no
  // spaces or '+'. invalid_argument when malformed or outside the 256-bit signed range.
  static Result<VmInteger> from_decimal(std::string_view text);

  const Bytes& le_bytes() const noexcept { return le_; }  // empty for zero
  bool is_negative() const noexcept { return !le_.empty() && (le_.back() & 0x80) != 0; }
  bool fits_i64() const noexcept { return le_.size() <= 8; }
  std::int64_t to_i64() const noexcept;  // meaningful only when fits_i64()
  std::string to_decimal() const;

  friend bool operator==(const VmInteger&, const VmInteger&) = default;

 private:
  Bytes le_;
};

// A contract argument (N3 ContractParameter subset that scripts push directly).
struct ContractParam {
  using Array = std::vector<ContractParam>;
  std::variant<std::nullptr_t, bool, VmInteger, Bytes, std::string, UInt160, Array> value = nullptr;

  static ContractParam null() { return {}; }
  static ContractParam boolean(bool b) { return {b}; }
  static ContractParam integer(std::int64_t v) { return {VmInteger::from_i64(v)}; }
  static ContractParam integer(VmInteger v) { return {std::move(v)}; }
  static ContractParam bytes(Bytes b) { return {std::move(b)}; }
  static ContractParam string(std::string s) { return {std::move(s)}; }
  static ContractParam hash160(const UInt160& h) { return {h}; }
  static ContractParam array(Array items) { return {std::move(items)}; }
};

class ScriptBuilder {
 public:
  ScriptBuilder& emit(OpCode op);
  ScriptBuilder& emit(OpCode op, ByteSpan operand);

  ScriptBuilder& push_int(std::int64_t v);
  ScriptBuilder& push_int(const VmInteger& v);
  ScriptBuilder& push_bytes(ByteSpan data);
  ScriptBuilder& push_string(std::string_view utf8);
  ScriptBuilder& push_bool(bool v);
  ScriptBuilder& push_null();
  ScriptBuilder& push_hash160(const UInt160& h);
  ScriptBuilder& push_param(const ContractParam& p);
  ScriptBuilder& push_array(std::span<const ContractParam> items);

  ScriptBuilder& syscall(std::string_view name);
  ScriptBuilder& syscall(std::uint32_t interop);
  // EmitDynamicCall(scriptHash, method, flags, args).
  ScriptBuilder& contract_call(const UInt160& contract, std::string_view method, CallFlags flags,
                               std::span<const ContractParam> args);

  const Bytes& bytes() const& noexcept { return out_; }
  Bytes take() && { return std::move(out_); }
  std::size_t size() const noexcept { return out_.size(); }

 private:
  Bytes out_;
};

struct Nep17Options {
  // Append ASSERT after the call, so the transaction faults unless transfer returned true; N3's
  // Wallet.MakeTransaction (neo-cli, neo-gui) does this, neon-js does not.
  bool assert_result = false;
};

// NEP-17 transfer(from, to, amount, data) call on `token` with CallFlags.All. amount must be >= 0
// (NEP-17 requires it); the decimal form allows up to 2^255 - 1.
Result<Bytes> nep17_transfer(const UInt160& token, const UInt160& from, const UInt160& to,
                             std::string_view amount_decimal,
                             const ContractParam& data = ContractParam::null(),
                             Nep17Options options = {});
Result<Bytes> nep17_transfer(const UInt160& token, const UInt160& from, const UInt160& to,
                             std::int64_t amount, const ContractParam& data = ContractParam::null(),
                             Nep17Options options = {});

}  // namespace nsl::neo
