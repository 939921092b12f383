#include "core/json_strict.hpp"

#include <gtest/gtest.h>

#include <string>

namespace nsl {
namespace {

TEST(JsonStrict, AcceptsPlainObject) {
  auto r = parse_json_strict(R"({"a":1,"b":{"c":[1,2,{"d":null}]}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)["b"]["c"][2]["d"], nullptr);
}

TEST(JsonStrict, RejectsDuplicateMemberNamesAtAnyLevel) {
  for (const char* text :
       {R"({"a":1,"a":2})", R"({"x":{"a":1,"a":1}})", R"({"x":[{"b":1,"b":2}]})"}) {
    auto r = parse_json_strict(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
    EXPECT_NE(r.error().message().find("duplicate"), std::string::npos);
  }
  // The same name in sibling objects is fine.
  EXPECT_TRUE(parse_json_strict(R"({"x":{"a":1},"y":{"a":2}})").ok());
}

TEST(JsonStrict, DepthCap) {
  EXPECT_TRUE(parse_json_strict(R"({"a":{"b":{"c":1}}})", 3).ok());
  auto r = parse_json_strict(R"({"a":{"b":{"c":{"d":1}}}})", 3);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("deeper"), std::string::npos);
  std::string deep(100000, '[');  // must fail cleanly, not overflow the stack
  EXPECT_FALSE(parse_json_strict(deep, 8, false).ok());
}

TEST(JsonStrict, RejectsNonJsonAndNonObjects) {
  EXPECT_FALSE(parse_json_strict("").ok());
  EXPECT_FALSE(parse_json_strict(" \n").ok());
  EXPECT_FALSE(parse_json_strict("[1]").ok());
  EXPECT_TRUE(parse_json_strict("[1]", kDefaultJsonDepth, false).ok());
  EXPECT_FALSE(parse_json_strict(R"({"a":1} x)").ok());
  EXPECT_FALSE(parse_json_strict(R"({"a":1 /* c */})").ok());
  EXPECT_FALSE(parse_json_strict("{\"a\":\"\xff\"}").ok());
  EXPECT_FALSE(parse_json_strict(R"({'a':1})").ok());
}

TEST(JsonStrict, NulByteRejectedEvenAfterACompleteValue) {
  // nlohmann alone stops at the NUL and returns {"a":1}, ignoring the rest.
  EXPECT_FALSE(parse_json_strict(std::string_view("{\"a\":1}\0{\"b\":2}", 15)).ok());
  EXPECT_FALSE(parse_json_strict(std::string_view("{\"a\":\"x\0y\"}", 11)).ok());
}

}  // namespace
}  // namespace nsl
