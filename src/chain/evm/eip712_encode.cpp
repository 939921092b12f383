// EIP-712 encodeData/hashStruct for JSON values, the domain separator and the final digest (see
// eip712.hpp).
#include <algorithm>
#include <cstdint>
#include <limits>

#include "chain/evm/eip712.hpp"
#include "chain/evm/hex.hpp"
#include "chain/evm/internal/eip712_atomic.hpp"
#include "crypto/hash.hpp"

namespace nsl::evm {
namespace {

using internal::AtomicKind;
using internal::AtomicType;
using nlohmann::json;

Error value_error(const std::string& path, const std::string& m) {
  return err::invalid_argument(path + ": " + m);
}

struct Integer {
  U256 magnitude;
  bool negative = false;
};

Result<Integer> json_integer(const json& v, const std::string& path) {
  if (v.is_number_unsigned()) return Integer{U256::from_u64(v.get<std::uint64_t>()), false};
  if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (i >= 0) return Integer{U256::from_u64(static_cast<std::uint64_t>(i)), false};
    // -(i) without overflowing for INT64_MIN.
    return Integer{U256::from_u64(~static_cast<std::uint64_t>(i) + 1), true};
  }
  if (v.is_number_float()) {
    return value_error(path, "must be an integer (use a decimal string for large values)");
  }
  if (!v.is_string()) return value_error(path, "must be an integer or a numeric string");
  std::string_view s = v.get_ref<const std::string&>();
  Integer out;
  if (!s.empty() && s[0] == '-') {
    out.negative = true;
    s.remove_prefix(1);
  }
  auto parsed = s.starts_with("0x") ? U256::from_hex(s) : U256::from_decimal(s);
  if (!parsed.ok()) return value_error(path, parsed.error().message());
  out.magnitude = *parsed;
  if (out.magnitude.is_zero()) out.negative = false;  // "-0"
  return out;
}

U256 power_of_two(unsigned bit) {
  std::array<std::uint8_t, 32> be{};
  be[31 - bit / 8] = static_cast<std::uint8_t>(1u << (bit % 8));
  return U256::from_be32(be);
}

Result<Hash32> encode_integer(const AtomicType& t, const json& v, const std::string& path) {
  NSL_TRY_ASSIGN(const Integer x, json_integer(v, path));
  const std::string type = (t.kind == AtomicKind::uint_n ? "uint" : "int") + std::to_string(t.size);
  if (t.kind == AtomicKind::uint_n) {
    if (x.negative) return value_error(path, "negative value for " + type);
    if (x.magnitude.bit_length() > t.size)
      return value_error(path, "value out of range for " + type);
    return x.magnitude.be32();
  }
  // intN: -2^(N-1) <= v < 2^(N-1)
  const U256 limit = power_of_two(t.size - 1);
  if (x.negative ? x.magnitude > limit : x.magnitude >= limit) {
    return value_error(path, "value out of range for " + type);
  }
  return (x.negative ? x.magnitude.negated() : x.magnitude).be32();
}

Result<Hash32> encode_atomic(const AtomicType& t, const json& v, const std::string& path) {
  Hash32 out{};
  switch (t.kind) {
    case AtomicKind::uint_n:
    case AtomicKind::int_n:
      return encode_integer(t, v, path);
    case AtomicKind::boolean:
      if (!v.is_boolean()) return value_error(path, "must be a JSON boolean");
      out[31] = v.get<bool>() ? 1 : 0;
      return out;
    case AtomicKind::address: {
      if (!v.is_string()) return value_error(path, "address must be a string");
      auto a = parse_address(v.get_ref<const std::string&>());
      if (!a.ok()) return value_error(path, a.error().message());
      std::copy(a->bytes.begin(), a->bytes.end(), out.begin() + 12);
      return out;
    }
    case AtomicKind::string:
      if (!v.is_string()) return value_error(path, "must be a string");
      return crypto::keccak256(crypto::as_bytes(v.get_ref<const std::string&>()));
    case AtomicKind::bytes:
    case AtomicKind::bytes_n: {
      if (!v.is_string()) return value_error(path, "must be a 0x hex string");
      NSL_TRY_ASSIGN(const Bytes b, parse_0x_hex(v.get_ref<const std::string&>(), path));
      if (t.kind == AtomicKind::bytes) return crypto::keccak256(b);
      if (b.size() != t.size) {
        return value_error(path, "bytes" + std::to_string(t.size) + " needs exactly " +
                                     std::to_string(t.size) + " bytes, got " +
                                     std::to_string(b.size()));
      }
      std::copy(b.begin(), b.end(), out.begin());
      return out;
    }
  }
  return err::internal("unhandled EIP-712 atomic type");
}

// Restores `path` to its length at construction when it goes out of scope.
class PathGuard {
 public:
  explicit PathGuard(std::string& p) : p_(p), n_(p.size()) {}
  ~PathGuard() { p_.resize(n_); }
  PathGuard(const PathGuard&) = delete;
  PathGuard& operator=(const PathGuard&) = delete;

 private:
  std::string& p_;
  std::size_t n_;
};

Error top_error(const std::string& m) { return err::invalid_argument("eip712: " + m); }

}  // namespace

Result<Hash32> Eip712Types::encode_value(std::string_view base, const std::size_t* dims,
                                         std::size_t ndims, const json& value, std::string& path,
                                         std::size_t depth) const {
  if (depth > kEip712MaxValueDepth) {
    return value_error(path, "nested deeper than " + std::to_string(kEip712MaxValueDepth));
  }
  if (ndims > 0) {
    // The last suffix is the outermost array: T[2][] is a dynamic array of T[2].
    const std::size_t k = dims[ndims - 1];
    if (!value.is_array()) return value_error(path, "must be an array");
    if (k != 0 && value.size() != k) {
      return value_error(path, "fixed array needs " + std::to_string(k) + " elements, got " +
                                   std::to_string(value.size()));
    }
    crypto::Keccak256 h;
    for (std::size_t i = 0; i < value.size(); ++i) {
      PathGuard g(path);
      path += "[" + std::to_string(i) + "]";
      NSL_TRY_ASSIGN(const Hash32 e,
                     encode_value(base, dims, ndims - 1, value[i], path, depth + 1));
      h.update(e);
    }
    return h.finish();
  }
  if (const auto atomic = internal::parse_atomic_type(base))
    return encode_atomic(*atomic, value, path);
  const auto it = structs_.find(base);
  if (it == structs_.end()) return value_error(path, "unknown type '" + std::string(base) + "'");
  NSL_TRY_ASSIGN(const Bytes enc, encode_data_at(it->second, base, value, path, depth + 1));
  return crypto::keccak256(enc);
}

Result<Bytes> Eip712Types::encode_data_at(const Struct& s, std::string_view name, const json& value,
                                          std::string& path, std::size_t depth) const {
  if (!value.is_object()) return value_error(path, std::string(name) + " value must be an object");
  for (const auto& item : value.items()) {
    // A plain variable, not a structured binding: Clang 14 cannot capture bindings in lambdas.
    const std::string& key = item.key();
    const bool declared = std::any_of(s.fields.begin(), s.fields.end(),
                                      [&](const Field& f) { return f.name == key; });
    if (!declared) {
      return value_error(path,
                         "unknown field '" + key + "' (not in type " + std::string(name) + ")");
    }
  }
  Bytes out(s.type_hash.begin(), s.type_hash.end());
  out.reserve(32 * (s.fields.size() + 1));
  for (const auto& f : s.fields) {
    PathGuard g(path);
    path += "." + f.name;
    const auto it = value.find(f.name);
    if (it == value.end()) return value_error(path, "missing field (type " + f.type + ")");
    NSL_TRY_ASSIGN(const Hash32 e,
                   encode_value(f.base, f.dims.data(), f.dims.size(), *it, path, depth));
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

Result<Bytes> Eip712Types::encode_data(std::string_view struct_name, const json& value,
                                       std::string_view path) const {
  const auto it = structs_.find(struct_name);
  if (it == structs_.end()) {
    return err::invalid_argument("eip712 types: unknown type '" + std::string(struct_name) + "'");
  }
  std::string p(path);
  try {
    return encode_data_at(it->second, struct_name, value, p, 0);
  } catch (const json::exception&) {
    return value_error(p, "malformed JSON value");
  }
}

Result<Hash32> Eip712Types::hash_struct(std::string_view struct_name, const json& value,
                                        std::string_view path) const {
  NSL_TRY_ASSIGN(const Bytes enc, encode_data(struct_name, value, path));
  return crypto::keccak256(enc);
}

namespace {

// The EIP712Domain declaration implied by the keys of `domain`, in the standard order.
Result<json> derived_domain_type(const json& domain) {
  static const std::pair<const char*, const char*> kOrder[] = {{"name", "string"},
                                                               {"version", "string"},
                                                               {"chainId", "uint256"},
                                                               {"verifyingContract", "address"},
                                                               {"salt", "bytes32"}};
  json fields = json::array();
  for (const auto& [name, type] : kOrder) {
    if (domain.contains(name)) fields.push_back({{"name", name}, {"type", type}});
  }
  if (fields.size() != domain.size()) {
    return top_error(
        "domain has a field other than name, version, chainId, verifyingContract, salt");
  }
  return fields;
}

Result<Eip712Hashes> hash_typed_data(const json& td) {
  if (!td.is_object()) return top_error("typed data must be a JSON object");
  for (const char* key : {"types", "primaryType", "domain"}) {
    if (!td.contains(key)) return top_error(std::string("missing '") + key + "'");
  }
  if (!td["primaryType"].is_string()) return top_error("primaryType must be a string");
  if (!td["domain"].is_object()) return top_error("domain must be an object");
  const std::string& primary = td["primaryType"].get_ref<const std::string&>();
  const json& domain = td["domain"];

  json types = td["types"];
  if (types.is_object() && !types.contains("EIP712Domain")) {
    NSL_TRY_ASSIGN(types["EIP712Domain"], derived_domain_type(domain));
  }
  NSL_TRY_ASSIGN(const Eip712Types parsed, Eip712Types::parse(types));
  if (!parsed.contains(primary)) return top_error("primaryType '" + primary + "' is not in types");

  Eip712Hashes out;
  NSL_TRY_ASSIGN(out.encode_type, parsed.encode_type(primary));
  NSL_TRY_ASSIGN(out.type_hash, parsed.type_hash(primary));
  NSL_TRY_ASSIGN(out.domain_separator, parsed.hash_struct("EIP712Domain", domain, "domain"));
  crypto::Keccak256 h;
  const std::uint8_t prefix[2] = {0x19, 0x01};
  h.update(prefix);
  h.update(out.domain_separator);
  if (primary != "EIP712Domain") {
    if (!td.contains("message")) return top_error("missing 'message'");
    NSL_TRY_ASSIGN(out.struct_hash, parsed.hash_struct(primary, td["message"], "message"));
    h.update(*out.struct_hash);
  }
  out.digest = h.finish();
  return out;
}

}  // namespace

Result<Eip712Hashes> eip712_hash(const json& typed_data) {
  try {
    return hash_typed_data(typed_data);
  } catch (const json::exception&) {
    return top_error("malformed typed data");
  }
}

Result<Signature65> eip712_sign(const SecretBytes& private_key, const json& typed_data) {
  NSL_TRY_ASSIGN(const Eip712Hashes h, eip712_hash(typed_data));
  return sign_hash_65(private_key, h.digest);
}

Result<Address> eip712_recover(const json& typed_data, ByteSpan signature65) {
  NSL_TRY_ASSIGN(const Eip712Hashes h, eip712_hash(typed_data));
  return recover_address_65(h.digest, signature65);
}

}  // namespace nsl::evm
