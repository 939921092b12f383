// nsl/enclave/trusted/key_cache.hpp — a bounded LRU of unsealed private keys.
//
// Opening a sealed blob costs an AES-GCM decryption plus, for Ed25519, a key expansion; a hot
// signing key should not pay that on every request, and no more than `capacity` plaintext keys
// should sit in memory at once. Entries are keyed by
//   SHA-256(u32be len(sealed) || sealed || binding_aad(binding))
// so a hit implies that this exact blob was opened under this exact binding before (the blob embeds
// a random nonce, so two seals of one key are two entries). The length prefix keeps (blob, binding)
// pairs from colliding by shifting bytes between the two.
//
// Keys live in SecretBytes inside shared, immutable entries (a secp256r1 entry also holds the key
// prepared for OpenSSL, see CachedKey::signing_key): an evicted entry is destroyed, and its bytes
// wiped, as soon as the last signer that still holds it finishes; clear() and the destructor drop
// every entry the same way. Nothing else keeps a copy.
//
// Thread-safety: all members may be called concurrently (one internal mutex; no I/O or crypto under
// it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "chain/neo/types.hpp"
#include "core/secret_bytes.hpp"
#include "crypto/ecdsa.hpp"
#include "enclave/enclave.hpp"

namespace nsl::enclave::trusted {

struct CachedKey {
  KeyCurve curve = KeyCurve::secp256r1;
  // secp256r1/secp256k1: the 32-byte scalar; ed25519: libsodium's 64-byte secret key (seed ||
  // public).
  SecretBytes private_key;
  Bytes public_key;  // SEC1 compressed (33) or Ed25519 (32)
  // secp256r1: `private_key` imported into OpenSSL once, so that signing skips the per-call import
  // (crypto::ecdsa_sign(const EcSigningKey&, …)); empty for the other curves. It holds its own
  // copy of the scalar, wiped by OpenSSL when the entry is destroyed, like `private_key`.
  crypto::EcSigningKey signing_key;
  // secp256r1: the script hash of the key's single-signature N3 account (the account a neo_tx is signed for
  // unless a multisig account is named), derived once with the public key.
  neo::UInt160 neo_account{};
};

using CacheDigest = std::array<std::uint8_t, 32>;

// SHA-256(u32be len(sealed) || sealed || binding_aad(binding)): the cache key of what opening `sealed` under
// `binding` gives (see above).
CacheDigest sealed_cache_key(ByteView sealed, const Binding& binding);

// The bounded LRU itself, of immutable shared values keyed by sealed_cache_key. KeyCache holds unsealed keys;
// TrustedCore also keeps the parsed signing policies of sealed policy blobs in one (a policy is not secret, but
// opening and parsing it on every signing cost a third of the enclave's work per signature).
template <class V>
class SealedLru {
 public:
  using Digest = CacheDigest;

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t evictions = 0;
    std::size_t size = 0;
    std::size_t capacity = 0;
  };

  // capacity 0 disables caching (every get misses, put keeps nothing).
  explicit SealedLru(std::size_t capacity) : capacity_(capacity) {}
  SealedLru(const SealedLru&) = delete;
  SealedLru& operator=(const SealedLru&) = delete;

  static Digest cache_key(ByteView sealed, const Binding& binding) { return sealed_cache_key(sealed, binding); }

  // The entry, now most recently used; nullptr (and a miss) when absent.
  std::shared_ptr<const V> get(const Digest& key) {
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

  // Inserts `value` unless another thread inserted the same key first; returns the entry that is
  // cached (or `value` itself when capacity is 0). Evicts the least recently used entries beyond
  // capacity.
  std::shared_ptr<const V> put(const Digest& key, std::shared_ptr<const V> value) {
    if (capacity_ == 0) return value;
    // Evicted entries are released after the lock is dropped: their destructors (the wipe) run
    // outside it.
    std::vector<std::shared_ptr<const V>> evicted;
    std::shared_ptr<const V> result;
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

  Stats stats() const {
    std::lock_guard lock(mu_);
    return Stats{hits_, misses_, evictions_, lru_.size(), capacity_};
  }

  // Drops every entry (each is destroyed — a key wiped — once no signer holds it).
  void clear() {
    Lru dropped;
    std::lock_guard lock(mu_);
    index_.clear();
    dropped.swap(lru_);
  }

 private:
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept {
      std::size_t h = 0;
      for (std::size_t i = 0; i < sizeof h; ++i) h = (h << 8) | d[i];
      return h;
    }
  };
  using Lru = std::list<std::pair<Digest, std::shared_ptr<const V>>>;

  const std::size_t capacity_;
  mutable std::mutex mu_;
  Lru lru_;  // front = most recently used
  std::unordered_map<Digest, typename Lru::iterator, DigestHash> index_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  std::uint64_t evictions_ = 0;
};

using KeyCache = SealedLru<CachedKey>;

}  // namespace nsl::enclave::trusted
