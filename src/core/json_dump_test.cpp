// dump_json must write exactly what nlohmann's dump() writes: the audit chain hashes that text, and responses
// are compared byte for byte by clients' caches and tests.
#include "core/json_dump.hpp"

#include "core/json_strict.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace nsl {
namespace {

using nlohmann::json;

struct Rng {
  std::uint64_t x = 0x243f6a8885a308d3ULL;
  std::uint64_t next() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

// A string of every kind dump() treats differently: plain ASCII, quotes and backslashes, control characters,
// DEL, and valid UTF-8 of two, three and four bytes.
std::string random_text(Rng& r) {
  static const char* const kPieces[] = {"a", "Z", "0", " ", "~", "0x1f", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
                                        "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\x91", "key_01", "N"};
  std::string s;
  const std::size_t n = r.below(12);
  for (std::size_t i = 0; i < n; ++i) s += kPieces[r.below(std::size(kPieces))];
  return s;
}

json random_doc(Rng& r, int depth) {
  switch (depth > 3 ? r.below(7) : r.below(9)) {
    case 0: return nullptr;
    case 1: return r.below(2) == 0;
    case 2: return static_cast<std::int64_t>(r.next());  // negative half the time
    case 3: return r.next();                              // unsigned
    case 4: return static_cast<double>(static_cast<std::int64_t>(r.next() % 2000001) - 1000000) / 7.0;
    case 5:
    case 6: return random_text(r);
    case 7: {
      json a = json::array();
      for (std::size_t i = r.below(5); i > 0; --i) a.push_back(random_doc(r, depth + 1));
      return a;
    }
    default: {
      json o = json::object();
      for (std::size_t i = r.below(6); i > 0; --i) o[random_text(r)] = random_doc(r, depth + 1);
      return o;
    }
  }
}

TEST(JsonDump, WritesWhatNlohmannWrites) {
  const json fixed = {
      {"signed_tx", std::string(400, 'a')},
      {"n", -1},
      {"u", std::numeric_limits<std::uint64_t>::max()},
      {"i", std::numeric_limits<std::int64_t>::min()},
      {"f", 0.1},
      {"e", 1e300},
      {"z", -0.0},
      {"empty", json::object()},
      {"none", json::array()},
      {"s", ""},
      {"nested", {{"b", true}, {"a", {1, 2.5, "x\"y", nullptr}}}},
  };
  EXPECT_EQ(dump_json(fixed), fixed.dump());
  Rng r;
  for (int i = 0; i < 5000; ++i) {
    const json doc = random_doc(r, 0);
    ASSERT_EQ(dump_json(doc), doc.dump()) << "document " << i;
  }
}

// The strict parser (core/json_strict.hpp) reads back every document the writer wrote, equal to nlohmann's own
// parse of the same text.
TEST(JsonDump, TheStrictParserReadsBackWhatWasWritten) {
  Rng r;
  for (int i = 0; i < 5000; ++i) {
    const json doc = random_doc(r, 0);
    const std::string text = dump_json(doc);
    auto back = parse_json_strict(text, 64, /*require_object=*/false);
    ASSERT_TRUE(back.ok()) << back.error().message() << " in " << text;
    ASSERT_EQ(*back, json::parse(text)) << text;
  }
}

TEST(JsonDump, RefusesInvalidUtf8AsDumpDoes) {
  for (const char* bad : {"\xff", "a\xc3", "\xe2\x82", "\xed\xa0\x80"}) {
    const json doc = {{"k", bad}};
    EXPECT_THROW((void)doc.dump(), json::type_error) << "dump() itself refuses";
    EXPECT_THROW((void)dump_json(doc), json::type_error);
    const json key = {{bad, 1}};
    EXPECT_THROW((void)dump_json(key), json::type_error);
  }
}

}  // namespace
}  // namespace nsl
