// nsl/core/secret_string.hpp — a text secret (bearer token, password) that wipes itself and
// cannot be printed or turned into a std::string by accident.
//
// The value lives in one exact-size heap buffer (no small-string buffer inside the object, no
// growth), wiped with explicit_bzero before it is freed: in the destructor, in clear() and when
// assigned over. A move hands the buffer over and leaves the source empty, so no copy stays behind.
// No operator<<, no implicit conversion, no std::hash: the only way to the characters is the
// greppable reveal(). equals() takes time that depends on the lengths only, never on the content.
// The buffer is not mlock'ed (SecretBytes is the locked container for key material).
//
// Thread-safety: a value type; const members may run concurrently, mutation needs external locking.
//
//   SecretString token = SecretString::take(text_read_from_file);  // the std::string is wiped
//   if (!token.empty() && token.equals(presented)) { ... }
//   client.set_password(token.reveal());                          // the one deliberate read
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nsl {

class SecretString {
 public:
  SecretString() noexcept = default;
  // Copies `value`; the caller stays responsible for wiping its own copy (see take()).
  explicit SecretString(std::string_view value);
  SecretString(const SecretString& other);
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(const SecretString& other);
  SecretString& operator=(SecretString&& other) noexcept;
  ~SecretString();

  // Copies `source` into a SecretString, then wipes all of `source`'s capacity and empties it.
  static SecretString take(std::string& source);
  // Zeroes every byte of `s`'s buffer (size and spare capacity) with explicit_bzero; clears it.
  static void wipe(std::string& s) noexcept;

  // The secret characters. The view dies with this object (or its next mutation); do not copy it
  // into a long-lived std::string.
  std::string_view reveal() const noexcept { return {data_, size_}; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  // Constant-time comparison: running time depends on the lengths, never on the characters.
  bool equals(std::string_view other) const noexcept;
  // Wipes and releases the value; empty() afterwards.
  void clear() noexcept;

  friend bool operator==(const SecretString& a, const SecretString& b) noexcept {
    return a.equals(b.reveal());
  }

 private:
  char* data_ = nullptr;  // exactly size_ bytes, or nullptr when empty
  std::size_t size_ = 0;
};

}  // namespace nsl
