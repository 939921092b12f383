#include "chain/neo/script.hpp"

#include <algorithm>
#include <cstdlib>

#include "crypto/hash.hpp"

namespace nsl::neo {
namespace {

// Drops redundant sign-extension bytes so the encoding is minimal (BigInteger.TryWriteBytes).
void minimize(Bytes& le) {
  while (!le.empty()) {
    const std::uint8_t top = le.back();
    if (le.size() == 1) {
      if (top == 0) le.clear();
      return;
    }
    const std::uint8_t next = le[le.size() - 2];
    const bool redundant = (top == 0x00 && (next & 0x80) == 0) || (top == 0xFF && (next & 0x80));
    if (!redundant) return;
    le.pop_back();
  }
}

void negate(Bytes& le) {  // two's complement in place
  unsigned carry = 1;
  for (auto& b : le) {
    carry += static_cast<std::uint8_t>(~b);
    b = static_cast<std::uint8_t>(carry);
    carry >>= 8;
  }
}

}  // namespace

std::uint32_t interop_hash(std::string_view name) {
  const auto d = crypto::sha256(crypto::as_bytes(name));
  return static_cast<std::uint32_t>(d[0]) | static_cast<std::uint32_t>(d[1]) << 8 |
         static_cast<std::uint32_t>(d[2]) << 16 | static_cast<std::uint32_t>(d[3]) << 24;
}

// --- VmInteger -----------------------------------------------------------------------------------

VmInteger VmInteger::from_i64(std::int64_t v) {
  VmInteger r;
  auto u = static_cast<std::uint64_t>(v);
  for (int i = 0; i < 8; ++i) r.le_.push_back(static_cast<std::uint8_t>(u >> (8 * i)));
  minimize(r.le_);
  return r;
}

Result<VmInteger> VmInteger::from_decimal(std::string_view text) {
  const bool neg = !text.empty() && text[0] == '-';
  std::string_view digits = neg ? text.substr(1) : text;
  if (digits.empty()) return err::invalid_argument("integer: empty");
  if (digits.size() > 1 && digits[0] == '0') {
    return err::invalid_argument("integer: leading zeros are not allowed");
  }
  if (neg && digits == "0") return err::invalid_argument("integer: \"-0\" is not allowed");
  // 2^255 has 78 decimal digits; anything longer is out of range for sure.
  if (digits.size() > 78) return err::invalid_argument("integer: out of the 256-bit range");
  Bytes mag;  // magnitude, little-endian
  for (char c : digits) {
    if (c < '0' || c > '9') return err::invalid_argument("integer: not a decimal number");
    unsigned carry = static_cast<unsigned>(c - '0');
    for (auto& b : mag) {
      carry += static_cast<unsigned>(b) * 10;
      b = static_cast<std::uint8_t>(carry);
      carry >>= 8;
    }
    while (carry != 0) {
      mag.push_back(static_cast<std::uint8_t>(carry));
      carry >>= 8;
    }
  }
  mag.push_back(0);  // sign byte: the magnitude as a non-negative two's-complement number
  if (neg) negate(mag);
  minimize(mag);
  if (mag.size() > kMaxSize) return err::invalid_argument("integer: out of the 256-bit range");
  VmInteger r;
  r.le_ = std::move(mag);
  return r;
}

std::int64_t VmInteger::to_i64() const noexcept {
  std::uint64_t u = is_negative() ? ~std::uint64_t{0} : 0;
  for (std::size_t i = 0; i < le_.size() && i < 8; ++i) {
    u &= ~(std::uint64_t{0xFF} << (8 * i));
    u |= static_cast<std::uint64_t>(le_[i]) << (8 * i);
  }
  return static_cast<std::int64_t>(u);
}

std::string VmInteger::to_decimal() const {
  Bytes mag = le_;
  const bool neg = is_negative();
  if (neg) negate(mag);  // magnitude (the sign byte becomes 0 or the value is exactly -2^(8k-1))
  std::string out;
  while (std::any_of(mag.begin(), mag.end(), [](std::uint8_t b) { return b != 0; })) {
    unsigned rem = 0;
    for (std::size_t i = mag.size(); i-- > 0;) {
      const unsigned cur = (rem << 8) | mag[i];
      mag[i] = static_cast<std::uint8_t>(cur / 10);
      rem = cur % 10;
    }
    out.push_back(static_cast<char>('0' + rem));
  }
  if (out.empty()) out.push_back('0');  // (not `out = "0"`: GCC 12 false -Wrestrict, PR 105329)
  if (neg) out.push_back('-');
  std::reverse(out.begin(), out.end());
  return out;
}

// --- ScriptBuilder -------------------------------------------------------------------------------

ScriptBuilder& ScriptBuilder::emit(OpCode op) {
  out_.push_back(static_cast<std::uint8_t>(op));
  return *this;
}

ScriptBuilder& ScriptBuilder::emit(OpCode op, ByteSpan operand) {
  emit(op);
  out_.insert(out_.end(), operand.begin(), operand.end());
  return *this;
}

ScriptBuilder& ScriptBuilder::push_int(std::int64_t v) { return push_int(VmInteger::from_i64(v)); }

ScriptBuilder& ScriptBuilder::push_int(const VmInteger& v) {
  const Bytes& le = v.le_bytes();
  if (le.size() <= 1) {
    const int small = le.empty() ? 0 : static_cast<std::int8_t>(le[0]);
    if (small >= -1 && small <= 16) {
      out_.push_back(static_cast<std::uint8_t>(static_cast<int>(OpCode::PUSH0) + small));
      return *this;
    }
  }
  static constexpr struct {
    std::size_t width;
    OpCode op;
  } kWidths[] = {{1, OpCode::PUSHINT8},  {2, OpCode::PUSHINT16},   {4, OpCode::PUSHINT32},
                 {8, OpCode::PUSHINT64}, {16, OpCode::PUSHINT128}, {32, OpCode::PUSHINT256}};
  for (const auto& w : kWidths) {
    if (le.size() <= w.width) {
      Bytes padded = le;
      padded.resize(w.width, v.is_negative() ? 0xFF : 0x00);
      return emit(w.op, padded);
    }
  }
  std::abort();  // unreachable: VmInteger holds at most 32 bytes
}

ScriptBuilder& ScriptBuilder::push_bytes(ByteSpan data) {
  const std::size_t n = data.size();
  if (n < 0x100) {
    emit(OpCode::PUSHDATA1);
    out_.push_back(static_cast<std::uint8_t>(n));
  } else if (n < 0x10000) {
    emit(OpCode::PUSHDATA2);
    out_.push_back(static_cast<std::uint8_t>(n));
    out_.push_back(static_cast<std::uint8_t>(n >> 8));
  } else {
    if (n > 0xFFFFFFFFu) std::abort();  // no NeoVM item can be that large (MaxItemSize is 1 MiB)
    emit(OpCode::PUSHDATA4);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  }
  out_.insert(out_.end(), data.begin(), data.end());
  return *this;
}

ScriptBuilder& ScriptBuilder::push_string(std::string_view utf8) {
  return push_bytes(crypto::as_bytes(utf8));
}

ScriptBuilder& ScriptBuilder::push_bool(bool v) { return emit(v ? OpCode::PUSHT : OpCode::PUSHF); }

ScriptBuilder& ScriptBuilder::push_null() { return emit(OpCode::PUSHNULL); }

ScriptBuilder& ScriptBuilder::push_hash160(const UInt160& h) { return push_bytes(h.bytes); }

ScriptBuilder& ScriptBuilder::push_param(const ContractParam& p) {
  struct Visitor {
    ScriptBuilder& sb;
    void operator()(std::nullptr_t) { sb.push_null(); }
    void operator()(bool b) { sb.push_bool(b); }
    void operator()(const VmInteger& i) { sb.push_int(i); }
    void operator()(const Bytes& b) { sb.push_bytes(b); }
    void operator()(const std::string& s) { sb.push_string(s); }
    void operator()(const UInt160& h) { sb.push_hash160(h); }
    void operator()(const ContractParam::Array& a) { sb.push_array(a); }
  };
  std::visit(Visitor{*this}, p.value);
  return *this;
}

ScriptBuilder& ScriptBuilder::push_array(std::span<const ContractParam> items) {
  if (items.empty()) return emit(OpCode::NEWARRAY0);
  for (std::size_t i = items.size(); i-- > 0;) push_param(items[i]);
  push_int(static_cast<std::int64_t>(items.size()));
  return emit(OpCode::PACK);
}

ScriptBuilder& ScriptBuilder::syscall(std::string_view name) { return syscall(interop_hash(name)); }

ScriptBuilder& ScriptBuilder::syscall(std::uint32_t interop) {
  emit(OpCode::SYSCALL);
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(interop >> (8 * i)));
  return *this;
}

ScriptBuilder& ScriptBuilder::contract_call(const UInt160& contract, std::string_view method,
                                            CallFlags flags, std::span<const ContractParam> args) {
  push_array(args);
  push_int(static_cast<std::int64_t>(flags));
  push_string(method);
  push_hash160(contract);
  return syscall("System.Contract.Call");
}

// --- NEP-17 --------------------------------------------------------------------------------------

Result<Bytes> nep17_transfer(const UInt160& token, const UInt160& from, const UInt160& to,
                             std::string_view amount_decimal, const ContractParam& data,
                             Nep17Options options) {
  auto amount = VmInteger::from_decimal(amount_decimal);
  if (!amount) return err::invalid_argument("nep17 amount: " + amount.error().message());
  if (amount->is_negative()) return err::invalid_argument("nep17 amount: must not be negative");
  const ContractParam args[] = {ContractParam::hash160(from), ContractParam::hash160(to),
                                ContractParam::integer(std::move(amount).value()), data};
  ScriptBuilder sb;
  sb.contract_call(token, "transfer", CallFlags::All, args);
  if (options.assert_result) sb.emit(OpCode::ASSERT);
  return std::move(sb).take();
}

Result<Bytes> nep17_transfer(const UInt160& token, const UInt160& from, const UInt160& to,
                             std::int64_t amount, const ContractParam& data, Nep17Options options) {
  if (amount < 0) return err::invalid_argument("nep17 amount: must not be negative");
  return nep17_transfer(token, from, to, VmInteger::from_i64(amount).to_decimal(), data, options);
}

}  // namespace nsl::neo
