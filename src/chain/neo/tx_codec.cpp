// Transaction codec: unchecked writers and strict readers (rules: tx.hpp; checks: tx_validate.cpp).
#include "chain/neo/internal/tx_codec.hpp"

#include <algorithm>

#include "chain/neo/internal/binary.hpp"
#include "chain/neo/tx.hpp"

namespace nsl::neo {
namespace {

using internal::hex8;
using internal::known_condition_type;
using internal::Reader;
using internal::Writer;
using Type = WitnessConditionType;

constexpr std::string_view kPrefix = "neo tx";

// --- writers -------------------------------------------------------------------------------------

void write_condition(Writer& w, const WitnessCondition& c) {
  w.u8(static_cast<std::uint8_t>(c.type));
  switch (c.type) {
    case Type::Boolean:
      w.u8(c.value ? 1 : 0);
      break;
    case Type::Not:
      if (!c.expressions.empty()) write_condition(w, c.expressions.front());
      break;
    case Type::And:
    case Type::Or:
      w.var_int(c.expressions.size());
      for (const auto& e : c.expressions) write_condition(w, e);
      break;
    case Type::ScriptHash:
    case Type::CalledByContract:
      w.bytes(c.hash.bytes);
      break;
    case Type::Group:
    case Type::CalledByGroup:
      w.bytes(c.group);
      break;
    case Type::CalledByEntry:
      break;
  }
}

void write_signer(Writer& w, const Signer& s) {
  w.bytes(s.account.bytes);
  w.u8(s.scopes);
  if (has_scope(s.scopes, WitnessScope::CustomContracts)) {
    w.var_int(s.allowed_contracts.size());
    for (const auto& c : s.allowed_contracts) w.bytes(c.bytes);
  }
  if (has_scope(s.scopes, WitnessScope::CustomGroups)) {
    w.var_int(s.allowed_groups.size());
    for (const auto& g : s.allowed_groups) w.bytes(g);
  }
  if (has_scope(s.scopes, WitnessScope::WitnessRules)) {
    w.var_int(s.rules.size());
    for (const auto& r : s.rules) {
      w.u8(static_cast<std::uint8_t>(r.action));
      write_condition(w, r.condition);
    }
  }
}

void write_attribute(Writer& w, const TransactionAttribute& a) {
  w.u8(static_cast<std::uint8_t>(a.type));
  switch (a.type) {
    case AttributeType::HighPriority:
      break;
    case AttributeType::OracleResponse:
      w.u64(a.oracle_id);
      w.u8(static_cast<std::uint8_t>(a.oracle_code));
      w.var_bytes(a.oracle_result);
      break;
    case AttributeType::NotValidBefore:
      w.u32(a.height);
      break;
    case AttributeType::Conflicts:
      w.bytes(a.conflicts.bytes);
      break;
    case AttributeType::NotaryAssisted:
      w.u8(a.nkeys);
      break;
  }
}

// --- readers -------------------------------------------------------------------------------------

Result<UInt160> read_uint160(Reader& r, std::string_view what) {
  NSL_TRY_ASSIGN(ByteSpan s, r.take(20, what));
  return UInt160::from_raw(s);
}

Result<PublicKey> read_point(Reader& r, const std::string& what) {
  const std::size_t at = r.position();
  NSL_TRY_ASSIGN(ByteSpan p, r.take(1, what));
  if (p[0] == 0x04) {
    return r.fail_at(at, what +
                             ": uncompressed point (N3 re-encodes it compressed; only the "
                             "33-byte form is accepted)");
  }
  if (p[0] != 0x02 && p[0] != 0x03) {
    return r.fail_at(at, what + ": invalid point prefix " + hex8(p[0]));
  }
  NSL_TRY_ASSIGN(ByteSpan x, r.take(32, what));
  PublicKey k;
  k[0] = p[0];
  std::copy(x.begin(), x.end(), k.begin() + 1);
  return k;
}

Result<WitnessCondition> read_condition(Reader& r, int depth_budget, const std::string& what) {
  const std::size_t at = r.position();
  if (depth_budget < 1) {
    return r.fail_at(at, what + ": conditions nested deeper than MaxNestingDepth " +
                             std::to_string(kMaxConditionNestingDepth));
  }
  NSL_TRY_ASSIGN(std::uint8_t t, r.u8(what + " type"));
  if (!known_condition_type(t)) return r.fail_at(at, what + ": unknown condition type " + hex8(t));
  WitnessCondition c;
  c.type = static_cast<Type>(t);
  switch (c.type) {
    case Type::Boolean: {
      NSL_TRY_ASSIGN(std::uint8_t b, r.u8(what + " value"));
      if (b > 1) return r.fail_at(at + 1, what + ": boolean byte " + hex8(b) + " is not 0 or 1");
      c.value = b == 1;
      break;
    }
    case Type::Not: {
      NSL_TRY_ASSIGN(auto e, read_condition(r, depth_budget - 1, what + ".expression"));
      c.expressions.push_back(std::move(e));
      break;
    }
    case Type::And:
    case Type::Or: {
      NSL_TRY_ASSIGN(std::uint64_t n, r.var_int(kMaxConditionSubitems, what + " expression count"));
      if (n == 0) return r.fail_at(at, what + ": And/Or condition without expressions");
      for (std::uint64_t i = 0; i < n; ++i) {
        NSL_TRY_ASSIGN(auto e, read_condition(r, depth_budget - 1,
                                              what + ".expressions[" + std::to_string(i) + "]"));
        c.expressions.push_back(std::move(e));
      }
      break;
    }
    case Type::ScriptHash:
    case Type::CalledByContract: {
      NSL_TRY_ASSIGN(c.hash, read_uint160(r, what + " hash"));
      break;
    }
    case Type::Group:
    case Type::CalledByGroup: {
      NSL_TRY_ASSIGN(c.group, read_point(r, what + " group"));
      break;
    }
    case Type::CalledByEntry:
      break;
  }
  return c;
}

Result<Signer> read_signer(Reader& r, const std::string& what) {
  Signer s;
  NSL_TRY_ASSIGN(s.account, read_uint160(r, what + " account"));
  const std::size_t scope_at = r.position();
  NSL_TRY_ASSIGN(s.scopes, r.u8(what + " scopes"));
  if ((s.scopes & ~kValidScopeBits) != 0) {
    return r.fail_at(scope_at, what + ": scopes " + hex8(s.scopes) + " contain unknown bits " +
                                   hex8(s.scopes & ~kValidScopeBits));
  }
  if (has_scope(s.scopes, WitnessScope::Global) && s.scopes != 0x80) {
    return r.fail_at(scope_at, what + ": Global scope combined with other scopes");
  }
  if (has_scope(s.scopes, WitnessScope::CustomContracts)) {
    NSL_TRY_ASSIGN(auto n, r.var_int(kMaxSignerSubitems, what + " allowed contracts count"));
    for (std::uint64_t i = 0; i < n; ++i) {
      NSL_TRY_ASSIGN(auto h, read_uint160(r, what + " allowed contract"));
      s.allowed_contracts.push_back(h);
    }
  }
  if (has_scope(s.scopes, WitnessScope::CustomGroups)) {
    NSL_TRY_ASSIGN(auto n, r.var_int(kMaxSignerSubitems, what + " allowed groups count"));
    for (std::uint64_t i = 0; i < n; ++i) {
      NSL_TRY_ASSIGN(auto g, read_point(r, what + " allowed group " + std::to_string(i)));
      s.allowed_groups.push_back(g);
    }
  }
  if (has_scope(s.scopes, WitnessScope::WitnessRules)) {
    NSL_TRY_ASSIGN(auto n, r.var_int(kMaxSignerSubitems, what + " rules count"));
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::string rw = what + " rule " + std::to_string(i);
      const std::size_t at = r.position();
      NSL_TRY_ASSIGN(std::uint8_t action, r.u8(rw + " action"));
      if (action > 1) return r.fail_at(at, rw + ": action " + hex8(action) + " is not Deny/Allow");
      NSL_TRY_ASSIGN(auto cond, read_condition(r, kMaxConditionNestingDepth, rw + " condition"));
      s.rules.push_back({static_cast<WitnessRuleAction>(action), std::move(cond)});
    }
  }
  return s;
}

Result<TransactionAttribute> read_attribute(Reader& r, const std::string& what) {
  const std::size_t at = r.position();
  NSL_TRY_ASSIGN(std::uint8_t t, r.u8(what + " type"));
  TransactionAttribute a;
  a.type = static_cast<AttributeType>(t);
  switch (a.type) {
    case AttributeType::HighPriority:
      break;
    case AttributeType::OracleResponse: {
      NSL_TRY_ASSIGN(a.oracle_id, r.uint(8, what + " id"));
      NSL_TRY_ASSIGN(std::uint8_t code, r.u8(what + " code"));
      a.oracle_code = static_cast<OracleResponseCode>(code);
      NSL_TRY_ASSIGN(a.oracle_result, r.var_bytes(kMaxOracleResultSize, what + " result"));
      break;
    }
    case AttributeType::NotValidBefore: {
      NSL_TRY_ASSIGN(std::uint64_t h, r.uint(4, what + " height"));
      a.height = static_cast<std::uint32_t>(h);
      break;
    }
    case AttributeType::Conflicts: {
      NSL_TRY_ASSIGN(ByteSpan h, r.take(32, what + " hash"));
      NSL_TRY_ASSIGN(a.conflicts, UInt256::from_raw(h));
      break;
    }
    case AttributeType::NotaryAssisted: {
      NSL_TRY_ASSIGN(a.nkeys, r.u8(what + " nkeys"));
      break;
    }
    default:
      return r.fail_at(at, what + ": unknown attribute type " + hex8(t));
  }
  return a;
}

Result<Transaction> read_unsigned(Reader& r) {
  Transaction tx;
  NSL_TRY_ASSIGN(tx.version, r.u8("version"));
  NSL_TRY_ASSIGN(std::uint64_t nonce, r.uint(4, "nonce"));
  tx.nonce = static_cast<std::uint32_t>(nonce);
  NSL_TRY_ASSIGN(std::uint64_t sys, r.uint(8, "system_fee"));
  tx.system_fee = static_cast<std::int64_t>(sys);
  NSL_TRY_ASSIGN(std::uint64_t net, r.uint(8, "network_fee"));
  tx.network_fee = static_cast<std::int64_t>(net);
  NSL_TRY_ASSIGN(std::uint64_t vub, r.uint(4, "valid_until_block"));
  tx.valid_until_block = static_cast<std::uint32_t>(vub);
  NSL_TRY_ASSIGN(std::uint64_t ns, r.var_int(kMaxTransactionAttributes, "signer count"));
  for (std::uint64_t i = 0; i < ns; ++i) {
    NSL_TRY_ASSIGN(auto s, read_signer(r, "signer " + std::to_string(i)));
    tx.signers.push_back(std::move(s));
  }
  NSL_TRY_ASSIGN(std::uint64_t na,
                 r.var_int(kMaxTransactionAttributes - tx.signers.size(), "attribute count"));
  for (std::uint64_t i = 0; i < na; ++i) {
    NSL_TRY_ASSIGN(auto a, read_attribute(r, "attribute " + std::to_string(i)));
    tx.attributes.push_back(std::move(a));
  }
  NSL_TRY_ASSIGN(tx.script, r.var_bytes(kMaxScriptSize, "script"));
  return tx;
}

Status finish(const Reader& r, const Transaction& tx, bool with_witnesses) {
  if (r.remaining() != 0) {
    return r.fail(std::to_string(r.remaining()) + " trailing bytes after the transaction");
  }
  return with_witnesses ? validate(tx) : validate_unsigned(tx);
}

}  // namespace

namespace internal {

void write_unsigned(Writer& w, const Transaction& tx) {
  w.u8(tx.version);
  w.u32(tx.nonce);
  w.i64(tx.system_fee);
  w.i64(tx.network_fee);
  w.u32(tx.valid_until_block);
  w.var_int(tx.signers.size());
  for (const auto& s : tx.signers) write_signer(w, s);
  w.var_int(tx.attributes.size());
  for (const auto& a : tx.attributes) write_attribute(w, a);
  w.var_bytes(tx.script);
}

void write_witnesses(Writer& w, const Transaction& tx) {
  w.var_int(tx.witnesses.size());
  for (const auto& wi : tx.witnesses) {
    w.var_bytes(wi.invocation);
    w.var_bytes(wi.verification);
  }
}

}  // namespace internal

Result<Bytes> serialize_unsigned(const Transaction& tx) {
  NSL_TRY(validate_unsigned(tx));
  Writer w;
  internal::write_unsigned(w, tx);
  NSL_TRY(internal::check_tx_size(w.out().size()));
  return std::move(w).take();
}

Result<Bytes> serialize(const Transaction& tx) {
  NSL_TRY(validate(tx));
  Writer w;
  internal::write_unsigned(w, tx);
  internal::write_witnesses(w, tx);
  NSL_TRY(internal::check_tx_size(w.out().size()));
  return std::move(w).take();
}

Result<Transaction> deserialize_unsigned(ByteSpan raw) {
  NSL_TRY(internal::check_tx_size(raw.size()));
  Reader r(raw, kPrefix);
  NSL_TRY_ASSIGN(Transaction tx, read_unsigned(r));
  NSL_TRY(finish(r, tx, false));
  return tx;
}

Result<Transaction> deserialize(ByteSpan raw) {
  NSL_TRY(internal::check_tx_size(raw.size()));
  Reader r(raw, kPrefix);
  NSL_TRY_ASSIGN(Transaction tx, read_unsigned(r));
  // N3: ReadSerializableArray<Witness>(Signers.Length), then the count must equal it.
  NSL_TRY_ASSIGN(std::uint64_t nw, r.var_int(tx.signers.size(), "witness count"));
  for (std::uint64_t i = 0; i < nw; ++i) {
    const std::string what = "witness " + std::to_string(i);
    Witness w;
    NSL_TRY_ASSIGN(w.invocation, r.var_bytes(kMaxInvocationScript, what + " invocation script"));
    NSL_TRY_ASSIGN(w.verification,
                   r.var_bytes(kMaxVerificationScript, what + " verification script"));
    tx.witnesses.push_back(std::move(w));
  }
  NSL_TRY(finish(r, tx, true));
  return tx;
}

}  // namespace nsl::neo
