#include "http/router.hpp"

#include <gtest/gtest.h>

namespace nsl::http {
namespace {

Handler ok_handler() {
  return [](Request&) -> boost::asio::awaitable<Response> { co_return Response::text(200, "ok"); };
}

Router make() {
  Router r;
  EXPECT_TRUE(r.add({.method = Method::get, .pattern = "/health/live", .handler = ok_handler(), .is_public = true}).ok());
  EXPECT_TRUE(r.add({.method = Method::get, .pattern = "/v1/keys/{id}", .handler = ok_handler(), .permission = "keys:read"}).ok());
  EXPECT_TRUE(r.add({.method = Method::del, .pattern = "/v1/keys/{id}", .handler = ok_handler(), .permission = "keys:admin"}).ok());
  EXPECT_TRUE(r.add({.method = Method::post, .pattern = "/v1/keys/{id}/sign", .handler = ok_handler(), .permission = "keys:sign"}).ok());
  EXPECT_TRUE(r.add({.method = Method::get, .pattern = "/v1/secrets/{path*}", .handler = ok_handler(), .permission = "secrets:read"}).ok());
  return r;
}

TEST(Router, MatchesLiteralAndParams) {
  Router r = make();
  auto m = r.match(Method::get, "/v1/keys/abc%20d");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/keys/{id}");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "abc d");
  EXPECT_NE(r.match(Method::get, "/health/live").route, nullptr);
}

TEST(Router, RestParameterTakesSlashes) {
  Router r = make();
  auto m = r.match(Method::get, "/v1/secrets/app/db/password");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params[0].second, "app/db/password");
  EXPECT_EQ(r.match(Method::get, "/v1/secrets/").route, nullptr);
}

TEST(Router, NoNormalisation) {
  Router r = make();
  EXPECT_EQ(r.match(Method::get, "/health/live/").route, nullptr);
  EXPECT_EQ(r.match(Method::get, "//health/live").route, nullptr);
  EXPECT_EQ(r.match(Method::get, "/v1/keys/../health").route, nullptr);
  EXPECT_EQ(r.match(Method::get, "/v1/keys/").route, nullptr);
  EXPECT_EQ(r.match(Method::get, "").route, nullptr);
  EXPECT_EQ(r.match(Method::get, "health/live").route, nullptr);
}

TEST(Router, MethodNotAllowedListsAllowed) {
  Router r = make();
  auto m = r.match(Method::put, "/v1/keys/x");
  EXPECT_EQ(m.route, nullptr);
  std::vector<Method> want{Method::get, Method::head, Method::del};
  EXPECT_EQ(m.allowed, want);
  EXPECT_TRUE(r.match(Method::put, "/nope").allowed.empty());
}

TEST(Router, HeadServedByGet) {
  Router r = make();
  EXPECT_NE(r.match(Method::head, "/health/live").route, nullptr);
}

TEST(Router, BadEscapeIsFlagged) {
  Router r = make();
  auto m = r.match(Method::get, "/v1/keys/%zz");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.bad_encoding);
}

TEST(Router, RejectsRoutesWithoutAccessRule) {
  Router r;
  auto s = r.add({.method = Method::get, .pattern = "/v1/x", .handler = ok_handler()});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("no access rule"), std::string::npos);
}

TEST(Router, RejectsDuplicatesAndMalformedPatterns) {
  Router r = make();
  EXPECT_FALSE(r.add({.method = Method::get, .pattern = "/health/live", .handler = ok_handler(), .is_public = true}).ok());
  EXPECT_FALSE(r.add({.method = Method::get, .pattern = "nope", .handler = ok_handler(), .is_public = true}).ok());
  EXPECT_FALSE(r.add({.method = Method::get, .pattern = "/a/{b*}/c", .handler = ok_handler(), .is_public = true}).ok());
  EXPECT_FALSE(r.add({.method = Method::get, .pattern = "/a/{B}", .handler = ok_handler(), .is_public = true}).ok());
  EXPECT_FALSE(r.add({.method = Method::get, .pattern = "/a/x{b}", .handler = ok_handler(), .is_public = true}).ok());
}

TEST(Types, QueryParamDecodes) {
  Request q;
  q.query = "a=1&name=J%C3%B6rg+M&empty=&bad=%4";
  EXPECT_EQ(q.query_param("a").value(), "1");
  EXPECT_EQ(q.query_param("name").value(), "J\xC3\xB6rg M");
  EXPECT_EQ(q.query_param("empty").value(), "");
  EXPECT_FALSE(q.query_param("bad").has_value());
  EXPECT_FALSE(q.query_param("zzz").has_value());
}

TEST(Types, HeadersCaseInsensitive) {
  Headers h;
  h.add("Content-Type", "a");
  h.add("X-Thing", "1");
  h.set("x-thing", "2");
  EXPECT_EQ(h.get("CONTENT-TYPE").value(), "a");
  EXPECT_EQ(h.get("x-thing").value(), "2");
  EXPECT_EQ(h.all().size(), 2u);
}

}  // namespace
}  // namespace nsl::http

#include "http/parse.hpp"

namespace nsl::http {
namespace {
TEST(ParseRequest, EmptyAndPartialInputAreIncompleteNotACrash) {
  for (std::string_view in : {std::string_view(""), std::string_view("G"), std::string_view("GET / HTTP/1.1\r\n")}) {
    auto r = parse_request(in, 16384, 1 << 20);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  }
  auto ok = parse_request("GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n", 16384, 1 << 20);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->path, "/a");
  EXPECT_EQ(ok->query, "b=1");
}
}  // namespace
}  // namespace nsl::http
