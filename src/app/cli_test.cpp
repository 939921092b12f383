// The operator CLI answers match the published vectors (tests/vectors/), and it fails cleanly.
#include "app/cli.hpp"

#include <gtest/gtest.h>

#include "harness/harness.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/secret_bytes.hpp"
#include "core/strings.hpp"
#include "crypto/ecdsa.hpp"

namespace nsl::app {
namespace {

nlohmann::json vectors(const std::string& name) {
  std::ifstream f(nsl::testing::source_dir() + "/tests/vectors/" + name);
  EXPECT_TRUE(f.good()) << name;
  return nlohmann::json::parse(f);
}

struct Run {
  int rc;
  std::string out, err;
};

Run cli(std::vector<std::string> args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  int rc = run_cli(args, in, out, err);
  return {rc, out.str(), err.str()};
}

nlohmann::json json_out(const Run& r) {
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j;
}

TEST(CliNeo, AddressAndWifInfoMatchVectors) {
  for (const auto& v : vectors("neo_keys.json")) {
    auto r = cli({"neo", "address", "--pubkey", v["public_key"], "--json"});
    ASSERT_EQ(r.rc, 0) << r.err;
    auto j = json_out(r);
    EXPECT_EQ(j["address"], v["address"]) << v["id"];
    EXPECT_EQ(j["script_hash"], v["script_hash_display"]) << v["id"];
    // The uncompressed form names the same account.
    r = cli({"neo", "address", "--pubkey", v["public_key_uncompressed"], "--json"});
    EXPECT_EQ(json_out(r)["address"], v["address"]);

    r = cli({"neo", "wif-info", "--json"}, v["wif"].get<std::string>() + "\n");
    ASSERT_EQ(r.rc, 0) << r.err;
    j = json_out(r);
    EXPECT_EQ(j["public_key"], v["public_key"]);
    EXPECT_EQ(j["address"], v["address"]);
    EXPECT_EQ(r.out.find(v["wif"].get<std::string>()), std::string::npos) << "wif-info must not echo the WIF";
  }
}

TEST(CliNeo, Nep2DecryptAndEncryptMatchVectors) {
  for (const auto& v : vectors("nep2.json")) {
    if (v["scrypt"]["n"] != 16384) continue;  // the CLI uses NEP-2's standard parameters
    std::string pass = v["passphrase"];
    auto r = cli({"neo", "nep2-decrypt", v["nep2"], "--json"}, pass + "\n");
    if (!v["valid"].get<bool>()) {
      EXPECT_NE(r.rc, 0) << v["id"];
      EXPECT_FALSE(r.err.empty());
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
      continue;
    }
    ASSERT_EQ(r.rc, 0) << v["id"] << r.err;
    auto j = json_out(r);
    EXPECT_EQ(j["address"], v["address"]);
    EXPECT_FALSE(j.contains("wif")) << "WIF only with --reveal";
    r = cli({"neo", "nep2-decrypt", v["nep2"], "--reveal", "--json"}, pass + "\n");
    EXPECT_EQ(json_out(r)["wif"], v["wif"]);

    r = cli({"neo", "nep2-encrypt", "--json"}, v["wif"].get<std::string>() + "\n" + pass + "\n");
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(json_out(r)["nep2"], v["nep2"]) << v["id"];
  }
}

TEST(CliNeo, TxDecodeMatchesVectors) {
  for (const auto& v : vectors("neo_tx.json")) {
    auto r = cli({"neo", "tx-decode", v["raw_tx"], "--magic", std::to_string(v["network_magic"].get<std::uint32_t>()),
                  "--json"});
    ASSERT_EQ(r.rc, 0) << v["id"] << r.err;
    std::string out = r.out;
    EXPECT_NE(out.find(v["tx_hash"].get<std::string>()), std::string::npos) << v["id"];
    EXPECT_NE(out.find(v["sign_data"].get<std::string>()), std::string::npos) << v["id"];
    for (const auto& s : v["fields"]["signers"]) {
      EXPECT_NE(out.find(s["account"].get<std::string>()), std::string::npos) << v["id"];
    }
  }
  auto bad = cli({"neo", "tx-decode", "00ff"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.out, "");
}

TEST(CliEvm, AddressAndTxDecodeMatchVectors) {
  for (const auto& v : vectors("evm_tx.json")) {
    auto r = cli({"evm", "tx-decode", v["signed_raw_tx"], "--json"});
    ASSERT_EQ(r.rc, 0) << v["id"] << r.err;
    auto j = json_out(r);
    EXPECT_EQ(j["from"], v["sender"]) << v["id"];
    EXPECT_EQ(j["hash"], v["tx_hash"]) << v["id"];
    EXPECT_EQ(j["nonce"], v["fields"]["nonce"]) << v["id"];
    EXPECT_EQ(j["value"], v["fields"]["value"]) << v["id"];
  }
  // Address of each vector's public key (derived from its private key) is the vector's EIP-55 sender.
  for (const auto& v : vectors("evm_tx.json")) {
    auto key = from_hex(v["private_key"].get<std::string>()).value();
    SecretBytes sk = SecretBytes::copy_of(key);
    for (bool compressed : {false, true}) {
      std::string pub = compressed ? to_hex(crypto::ec_public_key(crypto::Curve::secp256k1, sk).value())
                                   : to_hex(crypto::ec_public_key_uncompressed(crypto::Curve::secp256k1, sk).value());
      auto r = cli({"evm", "address", "--pubkey", "0x" + pub});
      ASSERT_EQ(r.rc, 0) << r.err;
      EXPECT_EQ(r.out, v["sender"].get<std::string>() + "\n");
    }
  }
}

TEST(Cli, ErrorsAreOneLineAndNonZero) {
  for (auto args : std::vector<std::vector<std::string>>{{"neo", "address", "--pubkey", "zz"},
                                                          {"neo", "address", "--pubkey", "02" + std::string(64, 'f')},
                                                          {"evm", "tx-decode", "0x01"},
                                                          {"neo", "wif-info"}}) {
    auto r = cli(args);
    EXPECT_NE(r.rc, 0);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(cli({"neo", "address", "--bogus"}).rc, 2);
  EXPECT_EQ(cli({"frobnicate"}).rc, 2);
}

}  // namespace
}  // namespace nsl::app

namespace nsl::app {
namespace {

std::string write_config(const nsl::testing::TempDir& dir, const std::string& body) {
  return dir.write_file("nsl.toml", "[data]\ndir = \"" + dir.path() + "/data\"\n" + body);
}

TEST(CliMigrate, AppliesTheEmbeddedSchemaOnceAndReportsIt) {
  nsl::testing::TempDir dir;
  const std::string config = write_config(dir, "");
  auto first = cli({"migrate", "--config", config, "--json"});
  ASSERT_EQ(first.rc, 0) << first.err;
  EXPECT_EQ(json_out(first)["backend"], "sqlite");
  EXPECT_GE(json_out(first)["schema_version"].get<int>(), 1);
  auto again = cli({"migrate", "--config", config});
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_NE(again.out.find("database schema at version"), std::string::npos);
  EXPECT_FALSE(nsl::testing::read_file(dir.path() + "/data/nsl.db").empty());
}

TEST(CliMigrate, BadUrlsFailWithoutEchoingThem) {
  nsl::testing::TempDir dir;
  auto bad = cli({"migrate", "--config", write_config(dir, "[database]\nurl = \"mysql://root:hunter2@db/x\"\n")});
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("database.url"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("hunter2"), std::string::npos) << bad.err;
  // A PostgreSQL server that is not there: a clean failure, exit 1, no password in the message.
  const int port = nsl::testing::free_tcp_port();
  auto down = cli({"migrate", "--config",
                  write_config(dir, "[database]\nurl = \"postgresql://nsl:hunter2@127.0.0.1:" + std::to_string(port) +
                                        "/nsl?connect_timeout=2\"\n")});
  EXPECT_EQ(down.rc, 1) << down.out << down.err;
  EXPECT_EQ(down.err.find("hunter2"), std::string::npos) << down.err;
  EXPECT_EQ(cli({"migrate", "extra"}).rc, 2);
}

// `nsl keys import` checks its arguments and the secret before it contacts any server (the URL
// here is a closed port: reaching it would be a different error).
TEST(CliKeysImport, UsageAndLocalChecks) {
  const std::vector<std::string> base = {"keys", "import", "--url", "http://127.0.0.1:1", "--token", "t",
                                         "--label", "x"};
  auto with = [&](std::vector<std::string> more) {
    auto a = base;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  EXPECT_EQ(cli({"keys", "help"}).rc, 0);
  EXPECT_EQ(cli({"keys"}).rc, 2);
  EXPECT_EQ(cli({"keys", "export"}).rc, 2);
  EXPECT_EQ(cli({"keys", "import", "--url", "http://x"}).rc, 2);                       // missing options
  EXPECT_EQ(cli(with({"--curve", "p384", "--format", "wif"})).rc, 2);                  // bad curve
  EXPECT_EQ(cli(with({"--curve", "secp256r1", "--format", "pem"})).rc, 2);             // bad format
  EXPECT_EQ(cli(with({"--curve", "secp256r1", "--format", "wif", "L1x"})).rc, 2);      // no secrets in argv
  EXPECT_EQ(cli(with({"--curve", "secp256r1", "--format", "wif"}), "").rc, 1);         // no secret
  EXPECT_EQ(cli(with({"--curve", "secp256r1", "--format", "wif"}), "not a wif\n").rc, 1);
  EXPECT_EQ(cli(with({"--curve", "secp256r1", "--format", "hex"}), "abcd\n").rc, 1);
  const auto n = vectors("nep2.json").at(0);
  auto wrong = cli(with({"--curve", "secp256r1", "--format", "nep2"}),
                   n["nep2"].get<std::string>() + "\nwrong\n");
  EXPECT_EQ(wrong.rc, 1);
  EXPECT_NE(wrong.err.find("wrong passphrase"), std::string::npos) << wrong.err;
  auto curve = cli(with({"--curve", "ed25519", "--format", "wif"}), n["wif"].get<std::string>() + "\n");
  EXPECT_EQ(curve.rc, 1);
  EXPECT_NE(curve.err.find("--curve"), std::string::npos) << curve.err;
  // A good key gets as far as the server, which is not there.
  auto unreachable = cli(with({"--curve", "secp256r1", "--format", "wif"}), n["wif"].get<std::string>() + "\n");
  EXPECT_EQ(unreachable.rc, 1);
  EXPECT_NE(unreachable.err.find("127.0.0.1:1"), std::string::npos) << unreachable.err;
  EXPECT_EQ(unreachable.err.find(n["wif"].get<std::string>()), std::string::npos);
}

}  // namespace
}  // namespace nsl::app
