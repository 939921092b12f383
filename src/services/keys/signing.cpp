// KeySigner: see signing.hpp.
#include "services/keys/signing.hpp"

#include <algorithm>
#include <thread>

#include "chain/evm/address.hpp"
#include "chain/evm/hex.hpp"
#include "chain/evm/signature.hpp"
#include "chain/neo/account.hpp"
#include "crypto/ecdsa.hpp"
#include "core/json_strict.hpp"
#include "crypto/hash.hpp"
#include "obs/log.hpp"
#include "services/audit/audit_log.hpp"
#include "services/keys/signing_request.hpp"
#include "signing/formats.hpp"

namespace nsl::keys {
namespace {

using nlohmann::json;
using enclave::SignFormat;

constexpr std::string_view kIdemScope = "keys.sign_transaction";
constexpr std::size_t kMaxMessage = 64 * 1024;
// How long a signing of a key with rolling limits waits for the key's ledger lock.
constexpr int kSpendLockAttempts = 40;
constexpr auto kSpendLockPause = std::chrono::milliseconds(50);
constexpr auto kSpendLockTtl = std::chrono::seconds(10);

std::string hex0x(crypto::ByteSpan b) { return evm::to_0x_hex(b); }
std::string hex_plain(crypto::ByteSpan b) { return evm::to_0x_hex(b).substr(2); }

// Failures the client caused: stored under an Idempotency-Key like a success (a retry would fail
// the same way). Everything else releases the key so that a retry runs again.
bool client_error(ErrorCode c) {
  switch (c) {
    case ErrorCode::invalid_argument:
    case ErrorCode::permission_denied:
    case ErrorCode::not_found:
    case ErrorCode::conflict:
    case ErrorCode::failed_precondition:
    case ErrorCode::payload_too_large:
      return true;
    default:
      return false;
  }
}

bool has_rolling_limits(const repo::KeyRow& key) {
  return key.policy_json && key.policy_json->find("\"max_value_per_24h\"") != std::string::npos;
}

// The format and payload bytes of a message-signing request (sign and verify share them).
struct MessageRequest {
  SignFormat format = SignFormat::raw_digest;
  crypto::Bytes payload;
};

Result<MessageRequest> message_request(const json& body, bool with_signature) {
  if (with_signature) {
    NSL_TRY(only_fields(body, {"format", "message", "message_hex", "typed_data", "digest", "signature"}));
  } else {
    NSL_TRY(only_fields(body, {"format", "message", "message_hex", "typed_data", "digest"}));
  }
  NSL_TRY_ASSIGN(std::string name, json_string(body, "format"));
  MessageRequest r;
  NSL_TRY_ASSIGN(r.format, enclave::parse_sign_format(name));
  auto need_only = [&](std::initializer_list<std::string_view> allowed) -> Status {
    for (const char* f : {"message", "message_hex", "typed_data", "digest"}) {
      if (body.contains(f) && std::find(allowed.begin(), allowed.end(), f) == allowed.end()) {
        return err::invalid_argument(std::string(f) + " does not go with format " + name);
      }
    }
    return {};
  };
  switch (r.format) {
    case SignFormat::neo_message:
    case SignFormat::eip191: {
      NSL_TRY(need_only({"message", "message_hex"}));
      if (body.contains("message") == body.contains("message_hex")) {
        return err::invalid_argument("give exactly one of message (UTF-8 text) or message_hex");
      }
      if (body.contains("message")) {
        NSL_TRY_ASSIGN(std::string m, json_string(body, "message"));
        r.payload.assign(m.begin(), m.end());
      } else {
        NSL_TRY_ASSIGN(std::string h, json_string(body, "message_hex"));
        NSL_TRY_ASSIGN(r.payload, hex_bytes(h, "message_hex"));
      }
      if (r.payload.size() > kMaxMessage) return err::invalid_argument("message: at most 64 KiB");
      break;
    }
    case SignFormat::eip712: {
      NSL_TRY(need_only({"typed_data"}));
      auto it = body.find("typed_data");
      if (it == body.end() || !it->is_object()) return err::invalid_argument("typed_data (object) is required");
      const std::string text = it->dump();
      r.payload.assign(text.begin(), text.end());
      break;
    }
    case SignFormat::raw_digest: {
      NSL_TRY(need_only({"digest"}));
      NSL_TRY_ASSIGN(std::string h, json_string(body, "digest"));
      NSL_TRY_ASSIGN(r.payload, hex_bytes(h, "digest"));
      if (r.payload.size() != 32) return err::invalid_argument("digest must be 32 bytes");
      break;
    }
    case SignFormat::neo_tx:
    case SignFormat::evm_tx:
      return err::invalid_argument("transactions are signed with POST /v1/keys/{id}/sign-transaction");
  }
  return r;
}

// The EVM formats answer r || s || v (v = 27 + y parity), as wallets do; the others r || s.
bool evm_format(SignFormat f) { return f == SignFormat::eip191 || f == SignFormat::eip712; }

std::string request_hash(std::string_view key_id, const json& body) {
  const std::string text = std::string(key_id) + "\n" + body.dump();
  auto d = crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  return hex_plain(d);
}

}  // namespace

KeySigner::KeySigner(KeyService& keys, enclave::Enclave& enclave, audit::AuditLog* audit, cache::Cache& shared,
                     IdempotencyStore& idempotency, const Clock& clock)
    : keys_(keys), enclave_(enclave), audit_(audit), shared_(shared), idempotency_(idempotency), clock_(clock) {}

void KeySigner::count(std::string_view op, std::string_view curve, const Status& st,
                      std::chrono::steady_clock::time_point start) {
  keys_.count_operation(op, curve, st, start);
}

Result<PendingSigning> KeySigner::begin(PendingSigning p) {
  p.request.policy_sealed = p.key->policy_sealed;
  p.request.policy_version = p.key->policy_version;
  p.detail["key_version"] = p.key->version;
  p.rolling_limits = has_rolling_limits(p.key->key);
  return p;
}

SigningKey KeySigner::key_in_memory(const store::TenantId& tenant, std::string_view key_id) {
  return keys_.signing_key_in_memory(tenant, key_id);
}

Status KeySigner::hold(PendingSigning& p) {
  if (!p.needs_hold()) return {};
  Status st = hold_spend_limits(p);
  if (!st.ok()) count(p.op, p.curve, st, p.start);
  return st;
}

Status KeySigner::hold_spend_limits(PendingSigning& p) {
  const std::string name = "keys:spend:" + p.tenant.str() + ":" + p.key->key.id;
  for (int i = 0; i < kSpendLockAttempts && !p.spend_lock; ++i) {
    NSL_TRY_ASSIGN(p.spend_lock, shared_.acquire_lock(name, kSpendLockTtl));
    if (!p.spend_lock) std::this_thread::sleep_for(kSpendLockPause);
  }
  if (!p.spend_lock) return err::unavailable("the key is busy with another signing under its 24 h limits; retry");
  auto spent = keys_.spent_24h(p.tenant, p.key->key.id, clock_.system_now());
  if (!spent.ok()) {
    (void)shared_.release_lock(*p.spend_lock);
    p.spend_lock.reset();
    return std::move(spent).error();
  }
  p.request.spent_24h = std::move(*spent);
  return {};
}

void KeySigner::sign_async(const PendingSigning& p, std::function<void(Result<enclave::TypedSignature>)> done) {
  enclave_.sign_typed_async(p.key->binding, p.key->sealed, p.request, std::move(done));
}

Status KeySigner::settle(PendingSigning& p, const Result<enclave::TypedSignature>& sig) {
  if (!p.spend_lock) return {};
  Status out;
  if (sig.ok() && !sig->moves.empty()) {
    if (Status st = keys_.record_spends(p.tenant, p.key->key.id, sig->moves, clock_.system_now()); !st.ok()) {
      // Not answered: a signature whose spending is not on the ledger would escape the limit.
      obs::log_error("spend ledger write failed; signature withheld",
                     {{"tenant", p.tenant.str()}, {"key", p.key->key.id}, {"error", st.error().message()}});
      out = err::unavailable("the signing could not be recorded against the key's limits; retry");
    }
  }
  (void)shared_.release_lock(*p.spend_lock);
  p.spend_lock.reset();
  return out;
}

audit::AuditEvent KeySigner::audit_event(const PendingSigning& p, const Result<enclave::TypedSignature>& sig) const {
  json detail = p.detail;
  std::string result = "ok";
  if (!sig.ok()) {
    result = sig.error().code() == ErrorCode::permission_denied ? "denied" : std::string(error_code_name(sig.error().code()));
    detail["error"] = sig.error().message();  // client-safe by the enclave's contract
  }
  return audit::AuditEvent{.tenant = p.tenant,
                           .actor = p.actor.subject,
                           .action = p.action,
                           .resource = "key:" + p.key->key.id,
                           .request_id = p.actor.request_id,
                           .result = std::move(result),
                           .detail = std::move(detail)};
}

void KeySigner::audit_async(const PendingSigning& p, const Result<enclave::TypedSignature>& sig,
                            std::function<void(Status)> done) {
  if (audit_ == nullptr) return done(Status());
  audit_->append(audit_event(p, sig), std::move(done));
}

Result<SignOutcome> KeySigner::end(PendingSigning& p, Result<enclave::TypedSignature> sig, const Status& settled,
                                   const Status& audited) {
  auto out = [&]() -> Result<SignOutcome> {
    // A signing not on the spend ledger is neither answered nor audited (settle logged it).
    if (!settled.ok()) return settled.error();
    if (!audited.ok()) {
      obs::log_error("audit append failed for a signing; signature withheld",
                     {{"tenant", p.tenant.str()}, {"request_id", p.actor.request_id}, {"error", audited.error().message()}});
      return err::unavailable("the signing could not be audited; nothing was returned");
    }
    if (!sig.ok()) return std::move(sig).error();
    return p.answer(*sig);
  }();
  count(p.op, p.curve, out.ok() ? Status() : Status(out.error()), p.start);
  return out;
}

Result<SignOutcome> KeySigner::run(Result<PendingSigning> p) {
  if (!p.ok()) return std::move(p).error();
  NSL_TRY(hold(*p));
  auto sig = enclave_.sign_typed(p->key->binding, p->key->sealed, p->request);
  Status settled = settle(*p, sig);
  Status audited;
  if (settled.ok() && audit_ != nullptr) audited = audit_->append_wait(audit_event(*p, sig));
  return end(*p, std::move(sig), settled, audited);
}

Result<SignOutcome> KeySigner::sign(const store::TenantId& tenant, std::string_view key_id, const json& body,
                                    const auth::Principal& caller, const Actor& actor) {
  return run(begin_sign(tenant, key_id, body, caller, actor));
}

Result<PendingSigning> KeySigner::begin_sign(const store::TenantId& tenant, std::string_view key_id,
                                             const json& body, const auth::Principal& caller, const Actor& actor,
                                             SigningKey key) {
  PendingSigning p{.op = "sign", .start = std::chrono::steady_clock::now(), .tenant = tenant,
                   .action = "keys.sign", .actor = actor};
  auto prepared = [&]() -> Status {
    NSL_TRY_ASSIGN(MessageRequest m, message_request(body, false));
    if (m.format == SignFormat::raw_digest && !caller.allows("keys:sign_raw", std::string(key_id))) {
      return err::permission_denied("raw digests need the permission keys:sign_raw");
    }
    if (key) {
      p.key = std::move(key);
    } else {
      NSL_TRY_ASSIGN(p.key, keys_.signing_key(tenant, key_id));
    }
    p.curve = p.key->key.curve;
    p.request = enclave::TypedSignRequest{.format = m.format, .payload = std::move(m.payload)};
    p.detail = json{{"format", enclave::sign_format_name(m.format)}};
    p.answer = [format = m.format, key_id = p.key->key.id, version = p.key->version,
                public_key = p.key->public_key](const enclave::TypedSignature& sig) -> Result<SignOutcome> {
      crypto::Bytes signature = sig.signature;
      if (evm_format(format)) signature.push_back(static_cast<std::uint8_t>(27 + sig.recovery_id));
      return SignOutcome{.status = 200,
                         .body = json{{"key_id", key_id},
                                      {"key_version", version},
                                      {"format", enclave::sign_format_name(format)},
                                      {"digest", hex0x(sig.digest)},
                                      {"signature", hex0x(signature)},
                                      {"public_key", hex_plain(public_key)}}};
    };
    return {};
  }();
  if (!prepared.ok()) {
    count(p.op, p.curve, prepared, p.start);
    return prepared.error();
  }
  return begin(std::move(p));
}

Result<PendingSigning> KeySigner::begin_transaction(const store::TenantId& tenant, std::string_view key_id,
                                                    const json& body, const Actor& actor,
                                                    SigningKey key) {
  PendingSigning p{.op = "sign_transaction", .start = std::chrono::steady_clock::now(), .tenant = tenant,
                   .action = "keys.sign_transaction", .actor = actor};
  Status prepared = prepare_transaction(p, key_id, body, std::move(key));
  if (!prepared.ok()) {
    count(p.op, p.curve, prepared, p.start);
    return prepared.error();
  }
  return begin(std::move(p));
}

Status KeySigner::prepare_transaction(PendingSigning& p, std::string_view key_id, const json& body,
                                      SigningKey given) {
  NSL_TRY_ASSIGN(std::string chain, json_string(body, "chain"));
  if (chain != "neo" && chain != "evm") return err::invalid_argument("chain must be neo or evm");
  if (chain == "neo") {
    NSL_TRY(only_fields(body, {"chain", "network_magic", "unsigned_tx", "transfer", "invoke", "valid_until_block",
                               "system_fee", "network_fee", "nonce", "multisig"}));
  } else {
    NSL_TRY(only_fields(body, {"chain", "chain_id", "transaction"}));
  }
  if (given) {
    p.key = std::move(given);
  } else {
    NSL_TRY_ASSIGN(p.key, keys_.signing_key(p.tenant, key_id));
  }
  const KeyForSigning& key = *p.key;
  p.curve = key.key.curve;
  if (chain == "neo") {
    if (key.curve != enclave::KeyCurve::secp256r1) {
      return err::invalid_argument("N3 transactions are signed by secp256r1 keys; this key is " + key.key.curve);
    }
    auto magic_it = body.find("network_magic");
    if (magic_it == body.end()) return err::invalid_argument("network_magic is required (860833102 MainNet, 894710606 TestNet)");
    NSL_TRY_ASSIGN(std::uint64_t magic, json_u64(*magic_it, "network_magic"));
    if (magic == 0 || magic > 0xffffffffULL) return err::invalid_argument("network_magic must be a u32 above 0");
    if (key.public_key.size() != 33 || key.neo_verification.empty()) {
      return err::internal("stored secp256r1 public key is not compressed");
    }
    neo::PublicKey own{};
    std::copy(key.public_key.begin(), key.public_key.end(), own.begin());
    // The key's own account was derived when its row was read; a multisig account is the request's.
    crypto::Bytes verification = key.neo_verification;
    neo::UInt160 account = key.neo_account;
    std::string address = key.neo_address;
    std::optional<NeoMultisig> multisig;
    if (auto ms = body.find("multisig"); ms != body.end() && !ms->is_null()) {
      NSL_TRY_ASSIGN(multisig, neo_multisig_from_json(*ms, own));
      verification = multisig->verification;
      account = neo::script_hash(verification);
      address = neo::to_address(account);
    }
    NSL_TRY_ASSIGN(neo::Transaction tx, neo_tx_from_json(body, account, verification));
    if (std::none_of(tx.signers.begin(), tx.signers.end(), [&](const neo::Signer& s) { return s.account == account; })) {
      return err::invalid_argument(std::string(multisig ? "the multisig account " : "the key's account ") + address +
                                   " is not a signer of this transaction");
    }
    NSL_TRY_ASSIGN(crypto::Bytes unsigned_bytes, neo::serialize_unsigned(tx));
    const neo::UInt256 hash{crypto::sha256(unsigned_bytes)};  // neo::tx_hash, without serializing again
    p.request = enclave::TypedSignRequest{.format = SignFormat::neo_tx,
                                          .payload = std::move(unsigned_bytes),
                                          .network_magic = static_cast<std::uint32_t>(magic)};
    p.detail = json{{"chain", "neo"}, {"network_magic", magic}, {"hash", hash.to_string()}};
    if (multisig) {
      p.request.neo_account_script = multisig->verification;
      p.detail["multisig_account"] = address;
    }
    p.answer = [tx = std::move(tx), multisig = std::move(multisig), magic, own, account, address = std::move(address),
                verification = std::move(verification), hash, key_id = key.key.id,
                version = key.version](const enclave::TypedSignature& sig) -> Result<SignOutcome> {
      neo::Transaction signed_tx;
      json multisig_out;
      if (multisig) {
        NSL_TRY_ASSIGN(MultisigWitness mw, with_neo_multisig_witness(tx, *multisig, static_cast<std::uint32_t>(magic),
                                                                     own, sig.signature));
        json signed_by = json::array();
        for (const auto& k : mw.signed_by) signed_by.push_back(hex_plain(k));
        multisig_out = json{{"threshold", multisig->threshold},
                            {"keys", multisig->keys.size()},
                            {"signed_by", std::move(signed_by)},
                            {"complete", mw.complete}};
        signed_tx = std::move(mw.tx);
      } else {
        NSL_TRY_ASSIGN(signed_tx, with_neo_witness(tx, account, verification, sig.signature));
      }
      // Complete = every signer's witness has an invocation, and a multisig one enough signatures.
      bool complete = std::all_of(signed_tx.witnesses.begin(), signed_tx.witnesses.end(),
                                  [](const neo::Witness& w) { return !w.invocation.empty(); });
      if (multisig) complete = complete && multisig_out["complete"].get<bool>();
      NSL_TRY_ASSIGN(crypto::Bytes raw, neo::serialize(signed_tx));
      json out{{"chain", "neo"},
               {"key_id", key_id},
               {"key_version", version},
               {"network_magic", magic},
               {"hash", hash.to_string()},
               {"signed_tx", hex_plain(raw)},
               {"complete", complete},
               {"signature", hex0x(sig.signature)},
               {"account", address},
               {"system_fee", std::to_string(signed_tx.system_fee)},
               {"network_fee", std::to_string(signed_tx.network_fee)},
               {"valid_until_block", signed_tx.valid_until_block},
               {"nonce", signed_tx.nonce}};
      if (multisig) out["multisig"] = std::move(multisig_out);
      return SignOutcome{.status = 200, .body = std::move(out)};
    };
    return {};
  }
  if (key.curve != enclave::KeyCurve::secp256k1) {
    return err::invalid_argument("EVM transactions are signed by secp256k1 keys; this key is " + key.key.curve);
  }
  auto chain_it = body.find("chain_id");
  if (chain_it == body.end()) return err::invalid_argument("chain_id is required (NeoX MainNet 47763, TestNet 12227332)");
  NSL_TRY_ASSIGN(std::uint64_t chain_id, json_u64(*chain_it, "chain_id"));
  if (chain_id == 0 || chain_id > evm::kMaxChainId) return err::invalid_argument("chain_id must be 1..2^63-37");
  auto tx_it = body.find("transaction");
  if (tx_it == body.end()) return err::invalid_argument("transaction (object) is required");
  NSL_TRY_ASSIGN(evm::Transaction tx, evm_tx_from_json(*tx_it, chain_id));
  NSL_TRY_ASSIGN(crypto::Bytes payload, evm::signing_payload(tx));
  p.request = enclave::TypedSignRequest{.format = SignFormat::evm_tx, .payload = std::move(payload), .chain_id = chain_id};
  p.detail = json{{"chain", "evm"}, {"chain_id", chain_id}};
  p.answer = [tx = std::move(tx), chain_id, key_id = key.key.id, version = key.version,
              public_key = key.public_key](const enclave::TypedSignature& sig) -> Result<SignOutcome> {
    if (sig.signature.size() != 64) return err::internal("unexpected signature size from the enclave");
    evm::TxSignature ts{.y_parity = sig.recovery_id};
    std::copy_n(sig.signature.begin(), 32, ts.r.begin());
    std::copy_n(sig.signature.begin() + 32, 32, ts.s.begin());
    // (The enclave recovered the key from its own signature before answering.)
    NSL_TRY_ASSIGN(evm::Address from, evm::address_from_public_key(public_key));
    NSL_TRY_ASSIGN(crypto::Bytes raw, evm::encode_signed_transaction(tx, ts));
    const auto hash = crypto::keccak256(raw);
    return SignOutcome{.status = 200,
                       .body = json{{"chain", "evm"},
                                    {"key_id", key_id},
                                    {"key_version", version},
                                    {"chain_id", chain_id},
                                    {"raw_tx", hex0x(raw)},
                                    {"hash", hex0x(hash)},
                                    {"from", from.to_checksum()}}};
  };
  return {};
}

Result<SignOutcome> KeySigner::sign_transaction(const store::TenantId& tenant, std::string_view key_id,
                                                const json& body, const Actor& actor,
                                                std::optional<std::string_view> idempotency_key) {
  if (!idempotency_key) return run(begin_transaction(tenant, key_id, body, actor));
  // The answers from the idempotency record are counted here; a signing by run().
  const auto start = std::chrono::steady_clock::now();
  auto finish = [&](Result<SignOutcome> out) {
    count("sign_transaction", "", out.ok() ? Status() : Status(out.error()), start);
    return out;
  };

  NSL_TRY(check_idempotency_key(kIdemScope, *idempotency_key));
  const std::string hash = request_hash(key_id, body);
  // Reserve the key (status 0 = in progress); a concurrent first use loses the race and answers
  // from the winner's record.
  Status reserved = idempotency_.put(tenant, kIdemScope, *idempotency_key, {.request_hash = hash, .status = 0, .body = ""});
  if (!reserved.ok()) {
    if (reserved.error().code() != ErrorCode::conflict) return finish(reserved.error());
    NSL_TRY_ASSIGN(std::optional<IdempotentResponse> seen, idempotency_.get(tenant, kIdemScope, *idempotency_key));
    if (!seen) return finish(err::unavailable("the Idempotency-Key record changed under this request; retry"));
    if (seen->request_hash != hash) {
      return finish(err::conflict("this Idempotency-Key was used with a different request"));
    }
    if (seen->status == 0) return finish(err::conflict("a request with this Idempotency-Key is still in progress"));
    auto stored = parse_json_strict(seen->body);
    if (!stored.ok()) return finish(err::internal("unreadable stored response"));
    if (seen->status < 0) {  // a stored client error: -1 - its ErrorCode
      const auto code = static_cast<ErrorCode>(-1 - seen->status);
      const json& msg = (*stored)["message"];
      return finish(Error(code, msg.is_string() ? msg.get<std::string>() : std::string("request failed")));
    }
    return finish(SignOutcome{.status = seen->status, .body = std::move(*stored), .replayed = true});
  }
  auto out = run(begin_transaction(tenant, key_id, body, actor));
  Status saved;
  if (out.ok()) {
    saved = idempotency_.finish(tenant, kIdemScope, *idempotency_key,
                                {.request_hash = hash, .status = out->status, .body = out->body.dump()});
  } else if (client_error(out.error().code())) {
    saved = idempotency_.finish(tenant, kIdemScope, *idempotency_key,
                                {.request_hash = hash,
                                 .status = -1 - static_cast<int>(out.error().code()),
                                 .body = json{{"message", out.error().message()}}.dump()});
  } else {
    saved = idempotency_.release(tenant, kIdemScope, *idempotency_key);
  }
  if (!saved.ok()) {
    obs::log_warn("idempotency record not updated", {{"tenant", tenant.str()}, {"error", saved.error().message()}});
  }
  return out;
}

Result<SignOutcome> KeySigner::verify(const store::TenantId& tenant, std::string_view key_id, const json& body) {
  const auto start = std::chrono::steady_clock::now();
  std::string curve;
  auto run = [&]() -> Result<SignOutcome> {
    NSL_TRY_ASSIGN(KeyView view, keys_.get(tenant, key_id));
    curve = view.key.curve;
    NSL_TRY_ASSIGN(enclave::KeyCurve kc, enclave::parse_key_curve(view.key.curve));
    std::vector<std::pair<std::uint32_t, crypto::Bytes>> pubs;
    for (const auto& v : view.versions) {
      if (v.state == repo::kVersionDestroyed) continue;
      NSL_TRY_ASSIGN(crypto::Bytes pub, hex_bytes(v.public_key, "public key"));
      pubs.emplace_back(v.version, std::move(pub));
    }
    auto answer = [](std::optional<std::uint32_t> version) {
      json j{{"valid", version.has_value()}};
      j["key_version"] = version ? json(*version) : json(nullptr);
      return SignOutcome{.status = 200, .body = std::move(j)};
    };
    if (body.contains("chain")) {
      NSL_TRY_ASSIGN(std::string chain, json_string(body, "chain"));
      if (chain == "neo") {
        NSL_TRY(only_fields(body, {"chain", "network_magic", "signed_tx"}));
        if (kc != enclave::KeyCurve::secp256r1) return err::invalid_argument("N3 transactions need a secp256r1 key");
        auto magic_it = body.find("network_magic");
        if (magic_it == body.end()) return err::invalid_argument("network_magic is required");
        NSL_TRY_ASSIGN(std::uint64_t magic, json_u64(*magic_it, "network_magic"));
        if (magic == 0 || magic > 0xffffffffULL) return err::invalid_argument("network_magic must be a u32 above 0");
        NSL_TRY_ASSIGN(std::string hex, json_string(body, "signed_tx"));
        NSL_TRY_ASSIGN(crypto::Bytes raw, hex_bytes(hex, "signed_tx"));
        auto tx = neo::deserialize(raw);
        if (!tx.ok()) return err::invalid_argument("signed_tx: " + tx.error().message());
        NSL_TRY_ASSIGN(neo::UInt256 h, neo::tx_hash(*tx));
        const auto digest = neo::sign_digest(static_cast<std::uint32_t>(magic), h);
        // A witness counts when its verification script is the key's single-signature account or an
        // m-of-n multisig account listing the key, and one of its signatures verifies under the key.
        for (const auto& [version, pub] : pubs) {
          if (pub.size() != 33) continue;
          neo::PublicKey compressed{};
          std::copy(pub.begin(), pub.end(), compressed.begin());
          const crypto::Bytes single = neo::signature_redeem_script_unchecked(compressed);
          for (const neo::Witness& w : tx->witnesses) {
            if (w.verification != single) {
              auto ms = neo::parse_multisig_contract(w.verification);
              if (!ms || std::find(ms->keys.begin(), ms->keys.end(), compressed) == ms->keys.end()) continue;
            }
            auto sigs = neo_invocation_signatures(w.invocation);
            if (!sigs) continue;
            for (const auto& s : *sigs) {
              if (crypto::ecdsa_verify(crypto::Curve::secp256r1, pub, digest, s)) return answer(version);
            }
          }
        }
        return answer(std::nullopt);
      }
      if (chain == "evm") {
        NSL_TRY(only_fields(body, {"chain", "chain_id", "raw_tx"}));
        if (kc != enclave::KeyCurve::secp256k1) return err::invalid_argument("EVM transactions need a secp256k1 key");
        evm::DecodeOptions opts;
        if (auto c = body.find("chain_id"); c != body.end()) {  // when given, the transaction must be for it
          NSL_TRY_ASSIGN(std::uint64_t chain_id, json_u64(*c, "chain_id"));
          opts.expected_chain_id = chain_id;
        }
        NSL_TRY_ASSIGN(std::string hex, json_string(body, "raw_tx"));
        NSL_TRY_ASSIGN(crypto::Bytes raw, hex_bytes(hex, "raw_tx"));
        auto tx = evm::decode_signed_transaction(raw, opts);
        if (!tx.ok()) return err::invalid_argument("raw_tx: " + tx.error().message());
        for (const auto& [version, pub] : pubs) {
          NSL_TRY_ASSIGN(evm::Address a, evm::address_from_public_key(pub));
          if (a == tx->from) return answer(version);
        }
        return answer(std::nullopt);
      }
      return err::invalid_argument("chain must be neo or evm");
    }
    NSL_TRY_ASSIGN(MessageRequest m, message_request(body, true));
    NSL_TRY_ASSIGN(std::string sig_hex, json_string(body, "signature"));
    NSL_TRY_ASSIGN(crypto::Bytes sig, hex_bytes(sig_hex, "signature"));
    if (sig.size() != 64 && !(sig.size() == 65 && evm_format(m.format))) {
      return err::invalid_argument(evm_format(m.format) ? "signature must be 65 bytes (r || s || v) or 64 (r || s)"
                                                        : "signature must be 64 bytes (r || s)");
    }
    if (kc == enclave::KeyCurve::ed25519) return err::invalid_argument("ed25519 keys do not sign these formats");
    NSL_TRY_ASSIGN(signing::Digest digest,
                   signing::signing_digest(static_cast<signing::Format>(m.format), m.payload, 0));
    const crypto::Curve ec = kc == enclave::KeyCurve::secp256r1 ? crypto::Curve::secp256r1 : crypto::Curve::secp256k1;
    for (const auto& [version, pub] : pubs) {
      if (!crypto::ecdsa_verify(ec, pub, digest, crypto::ByteSpan(sig.data(), 64))) continue;
      if (sig.size() == 65) {  // v must name the right R as well
        auto a = evm::recover_address_65(digest, sig);
        auto mine = evm::address_from_public_key(pub);
        if (!a.ok() || !mine.ok() || !(*a == *mine)) continue;
      }
      return answer(version);
    }
    return answer(std::nullopt);
  };
  auto out = run();
  count("verify", curve, out.ok() ? Status() : Status(out.error()), start);
  return out;
}

}  // namespace nsl::keys
