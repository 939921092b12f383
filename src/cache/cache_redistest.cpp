// RedisCache on the harness Redis: the contract suite, plus outage, timeout, reconnect and pool
// behaviour.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "cache/cache_contract.hpp"
#include "cache/redis_cache.hpp"
#include "cache/ttl_cache.hpp"
#include "core/random.hpp"

namespace nsl::cache {
namespace {

using namespace std::chrono_literals;

std::string base_prefix() { return "nsl:cachetest:" + std::to_string(::getpid()) + ":"; }

struct RedisTraits {
  static std::string unavailable_reason() {
    return ::nsl::testing::redis_url()
               ? std::string()
               : std::string("Redis not configured (NSL_TEST_SERVICES_ENV)");
  }
  static std::unique_ptr<Cache> make(const std::string& prefix) {
    auto c = RedisCache::create(
        RedisCacheOptions{.url = *::nsl::testing::redis_url(), .prefix = base_prefix() + prefix});
    EXPECT_TRUE(c.ok()) << c.error();
    if (!c.ok()) return nullptr;
    return std::move(c).value();
  }
  static void wait(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }
};

using RedisTypes = ::testing::Types<RedisTraits>;

// A plain authenticated hiredis connection for poking at the server behind the cache's back.
struct Raw {
  explicit Raw(const ::nsl::testing::RedisEndpoint& ep) {
    ctx = redisConnectWithTimeout(ep.host.c_str(), ep.port, timeval{5, 0});
    if (ctx && ctx->err == 0 && !ep.password.empty()) {
      auto* r = static_cast<redisReply*>(redisCommand(ctx, "AUTH %s", ep.password.c_str()));
      if (r) freeReplyObject(r);
    }
  }
  ~Raw() {
    if (ctx) redisFree(ctx);
  }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
  // The reply as text ("(nil)", the integer, the string or the error), or "" on an I/O error.
  std::string run(const std::vector<std::string>& argv) {
    std::vector<const char*> p;
    std::vector<std::size_t> l;
    for (const auto& a : argv) {
      p.push_back(a.data());
      l.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(argv.size()), p.data(), l.data()));
    if (!r) return "";
    std::string out;
    if (r->type == REDIS_REPLY_INTEGER) {
      out = std::to_string(r->integer);
    } else if (r->type == REDIS_REPLY_NIL) {
      out = "(nil)";
    } else if (r->str) {
      out.assign(r->str, r->len);
    }
    freeReplyObject(r);
    return out;
  }
  redisContext* ctx = nullptr;
};

class RedisCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSL_REQUIRE_REDIS();
    url_ = *::nsl::testing::redis_url();
    auto ep = ::nsl::testing::parse_redis_url(url_);
    ASSERT_TRUE(ep.has_value());
    ep_ = *ep;
    prefix_ = base_prefix() + random_hex(4) + ":";
  }
  std::unique_ptr<RedisCache> make(RedisCacheOptions o) {
    if (o.url == RedisCacheOptions{}.url) o.url = url_;
    if (o.prefix == "nsl:") o.prefix = prefix_;
    auto c = RedisCache::create(std::move(o));
    EXPECT_TRUE(c.ok()) << c.error();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  std::string url_;
  ::nsl::testing::RedisEndpoint ep_;
  std::string prefix_;
};

TEST_F(RedisCacheTest, ClosedPortIsUnavailableQuickly) {
  const int port = ::nsl::testing::free_tcp_port();
  auto c = make(
      {.url = "redis://:pw@127.0.0.1:" + std::to_string(port) + "/0", .connect_timeout = 500ms});
  ASSERT_TRUE(c);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c->get("k").error().code(), ErrorCode::unavailable);
  EXPECT_EQ(c->set("k", "v", 1s).error().code(), ErrorCode::unavailable);
  EXPECT_EQ(c->rate_limit("k", 10, 1s).error().code(), ErrorCode::unavailable);
  EXPECT_EQ(c->acquire_lock("k", 1s).error().code(), ErrorCode::unavailable);
  EXPECT_EQ(c->ping().error().code(), ErrorCode::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_GE(c->stats().connect_failures, 5u);
  EXPECT_EQ(c->stats().in_use, 0u);
}

// A server that accepts connections (the kernel completes the handshake) but never answers.
TEST_F(RedisCacheTest, SilentServerTimesOutAsUnavailable) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  auto c = make({.url = "redis://127.0.0.1:" + std::to_string(port),
                 .connect_timeout = 300ms,
                 .command_timeout = 300ms});
  ASSERT_TRUE(c);
  const auto start = std::chrono::steady_clock::now();
  auto r = c->get("k");
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::unavailable);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
  EXPECT_GE(c->stats().command_errors, 1u);
}

TEST_F(RedisCacheTest, WrongPasswordIsUnavailable) {
  auto c =
      make({.url = "redis://:wrong-password@" + ep_.host + ":" + std::to_string(ep_.port) + "/0"});
  ASSERT_TRUE(c);
  auto r = c->ping();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::unavailable);
  EXPECT_EQ(r.error().message().find("wrong-password"), std::string::npos);
}

TEST_F(RedisCacheTest, ReconnectsAfterClientKill) {
  auto c = make({.pool_size = 2});
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->set("k", "v", 60s).ok());
  ASSERT_TRUE(c->incr_window("n", 60s).ok());
  Raw raw(ep_);
  ASSERT_TRUE(raw.ctx && raw.ctx->err == 0);
  EXPECT_NE(raw.run({"CLIENT", "KILL", "TYPE", "normal"}), "0");  // SKIPME yes: raw survives

  // Non-idempotent calls may fail once with unavailable, then succeed.
  auto n = c->incr_window("n", 60s);
  if (!n.ok()) {
    EXPECT_EQ(n.error().code(), ErrorCode::unavailable);
    n = c->incr_window("n", 60s);
  }
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_GE(*n, 2);

  // Idempotent calls are retried on a fresh connection and succeed at once.
  raw.run({"CLIENT", "KILL", "TYPE", "normal"});
  auto g = c->get("k");
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_EQ(g->value_or(""), "v");
  EXPECT_GE(c->stats().discarded, 1u);
}

TEST_F(RedisCacheTest, ScriptCacheFlushFallsBackToEval) {
  auto c = make({});
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->rate_limit("r", 10, 1s).ok());
  Raw raw(ep_);
  EXPECT_EQ(raw.run({"SCRIPT", "FLUSH"}), "OK");
  auto d = c->rate_limit("r", 10, 1s);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_TRUE(d->allowed);
  EXPECT_EQ(d->remaining, 8);
  auto l = c->acquire_lock("L", 1s);
  ASSERT_TRUE(l.ok() && l->has_value());
}

// Several independent clients (as several processes would be) share one exact limit.
TEST_F(RedisCacheTest, GcraExactAcrossClients) {
  std::vector<std::unique_ptr<RedisCache>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(make({.pool_size = 2}));
  std::atomic<int> next{0}, allowed{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    RedisCache* c = clients[static_cast<std::size_t>(t % 4)].get();
    threads.emplace_back([&, c] {
      while (next.fetch_add(1) < 300) {
        auto d = c->rate_limit("shared", 100, 1h);
        if (!d.ok()) {
          ++failures;
        } else if (d->allowed) {
          ++allowed;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(allowed.load(), 100);
}

// Without pipelines every command takes a connection of its own: four threads on a pool of one wait.
TEST_F(RedisCacheTest, PoolIsBoundedAndCountsWaits) {
  auto c = make({.pool_size = 1, .pipelines = 0});
  ASSERT_TRUE(c);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!c->incr_window("p", 60s).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const auto s = c->stats();
  EXPECT_EQ(s.connects, 1u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(s.pool_size, 1u);
  EXPECT_GT(s.waits, 0u);
  EXPECT_EQ(s.pipelined, 0u);
  EXPECT_EQ(*c->incr_window("p", 60s), 201);
}

// Pipelined, many threads on one connection keep every command's own answer.
TEST_F(RedisCacheTest, PipelinedCommandsKeepTheirOwnReplies) {
  auto c = make({.pool_size = 1, .pipelines = 1});
  ASSERT_TRUE(c);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "own:" + std::to_string(t);
      for (int i = 1; i <= 40; ++i) {
        auto n = c->incr_window(key, 60s);
        if (!n.ok() || *n != i) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  const auto s = c->stats();
  EXPECT_EQ(s.connects, 1u);
  EXPECT_EQ(s.pipelined, 320u);
  EXPECT_LE(s.batches, 320u);
  EXPECT_EQ(s.queued, 0u);
}

TEST_F(RedisCacheTest, SelectsDatabaseFromUrl) {
  const std::string url1 = url_.substr(0, url_.rfind('/')) + "/1";
  auto c = make({.url = url1});
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->set("dbkey", "in-db-1", 60s).ok());
  Raw raw(ep_);  // db 0
  EXPECT_EQ(raw.run({"GET", prefix_ + "dbkey"}), "(nil)");
  EXPECT_EQ(raw.run({"SELECT", "1"}), "OK");
  EXPECT_EQ(raw.run({"GET", prefix_ + "dbkey"}), "in-db-1");
  EXPECT_EQ(raw.run({"PTTL", prefix_ + "dbkey"}).empty(), false);
}

}  // namespace

namespace contract {
// A fake Redis that holds its answer to the first command until told, then answers nil to
// everything; it counts the commands it got in each read. No real server needed.
class HoldingServer {
 public:
  HoldingServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
          ::listen(fd_, 4) == 0;
    socklen_t len = sizeof addr;
    ok_ = ok_ && ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    port_ = ntohs(addr.sin_port);
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~HoldingServer() {
    release();
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  void release() {
    std::lock_guard lk(mu_);
    released_ = true;
    cv_.notify_all();
  }
  bool wait_first(std::chrono::milliseconds d) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, d, [&] { return got_ > 0; });
  }
  std::vector<int> per_read() {
    std::lock_guard lk(mu_);
    return per_read_;
  }
  int connections() const { return connections_.load(); }

 private:
  // Complete RESP arrays at the front of `buf`, consumed.
  static int take_commands(std::string& buf) {
    int n = 0;
    std::size_t pos = 0;
    for (;;) {
      std::size_t p = pos;
      if (p >= buf.size() || buf[p] != '*') break;
      auto line = [&](std::size_t& at) -> std::optional<long> {
        const auto e = buf.find("\r\n", at);
        if (e == std::string::npos) return std::nullopt;
        const long v = std::stol(buf.substr(at + 1, e - at - 1));
        at = e + 2;
        return v;
      };
      auto argc = line(p);
      if (!argc) break;
      bool complete = true;
      for (long i = 0; i < *argc && complete; ++i) {
        auto len = p < buf.size() ? line(p) : std::nullopt;
        if (!len || p + static_cast<std::size_t>(*len) + 2 > buf.size()) {
          complete = false;
        } else {
          p += static_cast<std::size_t>(*len) + 2;
        }
      }
      if (!complete) break;
      pos = p;
      ++n;
    }
    buf.erase(0, pos);
    return n;
  }
  void serve() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    ++connections_;
    std::string buf;
    char chunk[4096];
    for (;;) {
      const ssize_t r = ::recv(c, chunk, sizeof chunk, 0);
      if (r <= 0) break;
      buf.append(chunk, static_cast<std::size_t>(r));
      const int n = take_commands(buf);
      if (n == 0) continue;
      bool first = false;
      {
        std::unique_lock lk(mu_);
        per_read_.push_back(n);
        first = got_ == 0;
        got_ += n;
        cv_.notify_all();
        if (first) cv_.wait(lk, [&] { return released_; });
      }
      std::string out;
      for (int i = 0; i < n; ++i) out += "$-1\r\n";
      if (::send(c, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) break;
    }
    ::close(c);
  }

  int fd_ = -1;
  bool ok_ = false;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int got_ = 0;
  std::vector<int> per_read_;
  std::atomic<int> connections_{0};
};

// Commands issued while the pipeline waits for an answer queue up and go out together, in one
// write, when it frees: one round trip for seven commands, on the same connection.
TEST(RedisPipelineTest, CommandsQueuedBehindABusyPipelineShareOneRoundTrip) {
  HoldingServer server;
  ASSERT_TRUE(server.ok());
  auto created = RedisCache::create({.url = "redis://127.0.0.1:" + std::to_string(server.port()),
                                     .prefix = "p:",
                                     .pool_size = 1,
                                     .command_timeout = 10s,
                                     .pipelines = 1});
  ASSERT_TRUE(created.ok()) << created.error();
  RedisCache& c = **created;
  std::atomic<int> answered{0};
  auto get = [&](std::string key) {
    auto r = c.get(key);
    if (r.ok() && !r->has_value()) ++answered;
  };
  std::vector<std::thread> threads;
  threads.emplace_back(get, "first");
  ASSERT_TRUE(server.wait_first(5s));
  for (int i = 0; i < 7; ++i) threads.emplace_back(get, "queued" + std::to_string(i));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (c.stats().queued < 7 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(c.stats().queued, 7u);
  server.release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered.load(), 8);
  const auto s = c.stats();
  EXPECT_EQ(s.pipelined, 8u);
  EXPECT_EQ(s.batches, 2u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.per_read(), (std::vector<int>{1, 7}));
}

// With pipelines off, the same commands each take their own round trip.
TEST(RedisPipelineTest, PipelinesOffSendsEachCommandAlone) {
  HoldingServer server;
  ASSERT_TRUE(server.ok());
  server.release();
  auto created = RedisCache::create({.url = "redis://127.0.0.1:" + std::to_string(server.port()),
                                     .prefix = "p:",
                                     .pool_size = 1,
                                     .command_timeout = 10s,
                                     .pipelines = 0});
  ASSERT_TRUE(created.ok()) << created.error();
  for (int i = 0; i < 3; ++i) {
    auto r = (*created)->get("k" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_FALSE(r->has_value());
  }
  EXPECT_EQ((*created)->stats().pipelined, 0u);
  EXPECT_EQ(server.per_read(), (std::vector<int>{1, 1, 1}));
}

INSTANTIATE_TYPED_TEST_SUITE_P(Redis, CacheContractTest, RedisTypes);
}  // namespace contract

}  // namespace nsl::cache

namespace nsl::cache {
namespace {

// Named TTL classes on Redis: the entry lives in Redis with the class's TTL, shared by every
// TtlCache (replica) on the same server.
TEST(TtlCacheRedis, EntriesAreSharedAndExpireWithTheClassTtl) {
  NSL_REQUIRE_REDIS();
  auto make = [] {
    auto c = RedisCache::create({.url = *::nsl::testing::redis_url(), .prefix = base_prefix() + "ttl:"});
    EXPECT_TRUE(c.ok()) << c.error();
    return c.ok() ? std::move(c).value() : nullptr;
  };
  auto a = make();
  auto b = make();
  ASSERT_TRUE(a && b);
  TtlCache ra(*a, {.chain_data = 300ms});
  TtlCache rb(*b, {.chain_data = 300ms});
  const std::string key = "block:" + random_hex(4);
  int loads = 0;
  auto load = [&]() -> Result<std::string> { return "v" + std::to_string(++loads); };
  EXPECT_EQ(ra.get_or_load(TtlClass::chain_data, key, load).value(), "v1");
  EXPECT_EQ(rb.get_or_load(TtlClass::chain_data, key, load).value(), "v1");  // the other replica's
  std::this_thread::sleep_for(450ms);
  EXPECT_EQ(rb.get_or_load(TtlClass::chain_data, key, load).value(), "v2");
}

}  // namespace
}  // namespace nsl::cache
