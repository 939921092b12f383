// Fuzz target `signing_inspect`: the parsers of typed signing (src/signing) on untrusted bytes, all of them on
// every input:
//   - the bytes as policy JSON -> parse_policy; an accepted policy's canonical_json parses back to the same
//     policy and is a fixed point; errors are invalid_argument starting "policy: ".
//   - the bytes as an N3 script -> inspect_neo_script (the walker); understood <=> no reason given; only
//     "transfer" calls carry a transfer or the malformed mark, never both.
//   - the bytes as an EVM signing payload -> evm::decode_unsigned_transaction; an accepted payload re-encodes
//     to itself (signing_payload) and passes validate_transaction; inspect_evm_tx agrees.
//   - the bytes as an unsigned N3 transaction (neo_tx) and as each payload format -> signing::inspect; a
//     decoded payload's digest equals signing_digest, and evaluate() under a fixed restrictive policy
//     returns moves or permission_denied "signing policy: ...", never anything else.
// No exception may escape.
#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <string>
#include <string_view>

#include "chain/evm/tx.hpp"
#include "fuzz_check.hpp"
#include "signing/evaluate.hpp"
#include "signing/formats.hpp"
#include "signing/inspect.hpp"
#include "signing/policy.hpp"

namespace {

using nsl::fuzz::check;
namespace sg = nsl::signing;
constexpr const char* kName = "signing_inspect";

const sg::Policy& fixed_policy() {
  static const sg::Policy p = [] {
    auto r = sg::parse_policy(R"({"networks": {"neo": [860833102], "evm": [47763]},
        "neo_contracts": [{"hash": "0xd2a4cff31913016155e38e474a2c06d08be276cf", "methods": ["transfer"]}],
        "evm_recipients": ["0x1111111111111111111111111111111111111111"], "evm_selectors": ["none", "0xa9059cbb"],
        "max_value_per_tx": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "100000000", "evm:native": "1000"},
        "max_value_per_24h": {"evm:0x1111111111111111111111111111111111111111": "5000"},
        "time_windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"}],
        "allow_raw_digest": true})");
    if (!r.ok()) std::abort();
    return *r;
  }();
  return p;
}

void check_policy(std::string_view text) {
  auto p = sg::parse_policy(text);
  if (!p.ok()) {
    check(p.error().code() == nsl::ErrorCode::invalid_argument, kName, "policy error is not invalid_argument");
    check(p.error().message().rfind("policy: ", 0) == 0, kName, "policy error does not start with 'policy: '",
          p.error().message());
    return;
  }
  const std::string canon = sg::canonical_json(*p);
  auto again = sg::parse_policy(canon);
  check(again.ok(), kName, "canonical policy does not parse", canon);
  check(*again == *p, kName, "canonical policy parses to another policy", canon);
  check(sg::canonical_json(*again) == canon, kName, "canonical_json is not a fixed point", canon);
}

void check_script(nsl::crypto::ByteSpan bytes) {
  const sg::NeoScript s = sg::inspect_neo_script(bytes);
  check(s.understood == s.why.empty(), kName, "understood and why disagree", s.why);
  for (const auto& c : s.calls) {
    check(!(c.transfer && c.transfer_malformed), kName, "a call is both a transfer and a malformed one");
    check(c.method == "transfer" || (!c.transfer && !c.transfer_malformed), kName, "non-transfer with a transfer");
    check(c.call_flags <= 0x0F, kName, "call flags out of range");
  }
}

void check_evm(nsl::crypto::ByteSpan bytes) {
  auto tx = nsl::evm::decode_unsigned_transaction(bytes);
  auto inspected = sg::inspect_evm_tx(bytes);
  check(tx.ok() == inspected.ok(), kName, "decode_unsigned_transaction and inspect_evm_tx disagree");
  if (!tx.ok()) {
    check(tx.error().code() == nsl::ErrorCode::invalid_argument, kName, "EVM decode error is not invalid_argument");
    return;
  }
  check(nsl::evm::validate_transaction(*tx).ok(), kName, "decoded EVM transaction does not validate");
  auto again = nsl::evm::signing_payload(*tx);
  check(again.ok() && nsl::fuzz::same_bytes(*again, bytes), kName, "EVM payload does not re-encode to itself",
        nsl::fuzz::hex(bytes));
  check(inspected->tx == *tx, kName, "inspect_evm_tx decoded another transaction");
}

void check_formats(nsl::crypto::ByteSpan bytes) {
  for (int f = 1; f <= 6; ++f) {
    const auto format = static_cast<sg::Format>(f);
    auto d = sg::inspect(format, bytes, {.network_magic = 860833102});
    auto digest = sg::signing_digest(format, bytes, 860833102);
    check(d.ok() == digest.ok(), kName, "inspect and signing_digest disagree", std::string(sg::format_name(format)));
    if (!d.ok()) {
      check(d.error().code() == nsl::ErrorCode::invalid_argument, kName, "inspect error is not invalid_argument");
      continue;
    }
    check(d->digest == *digest, kName, "inspect and signing_digest give different digests");
    // Tuesday 2024-01-02 12:00 UTC: inside the fixed policy's window.
    auto r = sg::evaluate(fixed_policy(), *d, {.now_unix = 1704196800, .network_magic = 860833102});
    const auto overflow = [](const nsl::Error& e) {
      return e.code() == nsl::ErrorCode::invalid_argument && e.message().find("moves more than") != std::string::npos;
    };
    if (!r.ok() && !overflow(r.error())) {
      check(r.error().code() == nsl::ErrorCode::permission_denied, kName, "evaluate failed with another code",
            r.error().message());
      check(r.error().message().rfind("signing policy: ", 0) == 0, kName, "denial without the rule prefix",
            r.error().message());
    }
    auto m = sg::moves_of(*d);
    check(m.ok() || overflow(m.error()), kName, "moves_of failed other than by overflow");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nsl::crypto::ByteSpan bytes(data, size);
  check_policy(std::string_view(reinterpret_cast<const char*>(data), size));
  check_script(bytes);
  check_evm(bytes);
  check_formats(bytes);
  return 0;
}
