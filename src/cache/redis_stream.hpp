// nsl/cache/redis_stream.hpp — the Redis Stream back end (see cache/stream.hpp).
//
// Runs Redis 7 stream commands over an existing RedisCache's connection pool (same URL, prefix,
// timeouts, pool stats), so a process keeps one pool per Redis. Mapping:
//   add          XADD key [MAXLEN = n] * field value ...
//   create_group XGROUP CREATE key group 0 MKSTREAM    (BUSYGROUP = already there = ok)
//   read_group   XREADGROUP GROUP g c COUNT n [BLOCK ms] STREAMS key >
//   ack          XACK key group id ...
//   claim_idle   XAUTOCLAIM key group c min-idle 0-0 COUNT n   (repeated until n or the end)
//   pending      XPENDING key group
// A blocking read lengthens that one command's socket timeout by `block`, and holds its pooled
// connection meanwhile. Only idempotent commands (XGROUP CREATE, XACK, XPENDING) are retried after
// a broken pooled connection; XADD, XREADGROUP and XAUTOCLAIM report `unavailable` and leave the
// retry to the caller (an XADD retry could add the job twice — handlers are idempotent anyway).
//
//   auto redis = RedisCache::create({.url = url});
//   RedisStream jobs(**redis);  // *redis must outlive jobs
//
// Thread-safety: all members may be called concurrently.
#pragma once

#include "cache/redis_cache.hpp"
#include "cache/stream.hpp"

namespace nsl::cache {

class RedisStream final : public Stream {
 public:
  explicit RedisStream(RedisCache& redis) : redis_(redis) {}
  RedisStream(const RedisStream&) = delete;
  RedisStream& operator=(const RedisStream&) = delete;

  Result<std::string> add(std::string_view stream, const StreamFields& fields,
                          std::optional<std::size_t> max_len) override;
  Status create_group(std::string_view stream, std::string_view group) override;
  Result<std::vector<StreamEntry>> read_group(std::string_view stream, std::string_view group,
                                              std::string_view consumer, std::size_t count,
                                              std::chrono::milliseconds block) override;
  Result<std::int64_t> ack(std::string_view stream, std::string_view group,
                           const std::vector<std::string>& ids) override;
  Result<std::vector<StreamEntry>> claim_idle(std::string_view stream, std::string_view group,
                                              std::string_view consumer,
                                              std::chrono::milliseconds min_idle,
                                              std::size_t count) override;
  Result<PendingInfo> pending(std::string_view stream, std::string_view group) override;
  const std::string& prefix() const override { return redis_.prefix(); }

 private:
  RedisCache& redis_;
};

}  // namespace nsl::cache
