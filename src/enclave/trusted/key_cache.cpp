#include "enclave/trusted/key_cache.hpp"

#include <utility>
#include <vector>

#include "crypto/hash.hpp"
#include "enclave/protocol/import_wrap.hpp"

namespace nsl::enclave::trusted {

KeyCache::Digest KeyCache::cache_key(ByteView sealed, const Binding& binding) {
  const Bytes b = binding_aad(binding);
  Bytes in;
  in.reserve(4 + sealed.size() + b.size());
  const auto n = static_cast<std::uint32_t>(sealed.size());
  for (int shift = 24; shift >= 0; shift -= 8) in.push_back(static_cast<std::uint8_t>(n >> shift));
  in.insert(in.end(), sealed.begin(), sealed.end());
  in.insert(in.end(), b.begin(), b.end());
  return crypto::sha256(in);
}

std::shared_ptr<const CachedKey> KeyCache::get(const Digest& key) {
  std::lock_guard lock(mu_);
  const auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

std::shared_ptr<const CachedKey> KeyCache::put(const Digest& key,
                                               std::shared_ptr<const CachedKey> value) {
  if (capacity_ == 0) return value;
  // Evicted entries are released after the lock is dropped: their destructors (the wipe) run
  // outside it.
  std::vector<std::shared_ptr<const CachedKey>> evicted;
  std::shared_ptr<const CachedKey> result;
  {
    std::lock_guard lock(mu_);
    if (const auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      result = it->second->second;
    } else {
      lru_.emplace_front(key, value);
      index_.emplace(key, lru_.begin());
      result = std::move(value);
      while (lru_.size() > capacity_) {
        evicted.push_back(std::move(lru_.back().second));
        index_.erase(lru_.back().first);
        lru_.pop_back();
        ++evictions_;
      }
    }
  }
  return result;
}

KeyCache::Stats KeyCache::stats() const {
  std::lock_guard lock(mu_);
  return Stats{hits_, misses_, evictions_, lru_.size(), capacity_};
}

void KeyCache::clear() {
  Lru dropped;
  {
    std::lock_guard lock(mu_);
    index_.clear();
    dropped.swap(lru_);
  }
}

}  // namespace nsl::enclave::trusted
