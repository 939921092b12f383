#include "core/thread_name.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>

namespace nsl {

void set_thread_name(std::string_view name) noexcept {
  std::array<char, 16> buf{};
  const std::size_t n = std::min(name.size(), buf.size() - 1);
  std::copy_n(name.data(), n, buf.data());
  (void)::pthread_setname_np(::pthread_self(), buf.data());
}

}  // namespace nsl
