#include "http/json_body.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace nsl::http {
namespace {

Request with_body(std::string ct, std::string body) {
  Request r;
  if (!ct.empty()) r.headers.add("Content-Type", ct);
  r.body = std::move(body);
  return r;
}

TEST(JsonBody, AcceptsObjectWithJsonMediaTypes) {
  for (const char* ct : {"application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json"}) {
    auto r = parse_json_body(with_body(ct, R"({"a":1,"b":{"c":[1,2]}})"));
    ASSERT_TRUE(r.ok()) << ct << ": " << r.error().message();
    EXPECT_EQ((*r)["b"]["c"][1], 2);
  }
}

TEST(JsonBody, WrongOrMissingContentTypeIs415) {
  for (const char* ct : {"", "text/plain", "application/x-www-form-urlencoded", "application/jsonx"}) {
    auto r = parse_json_body(with_body(ct, "{}"));
    ASSERT_FALSE(r.ok()) << ct;
    EXPECT_EQ(r.error().code(), ErrorCode::unsupported_media_type) << ct;
  }
}

TEST(JsonBody, MalformedIs400WithPosition) {
  auto r = parse_json_body(with_body("application/json", "{\"a\": tru}"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(r.error().message().find("column"), std::string::npos) << r.error().message();
}

TEST(JsonBody, RejectsDuplicateKeysAtAnyDepth) {
  for (const char* body : {R"({"a":1,"a":2})", R"({"x":{"k":1,"k":1}})", R"({"l":[{"z":0,"z":0}]})"}) {
    auto r = parse_json_body(with_body("application/json", body));
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.error().message().find("duplicate"), std::string::npos) << body;
  }
  // Same name in sibling objects is fine.
  EXPECT_TRUE(parse_json_body(with_body("application/json", R"({"a":{"k":1},"b":{"k":2}})")).ok());
}

TEST(JsonBody, RejectsTooDeep) {
  std::string deep(40, '[');
  deep += std::string(40, ']');
  auto r = parse_json_strict("{\"a\":" + deep + "}", 32);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("deeper"), std::string::npos);
  std::string ok(10, '[');
  ok += std::string(10, ']');
  EXPECT_TRUE(parse_json_strict("{\"a\":" + ok + "}", 32).ok());
}

TEST(JsonBody, RejectsNonObjectsEmptyAndInvalidUtf8) {
  EXPECT_FALSE(parse_json_strict("[1,2]").ok());
  EXPECT_FALSE(parse_json_strict("   ").ok());
  EXPECT_FALSE(parse_json_strict("{\"a\":\"\xff\"}").ok());
  EXPECT_FALSE(parse_json_strict("{\"a\":1} trailing").ok());
  EXPECT_FALSE(parse_json_strict("{\"a\":1 /* c */}").ok()) << "comments are not JSON";
  EXPECT_TRUE(parse_json_strict("[1]", 32, false).ok());
}

}  // namespace
}  // namespace nsl::http
