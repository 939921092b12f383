// `nsl keys import`: the key owner's side of key import (docs/keys.md "Importing a key").
//
//   nsl keys import [--url URL] [--token TOKEN] --curve secp256r1|secp256k1|ed25519 --label LABEL
//                   --format wif|nep2|hex|keystore [--exportable] [--rotation-days N]
//                   [--measurement HEX] [--allow-simulated] [--json]
//
// The secret is read from standard input, never from argv:
//   wif, nep2, hex  the first line (hex: 32 bytes, optional 0x: EC scalar or Ed25519 seed)
//   keystore        the whole input (Web3 Secret Storage v3 JSON) when NSL_IMPORT_PASSPHRASE is set,
//                   else the first line (the JSON on one line, e.g. `jq -c .`)
// The nep2/keystore passphrase: the environment variable NSL_IMPORT_PASSPHRASE when set, else the
// next line of standard input. The URL: --url, else NSL_URL; the token: --token, else NSL_TOKEN.
//
// Steps: decrypt locally (a wrong passphrase fails here, before the server is contacted); POST
// /v1/keys/imports with a fresh nonce; verify the quote (attest::verify_quote; sim quotes only with
// --allow-simulated; --measurement pins mrenclave/mrtd/the sim measurement) and that its
// report_data commits to the transport key and our nonce; wrap the key to that transport key
// under the returned binding (enclave/protocol/import_wrap.hpp); POST /v1/keys/import; check that
// the stored public key is the key's own. The plaintext key lives only in SecretBytes and is wiped.
//
// Exit status: 0 imported; 1 refused (server, quote, passphrase, key); 2 usage error.
#include <string.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/cli.hpp"
#include "app/cli_args.hpp"
#include "app/cli_http.hpp"
#include "attest/verify.hpp"
#include "chain/evm/address.hpp"
#include "chain/evm/keystore.hpp"
#include "chain/neo/account.hpp"
#include "chain/neo/nep2.hpp"
#include "core/base64.hpp"
#include "core/json_strict.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/ed25519.hpp"
#include "enclave/protocol/import_wrap.hpp"

namespace nsl::app {
namespace {

using nlohmann::json;

constexpr const char* kKeysUsage = R"(usage:
  nsl keys import --url URL [--token TOKEN] --curve CURVE --label LABEL --format FORMAT [options]
      import a private key you hold: it is decrypted here, wrapped to the enclave's attested transport
      key and never reaches the server in clear
  --url URL            the nsl API base URL (https://nsl.example.com; default: $NSL_URL)
  --token TOKEN        API key or access token with keys:create (default: $NSL_TOKEN)
  --curve CURVE        secp256r1 (N3) | secp256k1 (NeoX/EVM) | ed25519
  --label LABEL        the key's label
  --format FORMAT      wif | nep2 | hex | keystore (Web3 Secret Storage v3 JSON)
  --exportable         mark the key exportable
  --rotation-days N    0 (never) .. 3650; default: the server's
  --measurement HEX    require this enclave measurement (mrenclave, mrtd or the sim measurement)
  --allow-simulated    accept a simulated enclave's quote (no hardware protection; never in production)
  --json               print the key as JSON
The secret is read from standard input: the first line (wif, nep2, hex), or the keystore JSON (all of
stdin when NSL_IMPORT_PASSPHRASE is set, else its first line). The nep2/keystore passphrase is
$NSL_IMPORT_PASSPHRASE, else the next line of standard input.
exit status: 0 imported, 1 refused, 2 usage error
)";

int usage(std::ostream& err, const std::string& msg) {
  err << "nsl keys import: " << msg << "\n";
  return 2;
}
int refused(std::ostream& err, const std::string& msg) {
  err << "nsl keys import: " << msg << "\n";
  return 1;
}

void wipe(std::string& s) noexcept {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

// A string that wipes itself.
struct WipedString {
  std::string s;
  ~WipedString() { wipe(s); }
};

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

struct LocalKey {
  SecretBytes key;
  std::string expected_address;  // from the format (NEP-2, keystore); empty when it carries none
};

Result<LocalKey> decode_secret(const std::string& format, enclave::KeyCurve curve, std::istream& in) {
  const char* env_pass = std::getenv("NSL_IMPORT_PASSPHRASE");
  auto passphrase = [&](WipedString& out) -> Status {
    if (env_pass != nullptr) {
      out.s = env_pass;
      return {};
    }
    auto line = read_secret_line(in);
    if (!line) return err::invalid_argument("no passphrase: set NSL_IMPORT_PASSPHRASE or give it as the next line of standard input");
    out.s = std::move(*line);
    wipe(*line);
    return {};
  };
  LocalKey out;
  if (format == "keystore") {
    if (curve != enclave::KeyCurve::secp256k1)
      return err::invalid_argument("a keystore holds a secp256k1 key: use --curve secp256k1");
    WipedString doc, pass;
    if (env_pass != nullptr) {
      doc.s.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else {
      auto line = read_secret_line(in);
      if (!line) return err::invalid_argument("no keystore JSON on standard input");
      doc.s = std::move(*line);
    }
    NSL_TRY(passphrase(pass));
    NSL_TRY_ASSIGN(evm::KeystoreKey k, evm::keystore_decrypt(doc.s, pass.s, SecretAccess::grant()));
    out.expected_address = k.address.to_checksum();
    out.key = std::move(k.private_key);
    return out;
  }
  WipedString first;
  {
    auto line = read_secret_line(in);
    if (!line) return err::invalid_argument("no secret on standard input");
    first.s = trim(*line);
    wipe(*line);
  }
  if (format == "wif") {
    if (curve == enclave::KeyCurve::ed25519)
      return err::invalid_argument("a WIF holds an EC key: use --curve secp256r1 or secp256k1");
    NSL_TRY_ASSIGN(out.key, neo::wif_decode(first.s));
    return out;
  }
  if (format == "nep2") {
    if (curve != enclave::KeyCurve::secp256r1)
      return err::invalid_argument("a NEP-2 key is an N3 (secp256r1) key: use --curve secp256r1");
    WipedString pass;
    NSL_TRY(passphrase(pass));
    auto k = neo::nep2_decrypt(first.s, pass.s, SecretAccess::grant());
    if (!k.ok()) {
      if (neo::nep2_is_wrong_passphrase(k.error()))
        return err::invalid_argument("wrong passphrase (the NEP-2 address check failed)");
      return k.error();
    }
    out.key = std::move(*k);
    NSL_TRY_ASSIGN(auto pub, crypto::ec_public_key(crypto::Curve::secp256r1, out.key));
    NSL_TRY_ASSIGN(out.expected_address, neo::public_key_to_address(pub));
    return out;
  }
  if (format == "hex") {
    std::string_view h = first.s;
    if (h.size() >= 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) h.remove_prefix(2);
    auto b = from_hex(h);
    if (!b || b->size() != 32) {
      if (b) explicit_bzero(b->data(), b->size());
      return err::invalid_argument("hex: expected 32 bytes (64 hex digits)");
    }
    out.key = SecretBytes::copy_of(*b);
    explicit_bzero(b->data(), b->size());
    return out;
  }
  return err::invalid_argument("--format must be wif, nep2, hex or keystore");
}

// The public key the server must report for this private key (hex, as KeyView.public_key).
Result<std::string> public_key_hex(enclave::KeyCurve curve, const SecretBytes& key) {
  if (curve == enclave::KeyCurve::ed25519) {
    NSL_TRY_ASSIGN(auto kp, crypto::ed25519_from_seed(key));
    return to_hex(kp.public_key);
  }
  const auto c = curve == enclave::KeyCurve::secp256r1 ? crypto::Curve::secp256r1
                                                         : crypto::Curve::secp256k1;
  NSL_TRY_ASSIGN(auto pub, crypto::ec_public_key(c, key));
  return to_hex(pub);
}

// Checks the /v1/keys/imports answer; returns the transport key and binding to wrap under.
Status check_session(const json& s, const std::string& nonce_hex, bool allow_simulated,
                     const std::optional<std::string>& measurement,
                     std::array<std::uint8_t, 32>& transport, enclave::Binding& binding,
                     bool& simulated) {
  if (!s.is_object() || !s.contains("key_id") || !s["key_id"].is_string() || !s.contains("binding") ||
      !s["binding"].is_object() || !s.contains("transport_public_key") ||
      !s["transport_public_key"].is_string() || !s.contains("quote") || !s["quote"].is_object() ||
      !s["quote"].contains("quote") || !s["quote"]["quote"].is_string() || !s.contains("nonce") ||
      !s["nonce"].is_string())
    return err::invalid_argument("unexpected answer from POST /v1/keys/imports");
  if (s["nonce"] != nonce_hex) return err::permission_denied("the server did not attest our nonce");
  const json& b = s["binding"];
  if (!b.contains("tenant_id") || !b["tenant_id"].is_string() || b.value("object_id", "") != s["key_id"] ||
      b.value("version", 0) != 1 || b.value("purpose", "") != "signing")
    return err::invalid_argument("unexpected binding from POST /v1/keys/imports");
  binding = {.tenant_id = b["tenant_id"].get<std::string>(),
             .object_id = s["key_id"].get<std::string>(),
             .version = 1,
             .purpose = "signing"};
  NSL_TRY(enclave::check_binding(binding));
  auto tk = from_hex(s["transport_public_key"].get<std::string>());
  if (!tk || tk->size() != 32) return err::invalid_argument("transport_public_key must be 32 bytes of hex");
  std::copy(tk->begin(), tk->end(), transport.begin());
  auto quote = base64_decode(s["quote"]["quote"].get<std::string>());
  if (!quote) return err::invalid_argument("quote must be base64");
  attest::VerifyOptions opt;
  opt.allow_simulated = allow_simulated;
  NSL_TRY_ASSIGN(attest::Verdict v, attest::verify_quote(*quote, opt));
  if (v.simulated && !allow_simulated)
    return err::permission_denied("the enclave is SIMULATED (no hardware protection); pass --allow-simulated to import anyway");
  if (!v.ok) return err::permission_denied("the enclave's quote does not verify: " + v.first_failure);
  const auto nonce = from_hex(nonce_hex);
  const auto expected = enclave::attest_report_data(enclave::AttestPurpose::transport_key, *tk, *nonce);
  if (v.report_data.size() != expected.size() ||
      !std::equal(expected.begin(), expected.end(), v.report_data.begin()))
    return err::permission_denied("the quote does not commit to this transport key and nonce");
  if (measurement) {
    bool found = false;
    for (const auto& [name, value] : v.measurements()) {
      if ((name == "mrenclave" || name == "mrtd" || name == "measurement") && value == *measurement) found = true;
    }
    if (!found) return err::permission_denied("the enclave's measurement is not --measurement");
  }
  simulated = v.simulated;
  return {};
}

int import_key(const CliArgs& a, std::istream& in, std::ostream& out, std::ostream& err) {
  const std::string base = api_base_url(a.option("--url"));
  const auto curve_name = a.option("--curve");
  const auto label = a.option("--label");
  const auto format = a.option("--format");
  if (base.empty() || !curve_name || !label || !format)
    return usage(err, "--url (or NSL_URL), --curve, --label and --format are required\n" + std::string(kKeysUsage));
  const std::string token = api_token(a.option("--token"));
  if (token.empty()) return usage(err, "no token: --token or NSL_TOKEN");
  auto curve = enclave::parse_key_curve(*curve_name);
  if (!curve.ok()) return usage(err, "--curve must be secp256r1, secp256k1 or ed25519");
  if (*format != "wif" && *format != "nep2" && *format != "hex" && *format != "keystore")
    return usage(err, "--format must be wif, nep2, hex or keystore");
  std::optional<int> rotation_days;
  if (auto d = a.option("--rotation-days")) {
    try {
      std::size_t used = 0;
      rotation_days = std::stoi(*d, &used);
      if (used != d->size()) throw std::invalid_argument("x");
    } catch (...) {
      return usage(err, "--rotation-days must be an integer");
    }
  }
  std::optional<std::string> measurement = a.option("--measurement");
  if (measurement) {
    std::string m = *measurement;
    for (char& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!is_hex(m)) return usage(err, "--measurement must be hex");
    measurement = m;
  }

  // 1. Decrypt locally: a wrong passphrase never reaches the server.
  auto local = decode_secret(*format, *curve, in);
  if (!local.ok()) return refused(err, local.error().message());
  auto pub_hex = public_key_hex(*curve, local->key);
  if (!pub_hex.ok()) return refused(err, "not a valid " + std::string(*curve_name) + " private key: " + pub_hex.error().message());

  // 2. Start the import and check the enclave's attestation.
  std::array<std::uint8_t, 32> nonce{};
  random_bytes(nonce);
  const std::string nonce_hex = to_hex(nonce);
  auto started = api_request("POST", base + "/v1/keys/imports", token, json{{"nonce", nonce_hex}}.dump());
  if (!started.ok()) return refused(err, started.error().message());
  if (started->status != 200) return refused(err, "POST /v1/keys/imports: " + problem_text(*started));
  const json session = json::parse(started->body, nullptr, false);
  std::array<std::uint8_t, 32> transport{};
  enclave::Binding binding;
  bool simulated = false;
  if (Status st = check_session(session, nonce_hex, a.flag("--allow-simulated"), measurement, transport,
                                binding, simulated);
      !st.ok()) {
    return refused(err, st.error().message());
  }
  if (simulated) err << "nsl keys import: WARNING: the enclave is SIMULATED: no hardware protection\n";

  // 3. Wrap to the attested transport key and import.
  auto wrapped = enclave::wrap_for_import(transport, *curve, binding, local->key);
  local->key = SecretBytes();  // wiped: only the wrap leaves this process
  if (!wrapped.ok()) return refused(err, wrapped.error().message());
  json body{{"key_id", binding.object_id},
            {"curve", *curve_name},
            {"label", *label},
            {"wrapped", base64_encode(*wrapped)}};
  if (a.flag("--exportable")) body["exportable"] = true;
  if (rotation_days) body["rotation_days"] = *rotation_days;
  auto imported = api_request("POST", base + "/v1/keys/import", token, body.dump());
  if (!imported.ok()) return refused(err, imported.error().message());
  if (imported->status != 201) return refused(err, "POST /v1/keys/import: " + problem_text(*imported));
  const json key = json::parse(imported->body, nullptr, false);
  if (!key.is_object() || key.value("public_key", "") != *pub_hex)
    return refused(err, "the server reports another public key than the imported key's");
  std::string address;
  if (key.contains("neo") && key["neo"].is_object()) address = key["neo"].value("address", "");
  if (key.contains("evm") && key["evm"].is_object()) address = key["evm"].value("address", "");
  if (!local->expected_address.empty() && address != local->expected_address)
    return refused(err, "the imported key's address " + address + " is not " + local->expected_address);
  if (a.flag("--json")) {
    out << key.dump() << "\n";
  } else {
    out << "imported key " << key.value("id", "") << " (" << *curve_name << ")\n";
    if (!address.empty()) out << "address: " << address << "\n";
    out << "public key: " << *pub_hex << "\n";
  }
  return 0;
}

}  // namespace

int run_keys_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.size() < 2 || args[1] == "help" || args[1] == "--help") {
    (args.size() < 2 ? err : out) << kKeysUsage;
    return args.size() < 2 ? 2 : 0;
  }
  if (args[1] != "import") {
    err << "nsl keys: unknown subcommand '" << args[1] << "' (expected import)\n";
    return 2;
  }
  CliArgs a;
  if (!a.parse(args, 2,
               {"--url", "--token", "--curve", "--label", "--format", "--rotation-days", "--measurement",
                "--config"},
               {"--allow-simulated", "--json", "--exportable"})) {
    return usage(err, a.error);
  }
  if (!a.positional.empty()) return usage(err, "unexpected argument " + a.positional[0]);
  return import_key(a, in, out, err);
}

}  // namespace nsl::app
