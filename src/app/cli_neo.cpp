// `nsl neo ...`: offline Neo N3 helpers for operators. Secrets (WIF, passphrases) come from standard input,
// never from argv (argv is visible to every user through /proc). This file is one of the few places outside
// crypto/ and the enclave that may reveal key material: only on the operator's own input, only to their
// terminal, and only where asked for (`--reveal`).
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/cli.hpp"
#include "app/cli_args.hpp"
#include "chain/neo/account.hpp"
#include "chain/neo/nep2.hpp"
#include "chain/neo/tx.hpp"
#include "chain/neo/tx_json.hpp"
#include "core/secret_bytes.hpp"
#include "core/strings.hpp"
#include "crypto/ecdsa.hpp"

namespace nsl::app {

namespace {
constexpr const char* kNeoUsage = R"(usage:
  nsl neo address --pubkey HEX [--json]        address and script hash of a secp256r1 public key
  nsl neo wif-info [--json]                    (WIF on stdin) public key, address, script hash
  nsl neo nep2-decrypt NEP2 [--reveal] [--json]  (passphrase on stdin) address; the WIF only with --reveal
  nsl neo nep2-encrypt [--json]                (WIF, then passphrase, on stdin) NEP-2 string
  nsl neo tx-decode HEX [--magic N] [--json]   every field, hash, sign data and signer accounts
                                               (--magic defaults to MainNet 860833102; TestNet 894710606)
)";

int fail(std::ostream& err, const std::string& msg) {
  err << "nsl neo: " << msg << "\n";
  return 1;
}

std::string strip_0x(std::string s) {
  if (s.rfind("0x", 0) == 0 || s.rfind("0X", 0) == 0) s.erase(0, 2);
  return s;
}

struct AccountInfo {
  std::string public_key;
  std::string address;
  std::string script_hash;
};

Result<AccountInfo> account_of_public_key(crypto::ByteSpan pub) {
  NSL_TRY_ASSIGN(auto compressed, crypto::ec_compress(crypto::Curve::secp256r1, pub));
  NSL_TRY_ASSIGN(auto script, neo::signature_redeem_script(compressed));
  neo::UInt160 hash = neo::script_hash(script);
  return AccountInfo{to_hex(compressed), neo::to_address(hash), hash.to_string()};
}

Result<AccountInfo> account_of_private_key(const SecretBytes& key) {
  NSL_TRY_ASSIGN(auto pub, crypto::ec_public_key(crypto::Curve::secp256r1, key));
  return account_of_public_key(pub);
}

void print(std::ostream& out, bool json, const nlohmann::json& j) {
  if (json) {
    out << j.dump() << "\n";
    return;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    out << it.key() << ": " << (it->is_string() ? it->get<std::string>() : it->dump()) << "\n";
  }
}

nlohmann::json to_json(const AccountInfo& a) {
  return {{"public_key", a.public_key}, {"address", a.address}, {"script_hash", a.script_hash}};
}

}  // namespace

int run_neo_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.size() < 2 || args[1] == "help") {
    (args.size() < 2 ? err : out) << kNeoUsage;
    return args.size() < 2 ? 2 : 0;
  }
  const std::string& sub = args[1];
  CliArgs a;
  if (!a.parse(args, 2, {"--pubkey", "--magic"}, {"--json", "--reveal"})) {
    err << "nsl neo " << sub << ": " << a.error << "\n";
    return 2;
  }
  bool json = a.flag("--json");

  if (sub == "address") {
    auto pub_hex = a.option("--pubkey");
    if (!pub_hex || !a.positional.empty()) {
      err << kNeoUsage;
      return 2;
    }
    auto pub = from_hex(strip_0x(*pub_hex));
    if (!pub) return fail(err, "--pubkey is not hex");
    auto info = account_of_public_key(*pub);
    if (!info.ok()) return fail(err, info.error().message());
    nlohmann::json j = to_json(*info);
    print(out, json, j);
    return 0;
  }

  if (sub == "wif-info") {
    auto wif = read_secret_line(in);
    if (!wif || wif->empty()) return fail(err, "expected a WIF on standard input");
    auto key = neo::wif_decode(*wif);
    SecretString::wipe(*wif);
    if (!key.ok()) return fail(err, key.error().message());
    auto info = account_of_private_key(*key);
    if (!info.ok()) return fail(err, info.error().message());
    print(out, json, to_json(*info));
    return 0;
  }

  if (sub == "nep2-decrypt") {
    if (a.positional.size() != 1) {
      err << kNeoUsage;
      return 2;
    }
    auto pass = read_secret_line(in);
    if (!pass) return fail(err, "expected the passphrase on standard input");
    auto key = neo::nep2_decrypt(a.positional[0], *pass, SecretAccess::grant());
    SecretString::wipe(*pass);
    if (!key.ok()) return fail(err, key.error().message());
    auto info = account_of_private_key(*key);
    if (!info.ok()) return fail(err, info.error().message());
    nlohmann::json j = to_json(*info);
    if (a.flag("--reveal")) {
      auto wif = neo::wif_encode(*key, SecretAccess::grant());
      if (!wif.ok()) return fail(err, wif.error().message());
      j["wif"] = std::string(wif->reveal());
    }
    print(out, json, j);
    return 0;
  }

  if (sub == "nep2-encrypt") {
    auto wif = read_secret_line(in);
    auto pass = read_secret_line(in);
    if (!wif || !pass) return fail(err, "expected the WIF and then the passphrase on standard input (two lines)");
    auto key = neo::wif_decode(*wif);
    SecretString::wipe(*wif);
    if (!key.ok()) {
      SecretString::wipe(*pass);
      return fail(err, key.error().message());
    }
    auto nep2 = neo::nep2_encrypt(*key, *pass, SecretAccess::grant());
    SecretString::wipe(*pass);
    if (!nep2.ok()) return fail(err, nep2.error().message());
    auto info = account_of_private_key(*key);
    if (!info.ok()) return fail(err, info.error().message());
    if (json) {
      out << nlohmann::json{{"nep2", *nep2}, {"address", info->address}}.dump() << "\n";
    } else {
      out << *nep2 << "\n";
    }
    return 0;
  }

  if (sub == "tx-decode") {
    if (a.positional.size() != 1) {
      err << kNeoUsage;
      return 2;
    }
    std::uint32_t magic = neo::kMainNetMagic;
    if (auto m = a.option("--magic")) {
      auto v = parse_u64(*m);
      if (!v || *v > 0xffffffffu) return fail(err, "--magic must be an unsigned 32-bit integer");
      magic = static_cast<std::uint32_t>(*v);
    }
    auto raw = from_hex(strip_0x(a.positional[0]));
    if (!raw) return fail(err, "transaction is not hex");
    auto tx = neo::deserialize(*raw);
    if (!tx.ok()) return fail(err, tx.error().message());
    nlohmann::json j = neo::decode_json(*tx, magic);
    out << (json ? j.dump() : j.dump(2)) << "\n";
    return 0;
  }

  err << "nsl neo: unknown subcommand '" << sub << "'\n" << kNeoUsage;
  return 2;
}

}  // namespace nsl::app
