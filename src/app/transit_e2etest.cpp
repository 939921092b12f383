// End-to-end tests of transit encryption through `nsl serve` (embedded default) with nsl-enclave as
// its own process: a key is created, encrypts and decrypts (single and batch), rotates, rewraps,
// makes data keys; RBAC (a viewer cannot decrypt), tenant isolation (404) and strict bodies (400)
// hold, and plaintext answers are never cacheable.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/base64.hpp"
#include "harness/harness.hpp"
#include "harness/nsl_server.hpp"

namespace nsl::testing {
namespace {

using nlohmann::json;

std::string b64(const std::string& s) {
  return base64_encode(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

std::string role_key(const NslServer& n, const std::string& owner, const std::string& role) {
  auto r =
      api_call("POST", n.url("/v1/apikeys"), owner, json{{"name", role}, {"roles", {role}}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  return r.status == 201 ? json_of(r)["api_key"].get<std::string>() : "";
}

TEST(Transit, EncryptDecryptRotateRewrapOverHttp) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  const TestTenant acme = create_tenant(n, "acme");
  const TestTenant globex = create_tenant(n, "globex");
  const std::string base = "/v1/transit/keys/orders";

  auto made = api_call("POST", n.url(base), acme.key, json{{"rotation_days", 30}}.dump());
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.headers["location"], base);
  const json k = json_of(made);
  EXPECT_EQ(k["name"], "orders");
  EXPECT_EQ(k["type"], "aes256-gcm");
  EXPECT_EQ(k["latest_version"], 1);
  EXPECT_EQ(k["rotation_days"], 30);
  EXPECT_EQ(k["versions"].size(), 1u);
  EXPECT_EQ(made.body.find("sealed"), std::string::npos);
  EXPECT_EQ(api_call("POST", n.url(base), acme.key).status, 409);
  auto signing =
      api_call("POST", n.url("/v1/transit/keys/sig"), acme.key, json{{"type", "secp256k1"}}.dump());
  EXPECT_EQ(signing.status, 400) << signing.body;
  EXPECT_NE(signing.body.find("/v1/keys"), std::string::npos) << signing.body;

  // Encrypt / decrypt with associated data.
  const std::string secret = "4111 1111 1111 1111";
  auto enc =
      api_call("POST", n.url(base + "/encrypt"), acme.key,
               json{{"plaintext", b64(secret)}, {"associated_data", b64("order-17")}}.dump());
  ASSERT_EQ(enc.status, 200) << enc.body;
  const std::string ct = json_of(enc)["ciphertext"];
  EXPECT_EQ(ct.rfind("nsl:v1:1:", 0), 0u) << ct;
  EXPECT_EQ(json_of(enc)["key_version"], 1);
  auto dec = api_call("POST", n.url(base + "/decrypt"), acme.key,
                      json{{"ciphertext", ct}, {"associated_data", b64("order-17")}}.dump());
  ASSERT_EQ(dec.status, 200) << dec.body;
  EXPECT_EQ(json_of(dec)["plaintext"], b64(secret));
  EXPECT_EQ(dec.headers["cache-control"], "no-store");
  auto wrong_ad = api_call("POST", n.url(base + "/decrypt"), acme.key,
                           json{{"ciphertext", ct}, {"associated_data", b64("order-18")}}.dump());
  EXPECT_EQ(wrong_ad.status, 400) << wrong_ad.body;
  EXPECT_EQ(wrong_ad.headers["content-type"], "application/problem+json");
  EXPECT_EQ(api_call("POST", n.url(base + "/decrypt"), acme.key,
                     json{{"ciphertext", "nsl:v1:1:@@"}}.dump())
                .status,
            400);

  // Strict bodies: an unknown member is refused, naming it.
  auto unknown = api_call("POST", n.url(base + "/encrypt"), acme.key,
                          json{{"plaintext", b64("x")}, {"colour", "red"}}.dump());
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_NE(unknown.body.find("colour"), std::string::npos) << unknown.body;
  EXPECT_EQ(api_call("POST", n.url(base + "/encrypt"), acme.key,
                     json{{"plaintext", "not base64!"}}.dump())
                .status,
            400);

  // Rotate, then rewrap the old ciphertext to the new version; min_decryption_version retires v1.
  auto rot = api_call("POST", n.url(base + "/rotate"), acme.key);
  ASSERT_EQ(rot.status, 200) << rot.body;
  EXPECT_EQ(json_of(rot)["latest_version"], 2);
  auto re = api_call("POST", n.url(base + "/rewrap"), acme.key,
                     json{{"ciphertext", ct}, {"associated_data", b64("order-17")}}.dump());
  ASSERT_EQ(re.status, 200) << re.body;
  const std::string ct2 = json_of(re)["ciphertext"];
  EXPECT_EQ(ct2.rfind("nsl:v1:2:", 0), 0u) << ct2;
  auto cfg = api_call("PATCH", n.url(base), acme.key, json{{"min_decryption_version", 2}}.dump());
  ASSERT_EQ(cfg.status, 200) << cfg.body;
  EXPECT_EQ(json_of(cfg)["min_decryption_version"], 2);
  auto old = api_call("POST", n.url(base + "/decrypt"), acme.key,
                      json{{"ciphertext", ct}, {"associated_data", b64("order-17")}}.dump());
  EXPECT_EQ(old.status, 409) << old.body;  // failed_precondition
  auto fresh = api_call("POST", n.url(base + "/decrypt"), acme.key,
                        json{{"ciphertext", ct2}, {"associated_data", b64("order-17")}}.dump());
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_EQ(json_of(fresh)["plaintext"], b64(secret));
  EXPECT_EQ(
      api_call("PATCH", n.url(base), acme.key, json{{"min_decryption_version", 3}}.dump()).status,
      400);

  // Data keys: with plaintext (its ciphertext decrypts to it) and wrapped only.
  auto dk = api_call("POST", n.url(base + "/datakey"), acme.key,
                     json{{"type", "plaintext"}, {"bits", 256}}.dump());
  ASSERT_EQ(dk.status, 200) << dk.body;
  const json dkj = json_of(dk);
  EXPECT_EQ(dkj["key_version"], 2);
  EXPECT_EQ(base64_decode(dkj["plaintext"].get<std::string>())->size(), 32u);
  auto dk_back = api_call("POST", n.url(base + "/decrypt"), acme.key,
                          json{{"ciphertext", dkj["ciphertext"]}}.dump());
  ASSERT_EQ(dk_back.status, 200) << dk_back.body;
  EXPECT_EQ(json_of(dk_back)["plaintext"], dkj["plaintext"]);
  auto wrapped =
      api_call("POST", n.url(base + "/datakey"), acme.key, json{{"type", "wrapped"}}.dump());
  ASSERT_EQ(wrapped.status, 200) << wrapped.body;
  EXPECT_FALSE(json_of(wrapped).contains("plaintext"));
  EXPECT_EQ(api_call("POST", n.url(base + "/datakey"), acme.key,
                     json{{"type", "wrapped"}, {"bits", 100}}.dump())
                .status,
            400);

  // Batches: one bad item fails alone.
  auto benc =
      api_call("POST", n.url(base + "/encrypt"), acme.key,
               json{{"batch_input",
                     json::array({json{{"plaintext", b64("a")}},
                                  json{{"plaintext", b64("b")}, {"associated_data", b64("ctx")}}})}}
                   .dump());
  ASSERT_EQ(benc.status, 200) << benc.body;
  const json br = json_of(benc)["batch_results"];
  ASSERT_EQ(br.size(), 2u);
  auto bdec = api_call("POST", n.url(base + "/decrypt"), acme.key,
                       json{{"batch_input", json::array({json{{"ciphertext", br[0]["ciphertext"]}},
                                                         json{{"ciphertext", "nsl:v9:1:AAAA"}},
                                                         json{{"ciphertext", br[1]["ciphertext"]},
                                                              {"associated_data", b64("ctx")}}})}}
                           .dump());
  ASSERT_EQ(bdec.status, 200) << bdec.body;
  const json dr = json_of(bdec)["batch_results"];
  ASSERT_EQ(dr.size(), 3u);
  EXPECT_EQ(dr[0]["plaintext"], b64("a"));
  EXPECT_EQ(dr[1]["error"]["status"], 400);
  EXPECT_EQ(dr[1]["error"]["title"], "Bad Request");
  EXPECT_FALSE(dr[1]["error"]["detail"].get<std::string>().empty());
  EXPECT_EQ(dr[2]["plaintext"], b64("b"));
  auto brew = api_call(
      "POST", n.url(base + "/rewrap"), acme.key,
      json{{"batch_input", json::array({json{{"ciphertext", br[0]["ciphertext"]}}})}}.dump());
  ASSERT_EQ(brew.status, 200) << brew.body;
  EXPECT_EQ(json_of(brew)["batch_results"][0]["key_version"], 2);

  // RBAC: a viewer reads metadata but cannot decrypt (or encrypt).
  const std::string viewer = role_key(n, acme.key, "viewer");
  EXPECT_EQ(api_call("GET", n.url(base), viewer).status, 200);
  EXPECT_EQ(
      api_call("POST", n.url(base + "/decrypt"), viewer, json{{"ciphertext", ct2}}.dump()).status,
      403);
  EXPECT_EQ(api_call("POST", n.url(base + "/encrypt"), viewer, json{{"plaintext", b64("x")}}.dump())
                .status,
            403);

  // Another tenant: 404 everywhere, nothing listed.
  EXPECT_EQ(api_call("GET", n.url(base), globex.key).status, 404);
  EXPECT_EQ(api_call("POST", n.url(base + "/decrypt"), globex.key, json{{"ciphertext", ct2}}.dump())
                .status,
            404);
  EXPECT_EQ(api_call("POST", n.url(base + "/rotate"), globex.key).status, 404);
  auto other = api_call("GET", n.url("/v1/transit/keys"), globex.key);
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_TRUE(json_of(other)["items"].empty());

  // Listing and deletion (only once allowed).
  auto list = api_call("GET", n.url("/v1/transit/keys?limit=10"), acme.key);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(json_of(list)["items"].size(), 1u);
  EXPECT_EQ(json_of(list)["items"][0]["name"], "orders");
  EXPECT_EQ(api_call("DELETE", n.url(base), acme.key).status, 409);  // deletion not allowed
  ASSERT_EQ(
      api_call("PATCH", n.url(base), acme.key, json{{"deletion_allowed", true}}.dump()).status,
      200);
  EXPECT_EQ(api_call("DELETE", n.url(base), acme.key).status, 204);
  EXPECT_EQ(api_call("GET", n.url(base), acme.key).status, 404);

  // Every operation is in the audit trail.
  auto audit = api_call("GET", n.url("/v1/audit?action_prefix=transit."), acme.key);
  ASSERT_EQ(audit.status, 200) << audit.body;
  std::set<std::string> actions;
  const json page = json_of(audit);
  for (const auto& r : page["items"]) actions.insert(r["action"].get<std::string>());
  for (const char* a :
       {"transit.key_create", "transit.encrypt", "transit.decrypt", "transit.key_rotate",
        "transit.rewrap", "transit.key_config", "transit.datakey", "transit.key_delete"}) {
    EXPECT_TRUE(actions.count(a)) << a << " in " << audit.body;
  }
  EXPECT_EQ(audit.body.find(b64(secret)), std::string::npos);
}

}  // namespace
}  // namespace nsl::testing
