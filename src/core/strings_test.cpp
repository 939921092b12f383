#include "core/strings.hpp"

#include <gtest/gtest.h>

#include "core/result.hpp"

namespace nsl {
namespace {

TEST(Strings, HexRoundTrip) {
  std::vector<std::uint8_t> b{0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(to_hex(b), "007f80ff");
  EXPECT_EQ(from_hex("007F80ff").value(), b);
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
}

TEST(Strings, ParseU64) {
  EXPECT_EQ(parse_u64("18446744073709551615").value(), 18446744073709551615ull);
  EXPECT_FALSE(parse_u64("18446744073709551616").has_value());
  EXPECT_FALSE(parse_u64("-1").has_value());
  EXPECT_FALSE(parse_u64("1 ").has_value());
  EXPECT_FALSE(parse_u64("").has_value());
}

TEST(Strings, JsonEscapeControlAndQuotes) {
  std::string out;
  append_json_escaped(out, std::string_view("a\"b\\c\n\x01", 7));
  EXPECT_EQ(out, "a\\\"b\\\\c\\n\\u0001");
}

Result<int> half(int x) {
  if (x % 2) return err::invalid_argument("odd");
  return x / 2;
}
Result<int> quarter(int x) {
  NSL_TRY_ASSIGN(int h, half(x));
  NSL_TRY_ASSIGN(int q, half(h));
  return q;
}

TEST(Result, TryPropagatesFirstError) {
  EXPECT_EQ(quarter(8).value(), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(r.error().message(), "odd");
}

TEST(Result, ValueOnErrorAborts) {
  Result<int> r = err::not_found("x");
  EXPECT_DEATH((void)r.value(), "Result::value\\(\\) on error not_found");
}

}  // namespace
}  // namespace nsl

namespace nsl {
namespace {
TEST(Strings, JsonEscapeKeepsValidUtf8AndReplacesInvalid) {
  std::string out;
  append_json_escaped(out, "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(out, "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
  out.clear();
  append_json_escaped(out, "a\x80z\xC0\xAF\xED\xA0\x80\xF4\x90\x80\x80\xE2\x82");
  EXPECT_EQ(out, "a\\ufffdz\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd");
}
}  // namespace
}  // namespace nsl

#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include "core/random.hpp"

namespace nsl {
namespace {
TEST(Random, IdsAreHexUniqueAndForkSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string id = new_request_id();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_TRUE(is_hex(id));
    ASSERT_TRUE(seen.insert(id).second);
  }
  (void)new_request_id();  // leave the pool part-used before forking
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    std::string c = new_request_id();
    (void)!write(fds[1], c.data(), c.size());
    _exit(0);
  }
  std::string parent = new_request_id();
  char buf[32];
  ASSERT_EQ(read(fds[0], buf, sizeof buf), 32);
  waitpid(pid, nullptr, 0);
  EXPECT_NE(parent, std::string(buf, 32)) << "child must not replay the parent's pooled bytes";
  close(fds[0]);
  close(fds[1]);
}
}  // namespace
}  // namespace nsl
