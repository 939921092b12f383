// nsl/chain/neo/internal/wipe.hpp — zeroing of temporary buffers that held key material (WIF
// payloads, NEP-2 intermediates). Best effort: the buffers are plain heap memory, unlike
// SecretBytes; they are wiped as soon as they are no longer needed.
#pragma once

#include <string.h>  // explicit_bzero (glibc)

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nsl::neo::internal {

inline void wipe(std::vector<std::uint8_t>& v) noexcept {
  if (!v.empty()) explicit_bzero(v.data(), v.size());
}
template <std::size_t N>
inline void wipe(std::array<std::uint8_t, N>& a) noexcept {
  explicit_bzero(a.data(), a.size());
}

// Wipes a vector when it goes out of scope.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::vector<std::uint8_t>& v) noexcept : v_(v) {}
  ~WipeOnExit() { wipe(v_); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  std::vector<std::uint8_t>& v_;
};

}  // namespace nsl::neo::internal
