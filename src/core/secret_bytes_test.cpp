#include "core/secret_bytes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace nsl {
namespace {

// The type-level promises: no copies, no conversions, no printing, no forged tokens.
static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(std::is_nothrow_move_assignable_v<SecretBytes>);
static_assert(!std::is_convertible_v<SecretBytes, std::string>);
static_assert(!std::is_convertible_v<SecretBytes, std::span<const std::uint8_t>>);
static_assert(!std::is_convertible_v<std::size_t, SecretBytes>);  // explicit size constructor
static_assert(!std::is_default_constructible_v<SecretAccess>);
template <class T>
concept Streamable = requires(std::ostream& os, const T& v) {
  os << v;
};
static_assert(Streamable<int>);
static_assert(!Streamable<SecretBytes>);

std::vector<std::uint8_t> bytes_of(const SecretBytes& s) {
  auto v = s.reveal(SecretAccess::grant());
  return {v.begin(), v.end()};
}

TEST(SecretBytes, EmptyByDefault) {
  SecretBytes s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.reveal(SecretAccess::grant()).empty());
  EXPECT_TRUE(s.equals(SecretBytes()));
  s.wipe();  // no-op, must not crash
}

TEST(SecretBytes, SizedIsZeroed) {
  SecretBytes s(48);
  EXPECT_EQ(s.size(), 48u);
  EXPECT_FALSE(s.empty());
  auto v = bytes_of(s);
  EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](std::uint8_t b) { return b == 0; }));
}

TEST(SecretBytes, CopyOfAndRevealMut) {
  const std::vector<std::uint8_t> src{1, 2, 3, 4, 5};
  SecretBytes s = SecretBytes::copy_of(src);
  EXPECT_EQ(bytes_of(s), src);
  s.reveal_mut(SecretAccess::grant())[0] = 9;
  EXPECT_EQ(bytes_of(s), (std::vector<std::uint8_t>{9, 2, 3, 4, 5}));
}

TEST(SecretBytes, MoveLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::copy_of(std::vector<std::uint8_t>(32, 0xAB));
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_TRUE(a.reveal(SecretAccess::grant()).empty());
  EXPECT_EQ(b.size(), 32u);
  SecretBytes c(16);
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(bytes_of(c), std::vector<std::uint8_t>(32, 0xAB));
  auto& self = c;
  c = std::move(self);  // self-move keeps the value
  EXPECT_EQ(c.size(), 32u);
}

TEST(SecretBytes, EqualsIsByValue) {
  SecretBytes a = SecretBytes::copy_of(std::vector<std::uint8_t>{1, 2, 3});
  SecretBytes b = SecretBytes::copy_of(std::vector<std::uint8_t>{1, 2, 3});
  SecretBytes c = SecretBytes::copy_of(std::vector<std::uint8_t>{1, 2, 4});
  SecretBytes d = SecretBytes::copy_of(std::vector<std::uint8_t>{1, 2});
  EXPECT_TRUE(a.equals(b));
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a.equals(c));
  EXPECT_FALSE(a.equals(d));
  EXPECT_FALSE(a == d);
}

TEST(SecretBytes, CloneIsIndependent) {
  SecretBytes a = SecretBytes::copy_of(std::vector<std::uint8_t>{7, 7, 7});
  SecretBytes b = a.clone();
  EXPECT_TRUE(a.equals(b));
  b.reveal_mut(SecretAccess::grant())[1] = 0;
  EXPECT_FALSE(a.equals(b));
  EXPECT_NE(a.reveal(SecretAccess::grant()).data(), b.reveal(SecretAccess::grant()).data());
}

TEST(SecretBytes, WipeZeroesButKeepsSize) {
  SecretBytes s = SecretBytes::copy_of(std::vector<std::uint8_t>(40, 0xFF));
  s.wipe();
  EXPECT_EQ(s.size(), 40u);
  EXPECT_EQ(bytes_of(s), std::vector<std::uint8_t>(40, 0));
}

TEST(SecretBytes, RandomIsFilledAndFresh) {
  SecretBytes a = SecretBytes::random(32);
  SecretBytes b = SecretBytes::random(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_FALSE(a.equals(b));  // 2^-256 chance of a false failure
  EXPECT_NE(bytes_of(a), std::vector<std::uint8_t>(32, 0));
}

TEST(SecretBytes, LargeBuffersGetTheirOwnMapping) {
  for (std::size_t n : {2047u, 2048u, 2049u, 4096u, 100000u}) {
    SecretBytes s(n);
    auto v = s.reveal_mut(SecretAccess::grant());
    std::fill(v.begin(), v.end(), 0x5A);
    EXPECT_EQ(s.size(), n);
    EXPECT_EQ(v[n - 1], 0x5A);
  }
}

TEST(SecretBytes, ManyBuffersAcrossChunksStayDistinct) {
  // More 32-byte slots than one 64 KiB chunk holds, so the arena must grow, then recycle.
  std::vector<SecretBytes> keep;
  for (int round = 0; round < 2; ++round) {
    keep.clear();
    for (std::size_t i = 0; i < 3000; ++i) {
      SecretBytes s(32);
      s.reveal_mut(SecretAccess::grant())[0] = static_cast<std::uint8_t>(i);
      keep.push_back(std::move(s));
    }
    for (std::size_t i = 0; i < keep.size(); ++i) {
      ASSERT_EQ(keep[i].reveal(SecretAccess::grant())[0], static_cast<std::uint8_t>(i));
      ASSERT_EQ(keep[i].reveal(SecretAccess::grant())[1], 0);  // recycled slots come back zeroed
    }
  }
}

TEST(SecretBytes, LockedIsQueryable) {
  SecretBytes s(32);
  // mlock is best effort (RLIMIT_MEMLOCK); only the report is checked.
  std::ostringstream note;
  note << "locked=" << s.locked();
  SUCCEED() << note.str();
}

TEST(SecretBytes, PrintToRedacts) {
  SecretBytes s = SecretBytes::copy_of(std::vector<std::uint8_t>{0x41, 0x42});
  std::ostringstream os;
  PrintTo(s, &os);
  EXPECT_EQ(os.str(), "SecretBytes(2 bytes, redacted)");
  EXPECT_EQ(::testing::PrintToString(s), "SecretBytes(2 bytes, redacted)");
}

TEST(SecretBytes, ConcurrentAllocationIsSafe) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 2000; ++i) {
        SecretBytes a(static_cast<std::size_t>(16 + (i % 200)));
        a.reveal_mut(SecretAccess::grant())[0] = static_cast<std::uint8_t>(t);
        SecretBytes b = a.clone();
        if (!a.equals(b)) std::abort();
      }
    });
  }
  for (auto& th : threads) th.join();
}

}  // namespace
}  // namespace nsl
