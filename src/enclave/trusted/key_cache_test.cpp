#include "enclave/trusted/key_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "crypto/ecdsa.hpp"
#include "crypto/hash.hpp"
#include "enclave/trusted/test_support.hpp"

namespace nsl::enclave::trusted {
namespace {

using testing::binding;

std::shared_ptr<const CachedKey> entry(std::uint8_t fill) {
  CachedKey k;
  k.curve = KeyCurve::secp256r1;
  k.private_key = SecretBytes(32);
  auto v = k.private_key.reveal_mut(SecretAccess::grant());
  std::fill(v.begin(), v.end(), fill);
  k.public_key = Bytes(33, fill);
  return std::make_shared<const CachedKey>(std::move(k));
}

KeyCache::Digest digest(std::uint8_t n) {
  KeyCache::Digest d{};
  d[0] = n;
  d[31] = n;
  return d;
}

TEST(KeyCache, KeyDependsOnBlobAndEveryBindingField) {
  const Bytes blob(72, 7);
  const auto base = KeyCache::cache_key(blob, binding());
  EXPECT_EQ(base, KeyCache::cache_key(blob, binding()));
  EXPECT_NE(base, KeyCache::cache_key(Bytes(72, 8), binding()));
  EXPECT_NE(base, KeyCache::cache_key(blob, binding("tenant-b")));
  EXPECT_NE(base, KeyCache::cache_key(blob, binding("tenant-a", "key-2")));
  EXPECT_NE(base, KeyCache::cache_key(blob, binding("tenant-a", "key-1", 2)));
  EXPECT_NE(base, KeyCache::cache_key(blob, binding("tenant-a", "key-1", 1, "other")));
}

TEST(KeyCache, HitMissAndLru) {
  KeyCache cache(2);
  EXPECT_EQ(cache.get(digest(1)), nullptr);
  cache.put(digest(1), entry(1));
  cache.put(digest(2), entry(2));
  ASSERT_NE(cache.get(digest(1)), nullptr);  // 1 is now the most recent
  cache.put(digest(3), entry(3));            // evicts 2
  EXPECT_EQ(cache.get(digest(2)), nullptr);
  EXPECT_NE(cache.get(digest(1)), nullptr);
  EXPECT_NE(cache.get(digest(3)), nullptr);
  const auto s = cache.stats();
  EXPECT_EQ(s.hits, 3u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.size, 2u);
  EXPECT_EQ(s.capacity, 2u);
}

TEST(KeyCache, EvictedEntriesAreDestroyedAndSoWiped) {
  KeyCache cache(1);
  std::weak_ptr<const CachedKey> first;
  {
    auto e = entry(0xaa);
    first = e;
    cache.put(digest(1), std::move(e));
  }
  EXPECT_FALSE(first.expired());
  cache.put(digest(2), entry(0xbb));
  // Nobody holds the evicted entry: it is gone, and SecretBytes wiped its bytes on the way out.
  EXPECT_TRUE(first.expired());

  // An entry in use by a signer survives eviction until the signer lets go.
  auto held = cache.get(digest(2));
  std::weak_ptr<const CachedKey> second = held;
  cache.put(digest(3), entry(0xcc));
  EXPECT_FALSE(second.expired());
  held.reset();
  EXPECT_TRUE(second.expired());

  std::weak_ptr<const CachedKey> third = cache.get(digest(3));
  cache.clear();
  EXPECT_TRUE(third.expired());
  EXPECT_EQ(cache.stats().size, 0u);
}

TEST(KeyCache, PreparedSigningKeyLivesWithItsEntry) {
  CachedKey k;
  k.curve = KeyCurve::secp256r1;
  k.private_key = crypto::ec_generate_private_key(crypto::Curve::secp256r1);
  const auto pub = crypto::ec_public_key(crypto::Curve::secp256r1, k.private_key).value();
  k.public_key.assign(pub.begin(), pub.end());
  k.signing_key = crypto::prepare_signing_key(crypto::Curve::secp256r1, k.private_key).value();
  KeyCache cache(1);
  cache.put(digest(1), std::make_shared<const CachedKey>(std::move(k)));
  // A signer holding the entry keeps signing with the prepared key after the entry is evicted.
  auto held = cache.get(digest(1));
  ASSERT_NE(held, nullptr);
  cache.put(digest(2), entry(2));
  EXPECT_EQ(cache.get(digest(1)), nullptr);
  const auto d = crypto::sha256(crypto::as_bytes("held"));
  const auto sig = crypto::ecdsa_sign(held->signing_key, d).value();
  EXPECT_TRUE(crypto::ecdsa_verify(crypto::Curve::secp256r1, held->public_key, d, sig));
  std::weak_ptr<const CachedKey> w = held;
  held.reset();
  EXPECT_TRUE(w.expired());
}

TEST(KeyCache, DestructionDropsEverything) {
  std::weak_ptr<const CachedKey> w;
  {
    KeyCache cache(4);
    auto e = entry(1);
    w = e;
    cache.put(digest(1), std::move(e));
  }
  EXPECT_TRUE(w.expired());
}

TEST(KeyCache, FirstInsertWins) {
  KeyCache cache(4);
  auto a = cache.put(digest(1), entry(1));
  auto b = cache.put(digest(1), entry(2));
  EXPECT_EQ(a, b);
  EXPECT_EQ(cache.stats().size, 1u);
}

TEST(KeyCache, ZeroCapacityKeepsNothing) {
  KeyCache cache(0);
  auto e = entry(1);
  auto kept = cache.put(digest(1), e);
  EXPECT_EQ(kept, e);
  EXPECT_EQ(cache.get(digest(1)), nullptr);
  EXPECT_EQ(cache.stats().size, 0u);
}

TEST(KeyCache, ConcurrentUseStaysBounded) {
  KeyCache cache(8);
  std::vector<std::thread> threads;
  std::atomic<int> found{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&cache, &found, t] {
      for (int i = 0; i < 2000; ++i) {
        const auto d = digest(static_cast<std::uint8_t>((i * 7 + t) % 16));
        if (auto hit = cache.get(d)) {
          if (hit->public_key.size() == 33) ++found;
        } else {
          cache.put(d, entry(static_cast<std::uint8_t>(i)));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto s = cache.stats();
  EXPECT_LE(s.size, 8u);
  EXPECT_EQ(s.hits + s.misses, 16000u);
  EXPECT_EQ(static_cast<std::uint64_t>(found.load()), s.hits);
}

}  // namespace
}  // namespace nsl::enclave::trusted
