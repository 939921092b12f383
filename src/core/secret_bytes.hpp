// nsl/core/secret_bytes.hpp — the container for key material: private keys, seeds, derived and
// shared keys.
//
// A `SecretBytes` has a size fixed at construction (it never grows, so no copy is left behind by a
// reallocation). Its bytes live in a process-wide arena of pages that are excluded from core dumps
// (MADV_DONTDUMP) and locked in RAM (mlock) where the RLIMIT_MEMLOCK allows; both are best effort
// and silent (`locked()` reports the outcome). The bytes are wiped with explicit_bzero when the
// object is destroyed, assigned over or `wipe()`d; a move hands the buffer over and leaves the
// source empty, so no second copy exists. There is no operator<<, no implicit conversion, no
// std::hash, and copying is explicit (`clone()`).
//
// Reading needs a capability: `reveal(SecretAccess)`. A `SecretAccess` token can only be minted by
// `SecretAccess::grant()`, and ONLY code in src/crypto/ and src/enclave/trusted/ (and their tests)
// may call it; every other module can create, move, size, compare and wipe secrets, never read
// them. The rule is enforced by review and by grep; this must print nothing:
//   git grep 'SecretAccess::grant()' -- src ':!src/crypto' ':!*/trusted/*' ':!*/secret_bytes*'
//
// Thread-safety: a value type. Const members may be called concurrently; mutation needs external
// locking. The arena behind it is internally synchronised.
//
//   SecretBytes key = SecretBytes::random(32);       // or SecretBytes(32): 32 zero bytes
//   auto bytes = key.reveal(SecretAccess::grant());  // crypto/ or enclave/trusted/ only
//   if (key.equals(other)) { ... }                   // constant time for equal sizes
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>

namespace nsl {

// Capability token for reading secret bytes. Cheap to copy; worthless to forge (no public
// constructor).
class SecretAccess {
 public:
  // RESTRICTED: only src/crypto/ and src/enclave/trusted/ may call this (see the file comment).
  static SecretAccess grant() noexcept { return SecretAccess(); }

 private:
  constexpr SecretAccess() noexcept = default;
};

class SecretBytes {
 public:
  // Empty (size 0); holds no memory.
  SecretBytes() noexcept = default;
  // `size` zero bytes. Throws std::bad_alloc only when the OS refuses memory, like operator new.
  explicit SecretBytes(std::size_t size);
  // A copy of `bytes`; the caller remains responsible for wiping its own copy.
  static SecretBytes copy_of(std::span<const std::uint8_t> bytes);
  // `size` bytes from the OS CSPRNG (getrandom).
  static SecretBytes random(std::size_t size);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  // An explicit deep copy (a second locked buffer).
  SecretBytes clone() const;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // True when the pages holding this buffer are mlock'ed (best effort; false when RLIMIT_MEMLOCK
  // was hit).
  bool locked() const noexcept { return locked_; }

  std::span<const std::uint8_t> reveal(SecretAccess) const noexcept { return {data_, size_}; }
  std::span<std::uint8_t> reveal_mut(SecretAccess) noexcept { return {data_, size_}; }

  // Constant time in the contents: different sizes compare unequal at once (sizes are not secret),
  // equal sizes always read every byte.
  bool equals(const SecretBytes& other) const noexcept;
  friend bool operator==(const SecretBytes& a, const SecretBytes& b) noexcept {
    return a.equals(b);
  }

  // Zeroes the contents (the size stays).
  void wipe() noexcept;

  // gtest's printer hook: prints "SecretBytes(<n> bytes, redacted)", never the contents.
  friend void PrintTo(const SecretBytes& s, std::ostream* os);

 private:
  void release() noexcept;

  std::uint8_t* data_ = nullptr;  // exactly size_ usable bytes, or nullptr when empty
  std::size_t size_ = 0;
  bool locked_ = false;
};

}  // namespace nsl
