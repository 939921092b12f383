#include "core/secret_string.hpp"

#include <string.h>  // explicit_bzero (glibc; g++ always defines _GNU_SOURCE)

#include <cstring>
#include <utility>

namespace nsl {

SecretString::SecretString(std::string_view value) {
  if (value.empty()) return;
  data_ = new char[value.size()];
  size_ = value.size();
  std::memcpy(data_, value.data(), value.size());
}

SecretString::SecretString(const SecretString& other) : SecretString(other.reveal()) {}

SecretString::SecretString(SecretString&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretString& SecretString::operator=(const SecretString& other) {
  if (this != &other) {
    SecretString copy(other);  // allocate first: if it throws, *this is unchanged
    *this = std::move(copy);
  }
  return *this;
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    clear();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretString::~SecretString() { clear(); }

SecretString SecretString::take(std::string& source) {
  SecretString s(source);
  wipe(source);
  return s;
}

void SecretString::wipe(std::string& s) noexcept {
  // Bytes between size() and capacity() may hold an earlier, longer value; they are only
  // addressable after a resize (which cannot reallocate here, so it cannot throw).
  s.resize(s.capacity());
  explicit_bzero(s.data(), s.size());
  s.clear();
}

bool SecretString::equals(std::string_view other) const noexcept {
  if (other.size() != size_) return false;
  // volatile keeps the compiler from turning the loop into an early-exit memcmp.
  const volatile unsigned char* a = reinterpret_cast<const unsigned char*>(data_);
  const volatile unsigned char* b = reinterpret_cast<const unsigned char*>(other.data());
  unsigned char diff = 0;
  for (std::size_t i = 0; i < size_; ++i) diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

void SecretString::clear() noexcept {
  if (data_ != nullptr) {
    explicit_bzero(data_, size_);
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
}

}  // namespace nsl
