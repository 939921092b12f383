#include "core/random.hpp"

#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
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
// bumps a generation counter (pthread_atfork) so parent and child never hand out the same buffered bytes.
// Never used for keys or nonces.
std::atomic<unsigned> g_fork_generation{0};
void on_fork_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }
const bool g_atfork_installed = [] { return pthread_atfork(nullptr, nullptr, on_fork_child) == 0; }();

struct IdPool {
  std::uint8_t buf[512];
  std::size_t pos = sizeof buf;
  unsigned generation = 0;
};

void id_bytes(std::uint8_t* out, std::size_t n) {
  thread_local IdPool pool;
  unsigned gen = g_fork_generation.load(std::memory_order_relaxed);
  if (pool.generation != gen || !g_atfork_installed) {
    pool.pos = sizeof pool.buf;
    pool.generation = gen;
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

void append_hex(std::string& out, const std::uint8_t* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::size_t at = out.size();
  out.resize(at + 2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out[at + 2 * i] = kDigits[p[i] >> 4];
    out[at + 2 * i + 1] = kDigits[p[i] & 0xf];
  }
}
}  // namespace

std::string random_id_hex(std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  std::uint8_t buf[32];
  while (n > 0) {
    std::size_t chunk = std::min(n, sizeof buf);
    id_bytes(buf, chunk);
    append_hex(out, buf, chunk);
    n -= chunk;
  }
  return out;
}

void random_ids_hex(std::initializer_list<std::pair<std::string*, std::size_t>> ids) {
  std::uint8_t buf[128];
  std::size_t total = 0;
  for (const auto& id : ids) total += id.second;
  if (total > sizeof buf) {
    for (const auto& id : ids) *id.first = random_id_hex(id.second);
    return;
  }
  id_bytes(buf, total);
  std::size_t at = 0;
  for (const auto& id : ids) {
    id.first->clear();
    append_hex(*id.first, buf + at, id.second);
    at += id.second;
  }
}

std::string new_request_id() { return random_id_hex(16); }

}  // namespace nsl
