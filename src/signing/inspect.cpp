#include "signing/inspect.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "chain/evm/eip191.hpp"
#include "chain/evm/eip712.hpp"
#include "chain/neo/script.hpp"

namespace nsl::signing {
namespace {

// ---- N3 script walker -----------------------------------------------------------------------------

struct Item {
  enum class Kind : std::uint8_t { integer, bytes, boolean, null, array, map, result };
  Kind kind = Kind::null;
  Bytes data;               // integer: little-endian two's complement as pushed; bytes: the content
  std::vector<Item> items;  // array
  std::size_t depth = 0;    // arrays/maps: nesting level (1 = flat)
};

bool int_negative(const Bytes& le) { return !le.empty() && (le.back() & 0x80) != 0; }

// A non-negative integer item as a U256 (every non-negative 256-bit NeoVM integer fits).
std::optional<evm::U256> int_u256(const Item& it) {
  if (it.kind != Item::Kind::integer || int_negative(it.data) || it.data.size() > 32) return std::nullopt;
  std::array<std::uint8_t, 32> be{};
  for (std::size_t i = 0; i < it.data.size(); ++i) be[31 - i] = it.data[i];
  return evm::U256::from_be32(be);
}

std::optional<std::uint64_t> int_small(const Item& it) {
  const auto v = int_u256(it);
  if (!v) return std::nullopt;
  return v->to_u64();
}

std::string hex_byte(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

class Walker {
 public:
  explicit Walker(ByteSpan script) : s_(script) {}

  NeoScript run() {
    NeoScript out;
    while (pc_ < s_.size()) {
      const std::size_t at = pc_;
      const std::uint8_t op = s_[pc_++];
      const bool after_call = last_was_call_;
      last_was_call_ = false;
      std::string why = step(op, after_call, out);
      if (!why.empty()) return opaque(std::move(why) + " at offset " + std::to_string(at));
      if (stack_.size() > kMaxScriptStack) return opaque("stack deeper than " + std::to_string(kMaxScriptStack));
    }
    if (stack_.size() != base_) return opaque("values pushed after the last contract call are never used");
    out.understood = true;
    return out;
  }

 private:
  static NeoScript opaque(std::string why) {
    NeoScript s;
    s.why = std::move(why);
    return s;
  }

  bool take(std::size_t n, ByteSpan& out) {
    if (s_.size() - pc_ < n) return false;
    out = s_.subspan(pc_, n);
    pc_ += n;
    return true;
  }

  bool take_le(std::size_t width, std::uint64_t& v) {
    ByteSpan b;
    if (!take(width, b)) return false;
    v = 0;
    for (std::size_t i = 0; i < width; ++i) v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
    return true;
  }

  void push_int(Bytes le) { stack_.push_back(Item{Item::Kind::integer, std::move(le), {}, 0}); }

  std::size_t operands() const { return stack_.size() - base_; }

  Item pop() {
    Item it = std::move(stack_.back());
    stack_.pop_back();
    return it;
  }

  // "" on success, else why the script is not understood.
  std::string step(std::uint8_t op, bool after_call, NeoScript& out) {
    using neo::OpCode;
    if (op <= static_cast<std::uint8_t>(OpCode::PUSHINT256)) {
      const std::size_t width = std::size_t{1} << op;
      ByteSpan b;
      if (!take(width, b)) return "truncated PUSHINT";
      push_int(Bytes(b.begin(), b.end()));
      return "";
    }
    if (op >= static_cast<std::uint8_t>(OpCode::PUSHM1) && op <= static_cast<std::uint8_t>(OpCode::PUSH16)) {
      if (op == static_cast<std::uint8_t>(OpCode::PUSHM1)) {
        push_int({0xff});
      } else if (op == static_cast<std::uint8_t>(OpCode::PUSH0)) {
        push_int({});
      } else {
        push_int({static_cast<std::uint8_t>(op - static_cast<std::uint8_t>(OpCode::PUSH0))});
      }
      return "";
    }
    switch (op) {
      case static_cast<std::uint8_t>(OpCode::PUSHT):
      case static_cast<std::uint8_t>(OpCode::PUSHF):
        stack_.push_back(Item{Item::Kind::boolean, {static_cast<std::uint8_t>(op == 0x08)}, {}, 0});
        return "";
      case static_cast<std::uint8_t>(OpCode::PUSHNULL):
        stack_.push_back(Item{});
        return "";
      case static_cast<std::uint8_t>(OpCode::PUSHDATA1):
      case static_cast<std::uint8_t>(OpCode::PUSHDATA2):
      case static_cast<std::uint8_t>(OpCode::PUSHDATA4): {
        const std::size_t width = op == 0x0C ? 1 : op == 0x0D ? 2 : 4;
        std::uint64_t len = 0;
        ByteSpan b;
        if (!take_le(width, len) || !take(static_cast<std::size_t>(len), b)) return "truncated PUSHDATA";
        stack_.push_back(Item{Item::Kind::bytes, Bytes(b.begin(), b.end()), {}, 0});
        return "";
      }
      case static_cast<std::uint8_t>(OpCode::NOP):
        return "";
      case static_cast<std::uint8_t>(OpCode::NEWARRAY0):
        stack_.push_back(Item{Item::Kind::array, {}, {}, 1});
        return "";
      case 0xC8:  // NEWMAP
        stack_.push_back(Item{Item::Kind::map, {}, {}, 1});
        return "";
      case static_cast<std::uint8_t>(OpCode::PACK):
      case 0xBE: {  // PACKMAP
        const bool map = op == 0xBE;
        if (operands() < 1) return "PACK without a count";
        const auto n = int_small(stack_.back());
        if (!n) return "PACK count is not a small non-negative integer";
        const std::uint64_t need = map ? 2 * *n : *n;
        if (operands() - 1 < need) return "PACK reaches below the values pushed for this call";
        stack_.pop_back();
        Item packed{map ? Item::Kind::map : Item::Kind::array, {}, {}, 1};
        for (std::uint64_t i = 0; i < need; ++i) {
          Item it = pop();
          if (map && i % 2 == 0 && it.kind != Item::Kind::integer && it.kind != Item::Kind::bytes &&
              it.kind != Item::Kind::boolean) {
            return "map key is not a primitive value";
          }
          packed.depth = std::max(packed.depth, it.depth + 1);
          if (!map) packed.items.push_back(std::move(it));
        }
        if (packed.depth > kMaxScriptNesting) return "arrays nested deeper than " + std::to_string(kMaxScriptNesting);
        stack_.push_back(std::move(packed));
        return "";
      }
      case static_cast<std::uint8_t>(OpCode::ASSERT):
        if (!after_call) return "ASSERT that does not follow a contract call";
        stack_.pop_back();  // the call's result
        --base_;
        return "";
      case static_cast<std::uint8_t>(OpCode::SYSCALL): {
        std::uint64_t id = 0;
        if (!take_le(4, id)) return "truncated SYSCALL";
        if (id != neo::kSyscallContractCall) return "a syscall other than System.Contract.Call";
        return call(out);
      }
      default:
        return "opcode " + hex_byte(op) + " is not part of a contract call";
    }
  }

  std::string call(NeoScript& out) {
    if (operands() != 4) {
      return operands() < 4 ? "System.Contract.Call without its four operands"
                            : "values pushed before a contract call are never used";
    }
    Item hash = pop();
    Item method = pop();
    Item flags = pop();
    Item args = pop();
    if (hash.kind != Item::Kind::bytes || hash.data.size() != 20) return "the called contract is not a 20-byte hash";
    if (method.kind != Item::Kind::bytes || method.data.empty() || method.data[0] == '_') {
      return "the called method is not a method name";
    }
    const auto f = int_small(flags);
    if (!f || *f > static_cast<std::uint64_t>(neo::CallFlags::All)) return "the call flags are not valid CallFlags";
    if (args.kind != Item::Kind::array) return "the call arguments are not an array";
    NeoCall c;
    std::copy(hash.data.begin(), hash.data.end(), c.contract.bytes.begin());
    c.method.assign(method.data.begin(), method.data.end());
    c.call_flags = static_cast<std::uint8_t>(*f);
    c.arg_count = args.items.size();
    if (c.method == "transfer") {
      const auto& a = args.items;
      const auto amount = a.size() == 4 ? int_u256(a[2]) : std::nullopt;
      if (a.size() == 4 && a[0].kind == Item::Kind::bytes && a[0].data.size() == 20 &&
          a[1].kind == Item::Kind::bytes && a[1].data.size() == 20 && amount) {
        Nep17Transfer t;
        std::copy(a[0].data.begin(), a[0].data.end(), t.from.bytes.begin());
        std::copy(a[1].data.begin(), a[1].data.end(), t.to.bytes.begin());
        t.amount = *amount;
        c.transfer = t;
      } else {
        c.transfer_malformed = true;
      }
    }
    out.calls.push_back(std::move(c));
    // Every remaining item is an earlier call's result; this call's result goes on top of them.
    stack_.push_back(Item{Item::Kind::result, {}, {}, 0});
    base_ = stack_.size();
    last_was_call_ = true;
    return "";
  }

  ByteSpan s_;
  std::size_t pc_ = 0;
  std::vector<Item> stack_;
  std::size_t base_ = 0;  // items below this index are call results
  bool last_was_call_ = false;
};

// ---- EVM ------------------------------------------------------------------------------------------

std::optional<evm::Address> abi_address(ByteSpan word) {
  if (!std::all_of(word.begin(), word.begin() + 12, [](std::uint8_t b) { return b == 0; })) return std::nullopt;
  evm::Address a;
  std::copy(word.begin() + 12, word.end(), a.bytes.begin());
  return a;
}

evm::U256 abi_u256(ByteSpan word) {
  std::array<std::uint8_t, 32> be{};
  std::copy(word.begin(), word.end(), be.begin());
  return evm::U256::from_be32(be);
}

void decode_erc20(EvmCall& c) {
  if (!c.selector || !c.tx.to) return;
  const auto& sel = *c.selector;
  const bool transfer = sel == kErc20Transfer;
  const bool approve = sel == kErc20Approve;
  const bool from = sel == kErc20TransferFrom;
  if (!transfer && !approve && !from) return;
  const std::size_t words = from ? 3 : 2;
  const ByteSpan data(c.tx.data);
  if (data.size() != 4 + 32 * words) {
    c.erc20_malformed = true;
    return;
  }
  const auto word = [&](std::size_t i) { return data.subspan(4 + 32 * i, 32); };
  Erc20Call e;
  e.kind = transfer ? Erc20Call::Kind::transfer : approve ? Erc20Call::Kind::approve : Erc20Call::Kind::transfer_from;
  std::size_t i = 0;
  if (from) {
    e.from = abi_address(word(i++));
    if (!e.from) {
      c.erc20_malformed = true;
      return;
    }
  }
  const auto to = abi_address(word(i++));
  if (!to) {
    c.erc20_malformed = true;
    return;
  }
  e.to = *to;
  e.amount = abi_u256(word(i));
  c.erc20 = e;
}

// The domain's chainId of EIP-712 typed data (already validated by eip712_hash).
void eip712_chain(const nlohmann::json& typed, Decoded& d) {
  const auto dom = typed.find("domain");
  if (dom == typed.end() || !dom->is_object()) return;
  const auto id = dom->find("chainId");
  if (id == dom->end()) return;
  if (id->is_number_unsigned()) {
    d.eip712_chain_id = id->get<std::uint64_t>();
    return;
  }
  if (id->is_string()) {
    const std::string s = id->get<std::string>();
    auto v = s.rfind("0x", 0) == 0 ? evm::U256::from_hex(s) : evm::U256::from_decimal(s);
    if (v.ok() && v->to_u64()) {
      d.eip712_chain_id = *v->to_u64();
      return;
    }
  }
  d.eip712_chain_unreadable = true;
}

}  // namespace

NeoScript inspect_neo_script(ByteSpan script) { return Walker(script).run(); }

Result<EvmCall> inspect_evm_tx(ByteSpan signing_payload) {
  EvmCall c;
  NSL_TRY_ASSIGN(c.tx, evm::decode_unsigned_transaction(signing_payload));
  if (c.tx.data.size() >= 4) {
    std::array<std::uint8_t, 4> sel{};
    std::copy_n(c.tx.data.begin(), 4, sel.begin());
    c.selector = sel;
  }
  decode_erc20(c);
  return c;
}

Result<Decoded> inspect(Format f, ByteSpan payload, const InspectOptions& options) {
  Decoded d;
  d.format = f;
  switch (f) {
    case Format::raw_digest:
    case Format::neo_message:
    case Format::eip191: {
      NSL_TRY_ASSIGN(d.digest, signing_digest(f, payload, options.network_magic));
      return d;
    }
    case Format::eip712: {
      NSL_TRY_ASSIGN(const nlohmann::json typed, parse_typed_data(payload));
      NSL_TRY_ASSIGN(const evm::Eip712Hashes h, evm::eip712_hash(typed));
      d.digest = h.digest;
      eip712_chain(typed, d);
      return d;
    }
    case Format::neo_tx: {
      if (options.network_magic == 0) return err::invalid_argument("neo_tx: network_magic is required");
      NeoTx n;
      NSL_TRY_ASSIGN(n.tx, neo::deserialize_unsigned(payload));
      NSL_TRY_ASSIGN(const neo::UInt256 hash, neo::tx_hash(n.tx));
      d.digest = neo::sign_digest(options.network_magic, hash);
      n.script = inspect_neo_script(n.tx.script);
      d.neo = std::move(n);
      return d;
    }
    case Format::evm_tx: {
      NSL_TRY_ASSIGN(EvmCall c, inspect_evm_tx(payload));
      NSL_TRY_ASSIGN(d.digest, evm::signing_hash(c.tx));
      d.evm = std::move(c);
      return d;
    }
  }
  return err::invalid_argument("unknown signing format");
}

}  // namespace nsl::signing
