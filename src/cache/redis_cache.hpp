// nsl/cache/redis_cache.hpp — the Redis Cache back end (hiredis, synchronous contexts in a pool).
//
// Connections are opened lazily (create() only parses the URL, so a service can start while Redis
// is down) with a connect timeout, then AUTH (user/password from the URL) and SELECT db; every
// command has a command timeout. A context that fails with an I/O error is discarded together with
// all idle ones (a server restart or CLIENT KILL breaks them all); the next call connects afresh.
// Commands issued at the same time by several threads are pipelined (RedisCacheOptions::pipelines):
// the thread that finds a pipeline free leads it — it sends every queued command in one write on
// one pooled connection and reads their replies — then hands the lead to the first command queued
// behind it (the leader/follower group of LevelDB's write queue). Under load this turns one round
// trip per command into one per batch, for Redis and for this process.
// Reads and plain writes (get, set, del, ping) are retried once on a fresh connection when a reused
// connection turns out to be broken; the other calls report `unavailable` and leave the retry to
// the caller, since they may have run. Read-modify-write calls are single Lua scripts (EVALSHA,
// falling back to EVAL on NOSCRIPT). rate_limit reads the server clock (TIME), so all replicas
// decide on one clock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cache/cache.hpp"
#include "core/secret_string.hpp"

struct redisContext;
struct redisReply;

namespace nsl::cache {

struct RedisCacheOptions {
  std::string url = "redis://127.0.0.1:6379/0";  // redis://[user][:password]@host[:port][/db]
  std::string prefix = "nsl:";
  std::size_t pool_size = 8;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds pool_wait_timeout{
      1000};  // waiting for a free connection; then `unavailable`
  // Pipelines: commands that threads issue while the pipelines are busy queue up and go out
  // together — one write, one round trip, one connection — when a pipeline frees (min(pipelines,
  // pool_size) at once). 0 = every command on its own pooled connection. Blocking commands
  // (streams' XREADGROUP BLOCK) always take their own connection.
  std::size_t pipelines = 2;
};

// Parsed redis:// URL. The password is kept as a SecretString.
struct RedisUrl {
  std::string host;
  int port = 6379;
  std::string user;
  SecretString password;
  int db = 0;
};
Result<RedisUrl> parse_redis_url(std::string_view url);

// Monotonic counters plus two gauges (in_use, idle), read without locking.
struct RedisPoolStats {
  std::uint64_t connects = 0;          // connections opened successfully
  std::uint64_t connect_failures = 0;  // connect/AUTH/SELECT failures
  std::uint64_t discarded = 0;         // contexts dropped after an I/O error
  std::uint64_t waits = 0;             // acquisitions that had to wait for a free connection
  std::uint64_t wait_timeouts = 0;     // ... and gave up after pool_wait_timeout
  std::uint64_t wait_ns_total = 0;     // total time spent waiting
  std::uint64_t command_errors = 0;    // commands that failed with an I/O or timeout error
  std::uint64_t pipelined = 0;         // commands sent through a pipeline
  std::uint64_t batches = 0;           // ... in this many round trips
  std::uint64_t queued = 0;            // commands waiting for a pipeline now
  std::uint64_t in_use = 0;
  std::uint64_t idle = 0;
  std::uint64_t pool_size = 0;
};

class RedisCache final : public Cache {
 public:
  static Result<std::unique_ptr<RedisCache>> create(RedisCacheOptions options);
  ~RedisCache() override;
  RedisCache(const RedisCache&) = delete;
  RedisCache& operator=(const RedisCache&) = delete;

  Result<std::optional<std::string>> get(std::string_view key) override;
  Status set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override;
  Result<bool> set_if_absent(std::string_view key, std::string_view value,
                             std::chrono::milliseconds ttl) override;
  Result<bool> del(std::string_view key) override;
  Result<std::int64_t> incr_window(std::string_view key, std::chrono::milliseconds window) override;
  Result<RateDecision> rate_limit(std::string_view key, std::int64_t limit_per_period,
                                  std::chrono::milliseconds period, std::int64_t cost = 1) override;
  Result<Admission> admit(const RateStep& first, std::string_view flag,
                          const RateStep& second) override;
  Result<std::optional<Lock>> acquire_lock(std::string_view name,
                                           std::chrono::milliseconds ttl) override;
  Result<bool> release_lock(const Lock& lock) override;
  Status ping() override;
  const std::string& prefix() const override { return options_.prefix; }

  RedisPoolStats stats() const;

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const;
  };
  struct ReplyDeleter {
    void operator()(redisReply* r) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
  using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;
  struct Script;

  RedisCache(RedisCacheOptions options, RedisUrl url);
  Result<ContextPtr> connect();
  // A pooled or new context, and whether it was reused from the idle list.
  Result<std::pair<ContextPtr, bool>> acquire();
  void release(ContextPtr ctx, bool broken);
  // Runs one command; `retry_once` repeats it on a fresh connection when a reused one was broken.
  // `extra_timeout` lengthens the command timeout for this call (blocking commands such as
  // XREADGROUP BLOCK), so the wait is not mistaken for a dead server.
  Result<ReplyPtr> command(const std::vector<std::string>& argv, bool retry_once,
                           std::chrono::milliseconds extra_timeout = std::chrono::milliseconds(0));
  // One command on its own pooled connection (argv as hiredis wants it).
  Result<ReplyPtr> command_direct(const std::vector<const char*>& ptrs,
                                  const std::vector<std::size_t>& lens, bool retry_once,
                                  std::chrono::milliseconds extra_timeout);
  // The pipeline: a command waiting for its reply, the lead of a batch, and its round trip.
  struct Pending;
  using PendingPtr = std::shared_ptr<Pending>;
  void lead(const PendingPtr& first);
  void run_batch(const std::vector<PendingPtr>& batch);
  Result<ReplyPtr> eval(const Script& script, const std::vector<std::string>& keys,
                        const std::vector<std::string>& args);
  std::string k(std::string_view key) const { return options_.prefix + std::string(key); }

  // Streams share this pool, prefix and stats (cache/redis_stream.hpp).
  friend class RedisStream;

  RedisCacheOptions options_;
  RedisUrl url_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ContextPtr> idle_;
  std::size_t open_ = 0;  // contexts in use + idle (+ being connected), under mu_

  // Pipelines, under pmu_: while `leaders_` < `max_leaders_` nothing is queued.
  std::size_t max_leaders_ = 0;
  mutable std::mutex pmu_;
  std::deque<PendingPtr> queue_;
  std::size_t leaders_ = 0;

  std::atomic<std::uint64_t> connects_{0}, connect_failures_{0}, discarded_{0}, waits_{0},
      wait_timeouts_{0}, wait_ns_total_{0}, command_errors_{0}, in_use_{0}, pipelined_{0},
      batches_{0};
};

}  // namespace nsl::cache
