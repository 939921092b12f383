// Fuzz target `sign_request`: request body text -> parse_json_strict -> the signing routes' body readers
// (services/keys/signing_request.hpp): evm_tx_from_json on the body's "transaction" member (or the body), and
// neo_tx_from_json for a fixed key account.
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - every error is invalid_argument; no exception escapes;
//   - an accepted EVM transaction passes evm::validate_transaction, has a signing payload, and that payload
//     decodes (decode_unsigned_transaction) back to the same transaction;
//   - an accepted N3 transaction serializes (unsigned part), decodes back to itself, and with_neo_witness for
//     the fixed account succeeds exactly when that account is one of its signers;
//   - a "multisig" member is read by neo_multisig_from_json for the fixed key; when accepted its account is
//     the hash of its verification script, which lists the key, and with_neo_multisig_witness over an
//     accepted transaction for that account fails only with invalid_argument and, when it succeeds,
//     leaves a witness whose invocation is a run of 64-byte pushes (at most `threshold` when complete).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "chain/neo/account.hpp"
#include "core/json_strict.hpp"
#include "fuzz_check.hpp"
#include "services/keys/signing_request.hpp"

namespace {

using nlohmann::json;
using nsl::fuzz::check;
constexpr const char* kName = "sign_request";

void check_error(const nsl::Error& e) {
  check(e.code() == nsl::ErrorCode::invalid_argument, kName, "error is not invalid_argument", e.message());
}

// A fixed secp256r1 public key (the generator point's compressed form) and its account.
const nsl::crypto::Bytes& verification() {
  static const nsl::crypto::Bytes v = [] {
    const nsl::crypto::Bytes g = {0x03, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc,
                                  0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d,
                                  0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96};
    auto s = nsl::neo::signature_redeem_script(g);
    if (!s.ok()) nsl::fuzz::fail(kName, "fixed key", s.error().message());
    return *s;
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto body = nsl::parse_json_strict(text);
    if (!body.ok()) return 0;
    const json& tx_json = body->contains("transaction") ? (*body)["transaction"] : *body;
    auto evm = nsl::keys::evm_tx_from_json(tx_json, 12227332);
    if (evm.ok()) {
      check(nsl::evm::validate_transaction(*evm).ok(), kName, "accepted EVM transaction does not validate");
      auto payload = nsl::evm::signing_payload(*evm);
      check(payload.ok(), kName, "accepted EVM transaction has no signing payload");
      auto back = nsl::evm::decode_unsigned_transaction(*payload);
      check(back.ok() && *back == *evm, kName, "EVM signing payload does not decode to the same transaction",
            back.ok() ? "" : back.error().message());
    } else {
      check_error(evm.error());
    }
    const auto account = nsl::neo::script_hash(verification());
    auto neo = nsl::keys::neo_tx_from_json(*body, account, verification());
    if (neo.ok()) {
      auto raw = nsl::neo::serialize_unsigned(*neo);
      check(raw.ok(), kName, "accepted N3 transaction does not serialize", raw.ok() ? "" : raw.error().message());
      auto back = nsl::neo::deserialize_unsigned(*raw);
      bool same = back.ok();
      if (same) {
        nsl::neo::Transaction a = *neo;
        a.witnesses.clear();
        same = *back == a;
      }
      check(same, kName, "N3 unsigned part does not decode to the same transaction");
      bool signer = false;
      for (const auto& s : neo->signers) signer = signer || s.account == account;
      const std::uint8_t sig[64] = {};
      auto witnessed = nsl::keys::with_neo_witness(*neo, account, verification(), sig);
      check(witnessed.ok() == signer, kName, "with_neo_witness disagrees with the signer list");
    } else {
      check_error(neo.error());
    }
    if (auto ms_json = body->find("multisig"); body->is_object() && ms_json != body->end()) {
      nsl::neo::PublicKey own{};
      std::copy(verification().begin() + 2, verification().begin() + 35, own.begin());
      auto ms = nsl::keys::neo_multisig_from_json(*ms_json, own);
      if (!ms.ok()) {
        check_error(ms.error());
        return 0;
      }
      check(nsl::neo::script_hash(ms->verification) == ms->account, kName, "multisig account is not its script hash");
      auto parsed = nsl::neo::parse_multisig_contract(ms->verification);
      check(parsed && std::find(parsed->keys.begin(), parsed->keys.end(), own) != parsed->keys.end(), kName,
            "multisig script does not list the key");
      auto tx = nsl::keys::neo_tx_from_json(*body, ms->account, ms->verification);
      if (!tx.ok()) return 0;
      const std::uint8_t sig[64] = {};
      auto w = nsl::keys::with_neo_multisig_witness(*tx, *ms, 894710606, own, sig);
      if (!w.ok()) {
        check_error(w.error());
        return 0;
      }
      bool found = false;
      for (std::size_t i = 0; i < w->tx.signers.size() && i < w->tx.witnesses.size(); ++i) {
        if (w->tx.signers[i].account != ms->account) continue;
        found = true;
        auto sigs = nsl::keys::neo_invocation_signatures(w->tx.witnesses[i].invocation);
        check(sigs.has_value() && !sigs->empty(), kName, "multisig invocation is not a run of signatures");
        check(!w->complete || sigs->size() == ms->threshold, kName, "complete witness without threshold signatures");
      }
      check(found, kName, "multisig witness has no slot");
    }
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "exception escaped", e.what());
  }
  return 0;
}
