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
};

class KeyCache {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t evictions = 0;
    std::size_t size = 0;
    std::size_t capacity = 0;
  };

  // capacity 0 disables caching (every get misses, put keeps nothing).
  explicit KeyCache(std::size_t capacity) : capacity_(capacity) {}
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;

  static Digest cache_key(ByteView sealed, const Binding& binding);

  // The entry, now most recently used; nullptr (and a miss) when absent.
  std::shared_ptr<const CachedKey> get(const Digest& key);
  // Inserts `value` unless another thread inserted the same key first; returns the entry that is
  // cached (or `value` itself when capacity is 0). Evicts the least recently used entries beyond
  // capacity.
  std::shared_ptr<const CachedKey> put(const Digest& key, std::shared_ptr<const CachedKey> value);

  Stats stats() const;
  // Drops every entry (each is wiped once no signer holds it).
  void clear();

 private:
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept {
      std::size_t h = 0;
      for (std::size_t i = 0; i < sizeof h; ++i) h = (h << 8) | d[i];
      return h;
    }
  };
  using Lru = std::list<std::pair<Digest, std::shared_ptr<const CachedKey>>>;

  const std::size_t capacity_;
  mutable std::mutex mu_;
  Lru lru_;  // front = most recently used
  std::unordered_map<Digest, Lru::iterator, DigestHash> index_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace nsl::enclave::trusted
