// `nsl evm ...`: offline NeoX/EVM helpers for operators.
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/cli.hpp"
#include "app/cli_args.hpp"
#include "chain/evm/address.hpp"
#include "chain/evm/hex.hpp"
#include "chain/evm/tx.hpp"
#include "chain/evm/tx_json.hpp"
#include "core/strings.hpp"

namespace nsl::app {

namespace {
constexpr const char* kEvmUsage = R"(usage:
  nsl evm address --pubkey HEX [--json]     EIP-55 address of a secp256k1 public key (33 or 65 bytes)
  nsl evm tx-decode 0xRAW [--json]          decode a signed legacy (EIP-155) or EIP-1559 transaction
)";

int fail(std::ostream& err, const std::string& msg) {
  err << "nsl evm: " << msg << "\n";
  return 1;
}

void print_human(std::ostream& out, const nlohmann::json& j, const std::string& prefix = "") {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      print_human(out, *it, key);
    } else if (it->is_string()) {
      out << key << ": " << it->get<std::string>() << "\n";
    } else {
      out << key << ": " << it->dump() << "\n";
    }
  }
}
}  // namespace

int run_evm_cli(const std::vector<std::string>& args, std::istream&, std::ostream& out, std::ostream& err) {
  if (args.size() < 2) {
    err << kEvmUsage;
    return 2;
  }
  const std::string& sub = args[1];
  CliArgs a;
  if (!a.parse(args, 2, {"--pubkey"}, {"--json"})) {
    err << "nsl evm " << sub << ": " << a.error << "\n";
    return 2;
  }
  if (sub == "address") {
    auto pub_hex = a.option("--pubkey");
    if (!pub_hex || !a.positional.empty()) {
      err << kEvmUsage;
      return 2;
    }
    std::string h = *pub_hex;
    if (h.rfind("0x", 0) == 0 || h.rfind("0X", 0) == 0) h = h.substr(2);
    auto bytes = from_hex(h);
    if (!bytes) return fail(err, "--pubkey is not hex");
    auto addr = evm::address_from_public_key(*bytes);
    if (!addr.ok()) return fail(err, addr.error().message());
    if (a.flag("--json")) {
      out << nlohmann::json{{"address", addr->to_checksum()}}.dump() << "\n";
    } else {
      out << addr->to_checksum() << "\n";
    }
    return 0;
  }
  if (sub == "tx-decode") {
    if (a.positional.size() != 1) {
      err << kEvmUsage;
      return 2;
    }
    auto raw = evm::parse_0x_hex(a.positional[0], "raw transaction");
    if (!raw.ok()) return fail(err, raw.error().message());
    auto tx = evm::decode_signed_transaction(*raw);
    if (!tx.ok()) return fail(err, tx.error().message());
    nlohmann::json j = evm::decode_json(*tx);
    if (a.flag("--json")) {
      out << j.dump() << "\n";
    } else {
      print_human(out, j);
    }
    return 0;
  }
  err << "nsl evm: unknown subcommand '" << sub << "'\n" << kEvmUsage;
  return 2;
}

}  // namespace nsl::app
