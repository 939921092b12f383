#include "core/random.hpp"

#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

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

namespace {
// Identifiers (request, trace and span ids) are drawn from a small per-thread buffer of getrandom output,
// refilled 512 bytes at a time: the same CSPRNG bytes, each used once, without a system call per id. A fork
// resets the buffer so parent and child never hand out the same bytes. Never used for keys or nonces.
struct IdPool {
  std::uint8_t buf[512];
  std::size_t pos = sizeof buf;
  pid_t pid = 0;
};

void id_bytes(std::uint8_t* out, std::size_t n) {
  thread_local IdPool pool;
  pid_t pid = getpid();
  if (pool.pid != pid) {
    pool.pos = sizeof pool.buf;
    pool.pid = pid;
  }
  while (n > 0) {
    if (pool.pos == sizeof pool.buf) {
      random_bytes(pool.buf);
      pool.pos = 0;
    }
    std::size_t take = std::min(n, sizeof pool.buf - pool.pos);
    std::memcpy(out, pool.buf + pool.pos, take);
    explicit_bzero(pool.buf + pool.pos, take);
    pool.pos += take;
    out += take;
    n -= take;
  }
}
}  // namespace

std::string random_id_hex(std::size_t n) {
  std::uint8_t buf[32];
  std::string out;
  out.reserve(n * 2);
  while (n > 0) {
    std::size_t chunk = std::min(n, sizeof buf);
    id_bytes(buf, chunk);
    out += to_hex({buf, chunk});
    n -= chunk;
  }
  return out;
}

std::string new_request_id() { return random_id_hex(16); }

}  // namespace nsl
