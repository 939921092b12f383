// nsl/chain/evm/eip712.hpp — EIP-712 typed structured data hashing and signing
// (eth_signTypedData_v4), from its JSON form {types, primaryType, domain, message}.
//
//   encodeType(T)   = T(type1 name1,...) then every struct type T references (directly or
//                     through arrays/other structs), sorted by name, each in the same form
//   typeHash(T)     = keccak256(encodeType(T))
//   encodeData(T,v) = typeHash(T) || enc(field1) || ... , each enc 32 bytes:
//                     uintN/intN  two's complement, sign-extended;  bool 0/1;  address left-padded;
//                     bytesN right-padded;  bytes, string  keccak256 of the contents;
//                     struct  hashStruct;  array (T[] or T[k], nested)  keccak256(enc(e0) || ...)
//   hashStruct(T,v) = keccak256(encodeData(T, v))
//   digest          = keccak256(0x19 0x01 || hashStruct(EIP712Domain, domain) ||
//                               hashStruct(primaryType, message))
// (primaryType "EIP712Domain" signs the domain alone: keccak256(0x19 0x01 || domainSeparator).)
// When `types` has no EIP712Domain entry it is derived from the domain's keys in the order name,
// version, chainId, verifyingContract, salt.
//
// Validation is strict, every error is invalid_argument naming the type or the value path
// ("message.to[1].wallet: ..."):
//   types     struct and field names are identifiers ([A-Za-z_$][A-Za-z0-9_$]*), unique; field
//             types are an atomic type or a declared struct, then array suffixes [] / [k] (k >= 1,
//             at most 8 suffixes); no struct may be named like an atomic type; no cycles; struct
//             nesting at most 32 deep. EIP712Domain may only declare the five standard fields,
//             each with its standard type.
//   values    structs are objects with exactly the declared fields (missing or unknown fields are
//             errors: an unsigned extra field could mislead a reviewer); uintN/intN are JSON
//             integers or strings (decimal, optional '-' for intN, or 0x hex) within range; bool
//             is a JSON boolean; address is "0x"+40 hex with a valid EIP-55 checksum when mixed
//             case; bytes/bytesN are 0x hex (bytesN exactly N bytes); string is a JSON string;
//             fixed arrays have exactly k elements; nesting at most 64 deep.
//
// Thread-safety: Eip712Types is an immutable value after parse(); functions are pure.
//
//   NSL_TRY_ASSIGN(Eip712Hashes h, eip712_hash(typed_data_json));      // h.digest
//   NSL_TRY_ASSIGN(Signature65 sig, eip712_sign(key, typed_data_json));
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/evm/address.hpp"
#include "chain/evm/signature.hpp"
#include "chain/evm/u256.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace nsl::evm {

inline constexpr std::size_t kEip712MaxTypeDepth = 32;   // struct inside struct ...
inline constexpr std::size_t kEip712MaxValueDepth = 64;  // structs and arrays in a value
inline constexpr std::size_t kEip712MaxArrayDims = 8;

// The validated `types` object.
class Eip712Types {
 public:
  static Result<Eip712Types> parse(const nlohmann::json& types);

  bool contains(std::string_view struct_name) const;
  Result<std::string> encode_type(std::string_view struct_name) const;
  Result<Hash32> type_hash(std::string_view struct_name) const;
  // `path` prefixes value errors ("message").
  Result<Bytes> encode_data(std::string_view struct_name, const nlohmann::json& value,
                            std::string_view path = "value") const;
  Result<Hash32> hash_struct(std::string_view struct_name, const nlohmann::json& value,
                             std::string_view path = "value") const;

  struct Field {
    std::string name;
    std::string type;               // as declared, e.g. "Person[2][]"
    std::string base;               // "Person"
    std::vector<std::size_t> dims;  // innermost first; 0 = dynamic: {2, 0}
  };
  struct Struct {
    std::vector<Field> fields;
    std::string encoded_type;
    Hash32 type_hash{};
  };

 private:
  Result<Bytes> encode_data_at(const Struct& s, std::string_view name, const nlohmann::json& value,
                               std::string& path, std::size_t depth) const;
  Result<Hash32> encode_value(std::string_view base, const std::size_t* dims, std::size_t ndims,
                              const nlohmann::json& value, std::string& path,
                              std::size_t depth) const;

  std::map<std::string, Struct, std::less<>> structs_;
};

struct Eip712Hashes {
  std::string encode_type;            // of primaryType
  Hash32 type_hash{};                 // of primaryType
  Hash32 domain_separator{};          // hashStruct(EIP712Domain, domain)
  std::optional<Hash32> struct_hash;  // hashStruct(primaryType, message); none for EIP712Domain
  Hash32 digest{};                    // what is signed
};

// The whole typed-data object (see the file comment).
Result<Eip712Hashes> eip712_hash(const nlohmann::json& typed_data);
// r || s || v (v = 27 + y-parity), RFC 6979, low-S.
Result<Signature65> eip712_sign(const SecretBytes& private_key, const nlohmann::json& typed_data);
Result<Address> eip712_recover(const nlohmann::json& typed_data, ByteSpan signature65);

}  // namespace nsl::evm
