#include "core/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "core/strings.hpp"

namespace nsl {

void random_bytes(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fputs("nsl: fatal: getrandom failed\n", stderr);
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string random_hex(std::size_t n) {
  std::uint8_t buf[64];
  std::string out;
  out.reserve(n * 2);
  while (n > 0) {
    std::size_t chunk = n < sizeof buf ? n : sizeof buf;
    random_bytes({buf, chunk});
    out += to_hex({buf, chunk});
    n -= chunk;
  }
  return out;
}

std::string new_request_id() { return random_hex(16); }

}  // namespace nsl
