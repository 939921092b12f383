// End-to-end tests of key import through `nsl serve` (embedded sim enclave) and the key owner's
// client `nsl keys import`: the repo's N3 vectors (WIF, NEP-2) and the Web3 Secret Storage vector
// (keystore) import to their own addresses; a wrong passphrase creates nothing; a wrap made for
// another key id is refused; viewers cannot import; sim quotes need --allow-simulated; the secret
// never appears in the server's log. Export: only exportable keys (409 otherwise); a NEP-2 export
// decrypts to the imported key's address, a wrapped export opens to the imported key.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/base64.hpp"
#include "core/strings.hpp"
#include "crypto/testing/vectors.hpp"
#include "crypto/x25519.hpp"
#include "enclave/protocol/import_wrap.hpp"
#include "harness/harness.hpp"
#include "harness/nsl_server.hpp"

namespace nsl::testing {
namespace {

using nlohmann::json;

// Runs `nsl keys import --url <server> --token TOKEN ARGS` with STDIN as its standard input.
CliRun import_cli(NslServer& n, const std::string& token, std::vector<std::string> args,
                  const std::string& stdin_text,
                  std::vector<std::pair<std::string, std::string>> env = {}) {
  std::vector<std::string> all = {"keys", "import", "--url", n.url(""), "--token", token};
  all.insert(all.end(), args.begin(), args.end());
  return nsl_with_stdin(n, all, stdin_text, std::move(env));
}

json vector(const std::string& file, const std::string& id) {
  for (const auto& v : crypto::testing::load_vectors(file)) {
    if (v["id"] == id) return v;
  }
  ADD_FAILURE() << "no vector " << id << " in " << file;
  return json::object();
}

std::size_t key_count(NslServer& n, const std::string& token) {
  auto r = api_call("GET", n.url("/v1/keys"), token);
  return json_of(r)["items"].size();
}

TEST(KeyImport, N3AndKeystoreVectorsImportToTheirAddresses) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  const TestTenant acme = create_tenant(n, "acme");

  // WIF (first line of stdin).
  const json a = vector("nep2.json", "neon-neogo-a");
  auto r1 = import_cli(n, acme.key,
                       {"--curve", "secp256r1", "--label", "wif", "--format", "wif",
                        "--allow-simulated", "--json"},
                       a["wif"].get<std::string>() + "\n");
  ASSERT_EQ(r1.rc, 0) << r1.out;
  json k1 = last_json_line(r1);
  EXPECT_EQ(k1["neo"]["address"], a["address"]) << r1.out;
  EXPECT_EQ(k1["current_version"], 1);
  EXPECT_EQ(k1["exportable"], false);
  EXPECT_NE(r1.out.find("SIMULATED"), std::string::npos) << "a sim import warns";

  // NEP-2, passphrase as the second line (a non-ASCII one).
  const json b = vector("nep2.json", "neogo-b-chinese");
  auto r2 = import_cli(n, acme.key,
                       {"--curve", "secp256r1", "--label", "nep2", "--format", "nep2",
                        "--allow-simulated", "--json", "--rotation-days", "0"},
                       b["nep2"].get<std::string>() + "\n" + b["passphrase"].get<std::string>() + "\n");
  ASSERT_EQ(r2.rc, 0) << r2.out;
  json k2 = last_json_line(r2);
  EXPECT_EQ(k2["neo"]["address"], b["address"]) << r2.out;
  EXPECT_EQ(k2["rotation_days"], 0);

  // Keystore (pretty-printed JSON on stdin, passphrase from the environment).
  const json ks = vector("web3_keystore.json", "web3-secret-storage-pbkdf2");
  auto r3 = import_cli(n, acme.key,
                       {"--curve", "secp256k1", "--label", "keystore", "--format", "keystore",
                        "--allow-simulated", "--json", "--exportable"},
                       ks["keystore"].dump(2) + "\n",
                       {{"NSL_IMPORT_PASSPHRASE", ks["password"].get<std::string>()}});
  ASSERT_EQ(r3.rc, 0) << r3.out;
  json k3 = last_json_line(r3);
  std::string evm = k3["evm"]["address"];
  for (char& c : evm) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(evm, ks["address"]) << r3.out;
  EXPECT_EQ(k3["exportable"], true);

  // hex, human output.
  auto r4 = import_cli(n, acme.key,
                       {"--curve", "ed25519", "--label", "hex", "--format", "hex", "--allow-simulated"},
                       std::string(64, '7') + "\n");
  ASSERT_EQ(r4.rc, 0) << r4.out;
  EXPECT_NE(r4.out.find("imported key key_"), std::string::npos) << r4.out;

  // The imported key is a normal key: readable, audited, and it signs as the vector's account.
  auto got = api_call("GET", n.url("/v1/keys/" + k1["id"].get<std::string>()), acme.key);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(json_of(got)["public_key"], vector("neo_keys.json", "neon-neogo-a")["public_key"]);
  auto audit = api_call("GET", n.url("/v1/audit?action=keys.import"), acme.key);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(json_of(audit)["items"].size(), 4u) << audit.body;

  // Rotation makes an enclave-generated version 2: the imported key no longer signs.
  auto rot = api_call("POST", n.url("/v1/keys/" + k1["id"].get<std::string>() + "/rotate"), acme.key);
  ASSERT_EQ(rot.status, 200) << rot.body;
  EXPECT_EQ(json_of(rot)["current_version"], 2);
  EXPECT_NE(json_of(rot)["public_key"], k1["public_key"]);

  // Nothing secret reached the server.
  const std::string logs = n.logs();
  for (const std::string& secret : {a["wif"].get<std::string>(), a["private_key"].get<std::string>(),
                                   b["wif"].get<std::string>(), b["private_key"].get<std::string>(),
                                   b["passphrase"].get<std::string>(),
                                   ks["private_key"].get<std::string>(),
                                   ks["password"].get<std::string>()}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << "the server log contains a secret";
  }
}

TEST(KeyImport, RefusalsCreateNothing) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  const TestTenant acme = create_tenant(n, "acme");
  const json a = vector("nep2.json", "neon-neogo-a");

  // Wrong NEP-2 passphrase: a clear error, nothing created.
  auto wrong = import_cli(n, acme.key,
                          {"--curve", "secp256r1", "--label", "x", "--format", "nep2", "--allow-simulated"},
                          a["nep2"].get<std::string>() + "\nnot the passphrase\n");
  EXPECT_EQ(wrong.rc, 1) << wrong.out;
  EXPECT_NE(wrong.out.find("wrong passphrase"), std::string::npos) << wrong.out;
  // Wrong keystore passphrase.
  const json ks = vector("web3_keystore.json", "web3-secret-storage-pbkdf2");
  auto wrong2 = import_cli(n, acme.key,
                           {"--curve", "secp256k1", "--label", "x", "--format", "keystore",
                            "--allow-simulated"},
                           ks["keystore"].dump() + "\nnope\n");
  EXPECT_EQ(wrong2.rc, 1) << wrong2.out;
  EXPECT_NE(wrong2.out.find("wrong passphrase"), std::string::npos) << wrong2.out;
  // A sim enclave without --allow-simulated.
  auto sim = import_cli(n, acme.key, {"--curve", "secp256r1", "--label", "x", "--format", "wif"},
                        a["wif"].get<std::string>() + "\n");
  EXPECT_EQ(sim.rc, 1) << sim.out;
  EXPECT_NE(sim.out.find("SIMULATED"), std::string::npos) << sim.out;
  // Curve/format mismatch and usage errors.
  EXPECT_EQ(import_cli(n, acme.key, {"--curve", "secp256k1", "--label", "x", "--format", "nep2",
                                     "--allow-simulated"},
                       a["nep2"].get<std::string>() + "\ncity of zion\n")
                .rc,
            1);
  EXPECT_EQ(import_cli(n, acme.key, {"--curve", "secp256r1", "--label", "x"}, "").rc, 2);
  EXPECT_EQ(key_count(n, acme.key), 0u);

  // A viewer cannot import.
  auto vk = api_call("POST", n.url("/v1/apikeys"), acme.key,
                     json{{"name", "ro"}, {"roles", {"viewer"}}}.dump());
  ASSERT_EQ(vk.status, 201) << vk.body;
  const std::string viewer = json_of(vk)["api_key"];
  EXPECT_EQ(api_call("POST", n.url("/v1/keys/imports"), viewer).status, 403);
  EXPECT_EQ(api_call("POST", n.url("/v1/keys/import"), viewer,
                     json{{"key_id", "key_0000000000000000000a"}, {"curve", "secp256r1"},
                          {"label", "x"}, {"wrapped", "AA=="}}
                         .dump())
                .status,
            403);
  auto rv = import_cli(n, viewer, {"--curve", "secp256r1", "--label", "x", "--format", "wif",
                                   "--allow-simulated"},
                       a["wif"].get<std::string>() + "\n");
  EXPECT_EQ(rv.rc, 1);
  EXPECT_NE(rv.out.find("HTTP 403"), std::string::npos) << rv.out;

  // A wrap made for another key id (or tenant) does not open.
  auto s1 = api_call("POST", n.url("/v1/keys/imports"), acme.key);
  auto s2 = api_call("POST", n.url("/v1/keys/imports"), acme.key,
                     json{{"nonce", std::string(64, 'a')}}.dump());
  ASSERT_EQ(s1.status, 200) << s1.body;
  ASSERT_EQ(s2.status, 200) << s2.body;
  const json j1 = json_of(s1), j2 = json_of(s2);
  EXPECT_EQ(j2["nonce"], std::string(64, 'a'));
  EXPECT_EQ(j1["binding"]["tenant_id"], acme.id);
  EXPECT_EQ(j1["binding"]["object_id"], j1["key_id"]);
  EXPECT_NE(j1["key_id"], j2["key_id"]);
  const auto transport = *from_hex(j1["transport_public_key"].get<std::string>());
  const auto key = SecretBytes::copy_of(*from_hex(a["private_key"].get<std::string>()));
  enclave::Binding for_1{.tenant_id = acme.id, .object_id = j1["key_id"].get<std::string>(), .version = 1,
                         .purpose = "signing"};
  auto wrap = enclave::wrap_for_import(transport, enclave::KeyCurve::secp256r1, for_1, key);
  ASSERT_TRUE(wrap.ok());
  auto body = [&](const json& id) {
    return json{{"key_id", id}, {"curve", "secp256r1"}, {"label", "w"},
                {"wrapped", base64_encode(*wrap)}}
        .dump();
  };
  auto other = api_call("POST", n.url("/v1/keys/import"), acme.key, body(j2["key_id"]));
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(key_count(n, acme.key), 0u);
  // Strict bodies and key id shape.
  EXPECT_EQ(api_call("POST", n.url("/v1/keys/import"), acme.key, body("key_1")).status, 400);
  auto extra = json::parse(body(j1["key_id"]));
  extra["private_key"] = "x";
  EXPECT_EQ(api_call("POST", n.url("/v1/keys/import"), acme.key, extra.dump()).status, 400);
  EXPECT_EQ(api_call("POST", n.url("/v1/keys/imports"), acme.key, json{{"nonce", "00"}}.dump()).status,
            400);
  // The right key id works once; the id cannot be reused.
  auto ok = api_call("POST", n.url("/v1/keys/import"), acme.key, body(j1["key_id"]));
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(json_of(ok)["neo"]["address"], a["address"]);
  EXPECT_EQ(ok.headers["location"], "/v1/keys/" + j1["key_id"].get<std::string>());
  EXPECT_EQ(api_call("POST", n.url("/v1/keys/import"), acme.key, body(j1["key_id"])).status, 409);
  EXPECT_EQ(key_count(n, acme.key), 1u);

  // Another tenant cannot use acme's wrap, even under acme's key id.
  const TestTenant globex = create_tenant(n, "globex");
  auto g = api_call("POST", n.url("/v1/keys/import"), globex.key, body(j1["key_id"]));
  EXPECT_EQ(g.status, 403) << g.body;
}

TEST(KeyExport, OnlyExportableKeysAndTheKeyComesBack) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  const TestTenant acme = create_tenant(n, "acme");
  const json a = vector("nep2.json", "neon-neogo-a");
  auto imported = import_cli(n, acme.key,
                             {"--curve", "secp256r1", "--label", "cold", "--format", "wif",
                              "--allow-simulated", "--json", "--exportable"},
                             a["wif"].get<std::string>() + "\n");
  ASSERT_EQ(imported.rc, 0) << imported.out;
  const std::string id = last_json_line(imported)["id"];
  auto plain = api_call("POST", n.url("/v1/keys"), acme.key,
                        json{{"curve", "secp256r1"}, {"label", "hot"}}.dump());
  ASSERT_EQ(plain.status, 201);
  const std::string plain_id = json_of(plain)["id"];

  // NEP-2: decrypts (with the offline CLI) to the imported key's address.
  auto e1 = api_call("POST", n.url("/v1/keys/" + id + "/export"), acme.key,
                     json{{"format", "nep2"}, {"passphrase", "export pass"}}.dump());
  ASSERT_EQ(e1.status, 200) << e1.body;
  const json x1 = json_of(e1);
  EXPECT_EQ(x1["format"], "nep2");
  EXPECT_EQ(x1["version"], 1);
  EXPECT_EQ(e1.headers["cache-control"], "no-store");
  auto dec = nsl_with_stdin(n, {"neo", "nep2-decrypt", x1["nep2"].get<std::string>(), "--json"},
                            "export pass\n");
  ASSERT_EQ(dec.rc, 0) << dec.out;
  EXPECT_EQ(last_json_line(dec)["address"], a["address"]) << dec.out;

  // Wrapped: only the owner's X25519 key opens it, under the version's binding.
  const crypto::X25519KeyPair owner = crypto::x25519_generate();
  auto e2 = api_call("POST", n.url("/v1/keys/" + id + "/export"), acme.key,
                     json{{"format", "wrapped"}, {"recipient_public_key", to_hex(owner.public_key)}}.dump());
  ASSERT_EQ(e2.status, 200) << e2.body;
  const json x2 = json_of(e2);
  EXPECT_EQ(x2["binding"]["object_id"], id);
  enclave::Binding b{.tenant_id = acme.id, .object_id = id, .version = 1, .purpose = "signing"};
  auto opened = enclave::open_export_wrap(owner.private_key, b,
                                          *base64_decode(x2["wrapped"].get<std::string>()));
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_TRUE(opened->private_key == SecretBytes::copy_of(*from_hex(a["private_key"].get<std::string>())));

  // Not exportable: 409; bad bodies: 400; a viewer or operator: 403; unknown key: 404.
  auto no = api_call("POST", n.url("/v1/keys/" + plain_id + "/export"), acme.key,
                     json{{"format", "nep2"}, {"passphrase", "p"}}.dump());
  EXPECT_EQ(no.status, 409) << no.body;
  EXPECT_NE(no.body.find("not exportable"), std::string::npos) << no.body;
  EXPECT_EQ(api_call("POST", n.url("/v1/keys/" + id + "/export"), acme.key,
                     json{{"format", "pem"}}.dump()).status, 400);
  EXPECT_EQ(api_call("POST", n.url("/v1/keys/" + id + "/export"), acme.key,
                     json{{"format", "nep2"}, {"passphrase", "p"}, {"x", 1}}.dump()).status, 400);
  EXPECT_EQ(api_call("POST", n.url("/v1/keys/" + id + "/export"), acme.key,
                     json{{"format", "wrapped"}, {"recipient_public_key", "00"}}.dump()).status, 400);
  EXPECT_EQ(api_call("POST", n.url("/v1/keys/key_00000000000000000000/export"), acme.key,
                     json{{"format", "nep2"}, {"passphrase", "p"}}.dump()).status, 404);
  for (const char* role : {"viewer", "operator"}) {
    auto k = api_call("POST", n.url("/v1/apikeys"), acme.key, json{{"name", role}, {"roles", {role}}}.dump());
    ASSERT_EQ(k.status, 201) << k.body;
    EXPECT_EQ(api_call("POST", n.url("/v1/keys/" + id + "/export"), json_of(k)["api_key"],
                       json{{"format", "nep2"}, {"passphrase", "p"}}.dump()).status, 403) << role;
  }
  auto audit = api_call("GET", n.url("/v1/audit?action=keys.export"), acme.key);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(json_of(audit)["items"].size(), 2u) << audit.body;
  EXPECT_EQ(n.logs().find("export pass"), std::string::npos) << "the passphrase is not logged";
}

}  // namespace
}  // namespace nsl::testing
