// End-to-end tests of users through `nsl serve` (embedded default): an owner key creates a user,
// the user logs in, uses the access token, rotates its refresh token, and a replayed refresh
// token kills the family.
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "auth/totp.hpp"
#include "harness/harness.hpp"
#include "harness/nsl_server.hpp"

namespace nsl::testing {
namespace {

using nlohmann::json;

json body_of(const HttpResponse& r) { return json_of(r); }

HttpResponse send(const std::string& method, const std::string& url, const std::string& bearer,
                  const std::string& body = "",
                  const std::string& content_type = "application/json") {
  return api_call(method, url, bearer, body, content_type);
}

TEST(Users, LoginAccessRefreshRotationAndReuse) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  auto created = n.cli({"tenants", "create", "acme", "--json"});
  ASSERT_EQ(created.rc, 0) << created.out;
  const json t = last_json_line(created);
  ASSERT_TRUE(t.is_object()) << created.out;
  const std::string owner_key = t["api_key"];

  // The owner creates a user who may read users.
  auto u = send("POST", n.url("/v1/users"), owner_key,
                json{{"email", "Alice@Example.com"},
                     {"password", "correct horse battery"},
                     {"roles", {"auditor"}}}
                    .dump());
  ASSERT_EQ(u.status, 201) << u.body;
  const std::string uid = body_of(u)["id"];
  EXPECT_EQ(body_of(u)["email"], "alice@example.com");
  EXPECT_EQ(body_of(u)["roles"][0]["principal"], "user:" + uid);
  EXPECT_FALSE(body_of(u).contains("password"));
  auto dup = send("POST", n.url("/v1/users"), owner_key,
                  json{{"email", "alice@example.com"}, {"password", "another long one"}}.dump());
  EXPECT_EQ(dup.status, 409) << dup.body;

  // Bad credentials and an unknown user: the same 401 invalid_grant.
  for (const auto& [email, password] :
       {std::pair{"alice@example.com", "wrong password!"}, std::pair{"bob@example.com", "x"}}) {
    auto bad = send("POST", n.url("/v1/auth/login"), "",
                    json{{"tenant", "acme"}, {"email", email}, {"password", password}}.dump());
    EXPECT_EQ(bad.status, 401) << bad.body;
    EXPECT_EQ(body_of(bad)["error"], "invalid_grant");
    EXPECT_EQ(body_of(bad)["error_description"], "invalid credentials");
  }

  auto login = send(
      "POST", n.url("/v1/auth/login"), "",
      json{
          {"tenant", "acme"}, {"email", "alice@example.com"}, {"password", "correct horse battery"}}
          .dump());
  ASSERT_EQ(login.status, 200) << login.body;
  const json l = body_of(login);
  EXPECT_EQ(l["token_type"], "Bearer");
  const std::string access = l["access_token"];
  const std::string r0 = l["refresh_token"];
  EXPECT_EQ(r0.rfind("nslr_", 0), 0u);

  // The access token works for the user's roles and no further.
  auto me = send("GET", n.url("/v1/users/" + uid), access);
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(send("GET", n.url("/v1/users"), access).status, 200);
  EXPECT_EQ(send("POST", n.url("/v1/users"), access,
                 json{{"email", "c@x.y"}, {"password", "correct horse battery"}}.dump())
                .status,
            403);

  // Rotation (form and JSON), then reuse of the first token kills the family.
  auto r1 =
      send("POST", n.url("/v1/auth/refresh"), "", "grant_type=refresh_token&refresh_token=" + r0,
           "application/x-www-form-urlencoded");
  ASSERT_EQ(r1.status, 200) << r1.body;
  const std::string r1_token = body_of(r1)["refresh_token"];
  EXPECT_NE(r1_token, r0);
  EXPECT_EQ(send("GET", n.url("/v1/users"), body_of(r1)["access_token"]).status, 200);
  auto r2 = send("POST", n.url("/v1/auth/refresh"), "", json{{"refresh_token", r1_token}}.dump());
  ASSERT_EQ(r2.status, 200) << r2.body;
  const std::string r2_token = body_of(r2)["refresh_token"];
  auto reuse = send("POST", n.url("/v1/auth/refresh"), "", json{{"refresh_token", r0}}.dump());
  EXPECT_EQ(reuse.status, 401) << reuse.body;
  EXPECT_EQ(body_of(reuse)["error"], "invalid_grant");
  auto dead = send("POST", n.url("/v1/auth/refresh"), "", json{{"refresh_token", r2_token}}.dump());
  EXPECT_EQ(dead.status, 401) << dead.body;
  auto wrong_grant = send("POST", n.url("/v1/auth/refresh"), "",
                          json{{"grant_type", "password"}, {"refresh_token", r2_token}}.dump());
  EXPECT_EQ(wrong_grant.status, 400) << wrong_grant.body;

  // The audit trail has the login and the reuse.
  auto audit = send("GET", n.url("/v1/audit?action_prefix=auth."), owner_key);
  ASSERT_EQ(audit.status, 200) << audit.body;
  std::set<std::string> actions;
  const json page = body_of(audit);
  for (const auto& r : page["items"]) actions.insert(r["action"].get<std::string>());
  EXPECT_TRUE(actions.count("auth.login")) << audit.body;
  EXPECT_TRUE(actions.count("auth.refresh.reuse"));
}

TEST(Users, TotpEnrolmentAndDisable) {
  NslServer n;
  ASSERT_TRUE(n.wait_ready()) << n.logs();
  auto created = n.cli({"tenants", "create", "acme", "--json"});
  ASSERT_EQ(created.rc, 0) << created.out;
  const std::string owner_key = last_json_line(created)["api_key"];
  auto u = send("POST", n.url("/v1/users"), owner_key,
                json{{"email", "bob@example.com"}, {"password", "correct horse battery"}}.dump());
  ASSERT_EQ(u.status, 201) << u.body;
  const std::string uid = body_of(u)["id"];
  auto en = send("POST", n.url("/v1/users/" + uid + "/totp"), owner_key);
  ASSERT_EQ(en.status, 200) << en.body;
  const std::string secret = body_of(en)["secret"];
  EXPECT_EQ(body_of(en)["otpauth_uri"].get<std::string>().rfind("otpauth://totp/", 0), 0u);
  auto key = auth::totp_secret_from_base32(SecretString(secret));
  ASSERT_TRUE(key.ok());
  auto code = auth::totp_code(*key, std::time(nullptr));
  ASSERT_TRUE(code.ok());
  auto confirm = send("POST", n.url("/v1/users/" + uid + "/totp/confirm"), owner_key,
                      json{{"code", *code}}.dump());
  ASSERT_EQ(confirm.status, 200) << confirm.body;
  EXPECT_EQ(body_of(confirm)["totp_enabled"], true);
  const std::string creds =
      json{{"tenant", "acme"}, {"email", "bob@example.com"}, {"password", "correct horse battery"}}
          .dump();
  auto need = send("POST", n.url("/v1/auth/login"), "", creds);
  EXPECT_EQ(need.status, 401);
  EXPECT_EQ(body_of(need)["error_description"], "a TOTP code is required");

  auto del = send("DELETE", n.url("/v1/users/" + uid), owner_key);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(body_of(del)["disabled"], true);
  auto after = send("POST", n.url("/v1/auth/login"), "", creds);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(body_of(after)["error_description"], "invalid credentials");
}

}  // namespace
}  // namespace nsl::testing
