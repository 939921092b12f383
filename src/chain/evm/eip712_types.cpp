// EIP-712 `types` validation, encodeType and typeHash (see eip712.hpp).
#include <algorithm>
#include <set>

#include "chain/evm/eip712.hpp"
#include "chain/evm/internal/eip712_atomic.hpp"
#include "crypto/hash.hpp"

namespace nsl::evm {
namespace internal {

namespace {
// Parses the decimal suffix of uintN/intN/bytesN: no leading zero, at most 3 digits.
std::optional<unsigned> small_number(std::string_view s) noexcept {
  if (s.empty() || s.size() > 3 || s[0] == '0') return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}
}  // namespace

std::optional<AtomicType> parse_atomic_type(std::string_view name) noexcept {
  if (name == "bool") return AtomicType{AtomicKind::boolean};
  if (name == "address") return AtomicType{AtomicKind::address};
  if (name == "bytes") return AtomicType{AtomicKind::bytes};
  if (name == "string") return AtomicType{AtomicKind::string};
  auto sized = [&](std::string_view prefix, AtomicKind kind, unsigned lo, unsigned hi,
                   unsigned step) -> std::optional<AtomicType> {
    if (!name.starts_with(prefix)) return std::nullopt;
    const auto n = small_number(name.substr(prefix.size()));
    if (!n || *n < lo || *n > hi || *n % step != 0) return std::nullopt;
    return AtomicType{kind, *n};
  };
  if (auto t = sized("uint", AtomicKind::uint_n, 8, 256, 8)) return t;
  if (auto t = sized("int", AtomicKind::int_n, 8, 256, 8)) return t;
  return sized("bytes", AtomicKind::bytes_n, 1, 32, 1);
}

}  // namespace internal

namespace {

using nlohmann::json;
using Struct = Eip712Types::Struct;
using StructMap = std::map<std::string, Struct, std::less<>>;

constexpr std::size_t kMaxFixedLengthDigits = 9;

bool is_identifier(std::string_view s) noexcept {
  if (s.empty()) return false;
  auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
           (!first && c >= '0' && c <= '9');
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!ok(s[i], i == 0)) return false;
  }
  return true;
}

Error types_error(const std::string& m) { return err::invalid_argument("eip712 types: " + m); }

// "Person[2][]" -> base "Person", dims {2, 0}.
Status parse_field_type(const std::string& where, Eip712Types::Field& f) {
  const std::string_view t = f.type;
  const auto bracket = t.find('[');
  f.base = std::string(t.substr(0, bracket));
  if (!is_identifier(f.base)) return types_error(where + " has a malformed type '" + f.type + "'");
  std::string_view rest = bracket == std::string_view::npos ? "" : t.substr(bracket);
  while (!rest.empty()) {
    const auto close = rest.find(']');
    if (rest[0] != '[' || close == std::string_view::npos) {
      return types_error(where + " has a malformed array suffix in '" + f.type + "'");
    }
    const std::string_view digits = rest.substr(1, close - 1);
    std::size_t k = 0;
    if (!digits.empty()) {
      if (digits.size() > kMaxFixedLengthDigits || digits[0] == '0' ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return types_error(where + " has an invalid fixed array length in '" + f.type + "'");
      }
      for (char c : digits) k = k * 10 + static_cast<std::size_t>(c - '0');
    }
    f.dims.push_back(k);
    rest.remove_prefix(close + 1);
  }
  if (f.dims.size() > kEip712MaxArrayDims) {
    return types_error(where + " has more than " + std::to_string(kEip712MaxArrayDims) +
                       " array dimensions");
  }
  return ok_status();
}

Result<std::vector<Eip712Types::Field>> parse_fields(const std::string& struct_name,
                                                     const json& arr) {
  if (!arr.is_array()) return types_error(struct_name + " must be an array of {name, type}");
  std::vector<Eip712Types::Field> fields;
  std::set<std::string, std::less<>> seen;
  for (const json& fj : arr) {
    if (!fj.is_object() || fj.size() != 2 || !fj.contains("name") || !fj.contains("type") ||
        !fj["name"].is_string() || !fj["type"].is_string()) {
      return types_error(struct_name +
                         " fields must be objects {\"name\": string, \"type\": string}");
    }
    Eip712Types::Field f;
    f.name = fj["name"].get<std::string>();
    f.type = fj["type"].get<std::string>();
    const std::string where = "field " + struct_name + "." + f.name;
    if (!is_identifier(f.name)) {
      return types_error(struct_name + " has an invalid field name '" + f.name + "'");
    }
    if (!seen.insert(f.name).second) return types_error(where + " is declared twice");
    NSL_TRY(parse_field_type(where, f));
    fields.push_back(std::move(f));
  }
  return fields;
}

Status check_domain_type(const std::vector<Eip712Types::Field>& fields) {
  static const std::map<std::string, std::string, std::less<>> kStandard = {
      {"name", "string"},
      {"version", "string"},
      {"chainId", "uint256"},
      {"verifyingContract", "address"},
      {"salt", "bytes32"}};
  for (const auto& f : fields) {
    const auto it = kStandard.find(f.name);
    if (it == kStandard.end()) {
      return types_error("EIP712Domain field '" + f.name +
                         "' is not one of name, version, chainId, verifyingContract, salt");
    }
    if (f.type != it->second) {
      return types_error("EIP712Domain." + f.name + " must have type " + it->second);
    }
  }
  return ok_status();
}

// Depth-first walk rejecting cycles and over-deep nesting. `state`: 1 = on the stack, 2 = done.
Status check_acyclic(const StructMap& structs, const std::string& name,
                     std::map<std::string, int, std::less<>>& state,
                     std::vector<std::string>& stack) {
  state[name] = 1;
  stack.push_back(name);
  if (stack.size() > kEip712MaxTypeDepth) {
    return types_error("struct types nested deeper than " + std::to_string(kEip712MaxTypeDepth));
  }
  for (const auto& f : structs.find(name)->second.fields) {
    if (!structs.contains(f.base)) continue;
    const int st = state[f.base];
    if (st == 1) {
      std::string cycle;
      auto from = std::find(stack.begin(), stack.end(), f.base);
      for (auto it = from; it != stack.end(); ++it) cycle += *it + " -> ";
      return types_error("cyclic type reference: " + cycle + f.base);
    }
    if (st == 0) NSL_TRY(check_acyclic(structs, f.base, state, stack));
  }
  stack.pop_back();
  state[name] = 2;
  return ok_status();
}

void collect_deps(const StructMap& structs, const std::string& name, std::set<std::string>& out) {
  for (const auto& f : structs.find(name)->second.fields) {
    if (structs.contains(f.base) && out.insert(f.base).second) collect_deps(structs, f.base, out);
  }
}

std::string struct_signature(const std::string& name, const Struct& s) {
  std::string out = name + "(";
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    if (i > 0) out += ",";
    out += s.fields[i].type + " " + s.fields[i].name;
  }
  return out + ")";
}

}  // namespace

Result<Eip712Types> Eip712Types::parse(const json& types) {
  try {
    if (!types.is_object()) return types_error("types must be an object");
    Eip712Types out;
    for (const auto& [name, arr] : types.items()) {
      if (!is_identifier(name)) return types_error("invalid struct name '" + name + "'");
      if (internal::parse_atomic_type(name)) {
        return types_error("struct name '" + name + "' collides with an atomic type");
      }
      NSL_TRY_ASSIGN(auto fields, parse_fields(name, arr));
      if (name == "EIP712Domain") NSL_TRY(check_domain_type(fields));
      out.structs_[name].fields = std::move(fields);
    }
    for (const auto& [name, s] : out.structs_) {
      for (const auto& f : s.fields) {
        if (!internal::parse_atomic_type(f.base) && !out.structs_.contains(f.base)) {
          return types_error("field " + name + "." + f.name + " has unknown type '" + f.base + "'");
        }
      }
    }
    std::map<std::string, int, std::less<>> state;
    for (const auto& [name, s] : out.structs_) {
      std::vector<std::string> stack;
      if (state[name] == 0) NSL_TRY(check_acyclic(out.structs_, name, state, stack));
    }
    for (auto& [name, s] : out.structs_) {
      std::set<std::string> deps;  // std::set orders by byte value: the EIP's alphabetical order
      collect_deps(out.structs_, name, deps);
      deps.erase(name);
      s.encoded_type = struct_signature(name, s);
      for (const auto& d : deps) s.encoded_type += struct_signature(d, out.structs_.at(d));
      s.type_hash = crypto::keccak256(crypto::as_bytes(s.encoded_type));
    }
    return out;
  } catch (const json::exception&) {
    return types_error("malformed JSON");
  }
}

bool Eip712Types::contains(std::string_view struct_name) const {
  return structs_.find(struct_name) != structs_.end();
}

Result<std::string> Eip712Types::encode_type(std::string_view struct_name) const {
  const auto it = structs_.find(struct_name);
  if (it == structs_.end()) return types_error("unknown type '" + std::string(struct_name) + "'");
  return it->second.encoded_type;
}

Result<Hash32> Eip712Types::type_hash(std::string_view struct_name) const {
  const auto it = structs_.find(struct_name);
  if (it == structs_.end()) return types_error("unknown type '" + std::string(struct_name) + "'");
  return it->second.type_hash;
}

}  // namespace nsl::evm
