#include "core/secret_string.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

namespace nsl {
namespace {

template <class T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};

// The accidental-leak paths must not compile.
static_assert(!std::is_convertible_v<SecretString, std::string>);
static_assert(!std::is_convertible_v<SecretString, std::string_view>);
static_assert(!std::is_convertible_v<std::string_view, SecretString>);  // construction is explicit
static_assert(!std::is_convertible_v<const char*, SecretString>);
static_assert(!Streamable<SecretString>);
static_assert(std::is_nothrow_move_constructible_v<SecretString>);
static_assert(std::is_nothrow_move_assignable_v<SecretString>);

TEST(SecretString, DefaultIsEmpty) {
  SecretString s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.reveal(), "");
  EXPECT_TRUE(s.equals(""));
  EXPECT_FALSE(s.equals("x"));
  EXPECT_TRUE(SecretString("").empty());
}

TEST(SecretString, HoldsAndRevealsValue) {
  SecretString s("s3cr3t");
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.size(), 6u);
  EXPECT_EQ(s.reveal(), "s3cr3t");
}

TEST(SecretString, EqualsComparesWholeValue) {
  SecretString s("token-123");
  EXPECT_TRUE(s.equals("token-123"));
  EXPECT_FALSE(s.equals("token-124"));
  EXPECT_FALSE(s.equals("Token-123"));
  EXPECT_FALSE(s.equals("token-12"));
  EXPECT_FALSE(s.equals("token-1234"));
  EXPECT_FALSE(s.equals(""));
  std::string with_nul("a\0b", 3);
  EXPECT_TRUE(SecretString(with_nul).equals(with_nul));
  EXPECT_FALSE(SecretString(with_nul).equals(std::string("a\0c", 3)));
  EXPECT_TRUE(SecretString("abc") == SecretString("abc"));
  EXPECT_FALSE(SecretString("abc") == SecretString("abd"));
}

TEST(SecretString, CopyIsDeepAndMoveEmptiesSource) {
  SecretString a("alpha");
  SecretString b(a);
  EXPECT_EQ(b.reveal(), "alpha");
  EXPECT_NE(a.reveal().data(), b.reveal().data());

  const char* buffer = a.reveal().data();
  SecretString c(std::move(a));
  EXPECT_EQ(c.reveal(), "alpha");
  EXPECT_EQ(c.reveal().data(), buffer);  // handed over, not copied
  EXPECT_TRUE(a.empty());                // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_EQ(a.reveal().data(), nullptr);
}

TEST(SecretString, AssignmentReplacesValue) {
  SecretString a("first");
  SecretString b("second-value");
  a = b;
  EXPECT_EQ(a.reveal(), "second-value");
  EXPECT_EQ(b.reveal(), "second-value");
  SecretString c("third");
  a = std::move(c);
  EXPECT_EQ(a.reveal(), "third");
  EXPECT_TRUE(c.empty());  // NOLINT(bugprone-use-after-move)
  auto& self = a;
  a = self;
  EXPECT_EQ(a.reveal(), "third");
  a = std::move(self);
  EXPECT_EQ(a.reveal(), "third");
}

TEST(SecretString, ClearEmpties) {
  SecretString s("x");
  s.clear();
  EXPECT_TRUE(s.empty());
  s.clear();
  EXPECT_TRUE(s.empty());
}

TEST(SecretString, TakeWipesSource) {
  std::string source = "a-long-enough-secret-to-live-on-the-heap";
  source.reserve(200);
  const char* buffer = source.data();
  std::size_t capacity = source.capacity();
  SecretString s = SecretString::take(source);
  EXPECT_EQ(s.reveal(), "a-long-enough-secret-to-live-on-the-heap");
  EXPECT_TRUE(source.empty());
  // The wipe happened in place: no reallocation left an unwiped copy behind.
  EXPECT_EQ(source.data(), buffer);
  EXPECT_EQ(source.capacity(), capacity);
}

TEST(SecretString, WipeSmallString) {
  std::string s = "short";
  SecretString::wipe(s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace nsl
