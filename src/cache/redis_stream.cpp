#include "cache/redis_stream.hpp"

#include <hiredis/hiredis.h>

#include <charconv>

namespace nsl::cache {

namespace {

std::string_view text(const redisReply* r) { return {r->str, r->len}; }

bool is_text(const redisReply* r) {
  return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS;
}

Error unexpected() { return err::internal("unexpected redis reply"); }

// Error replies of stream commands; the Redis text stays internal, only its meaning is kept.
Error stream_error(const redisReply* r) {
  const std::string_view t = text(r);
  const std::string word(t.substr(0, t.find(' ')));
  if (word == "NOGROUP") return err::not_found("stream consumer group not found");
  if (word == "WRONGTYPE") return err::failed_precondition("cache key is not a stream");
  if (t.find("Invalid stream ID") != std::string_view::npos)
    return err::invalid_argument("invalid stream entry id");
  if (word == "LOADING" || word == "BUSY" || word == "MASTERDOWN" || word == "READONLY" ||
      word == "NOAUTH" || word == "WRONGPASS" || word == "TRYAGAIN" || word == "CLUSTERDOWN") {
    return err::unavailable("redis not ready (" + word + ")");
  }
  return err::internal("redis command failed (" + word + ")");
}

// One [id, [field, value, ...]] element. nullopt (no error) for an entry whose body is nil.
Result<std::optional<StreamEntry>> parse_entry(const redisReply* e) {
  if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !is_text(e->element[0]))
    return unexpected();
  StreamEntry out;
  out.id = std::string(text(e->element[0]));
  const redisReply* f = e->element[1];
  if (f->type == REDIS_REPLY_NIL) return std::optional<StreamEntry>();
  if (f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0) return unexpected();
  out.fields.reserve(f->elements / 2);
  for (std::size_t i = 0; i < f->elements; i += 2) {
    if (!is_text(f->element[i]) || !is_text(f->element[i + 1])) return unexpected();
    out.fields.emplace_back(std::string(text(f->element[i])), std::string(text(f->element[i + 1])));
  }
  return std::optional<StreamEntry>(std::move(out));
}

Status append_entries(const redisReply* list, std::vector<StreamEntry>& out) {
  if (list->type == REDIS_REPLY_NIL) return ok_status();
  if (list->type != REDIS_REPLY_ARRAY) return unexpected();
  for (std::size_t i = 0; i < list->elements; ++i) {
    if (list->element[i]->type == REDIS_REPLY_NIL) continue;  // Redis 6.2: a deleted entry
    NSL_TRY_ASSIGN(auto e, parse_entry(list->element[i]));
    if (e) out.push_back(std::move(*e));
  }
  return ok_status();
}

Status check_names(std::string_view stream, std::string_view group) {
  NSL_TRY(validate_stream_name(stream, "stream"));
  return validate_stream_name(group, "group");
}

}  // namespace

Result<std::string> RedisStream::add(std::string_view stream, const StreamFields& fields,
                                     std::optional<std::size_t> max_len) {
  NSL_TRY(validate_stream_name(stream, "stream"));
  if (fields.empty()) return err::invalid_argument("stream entry needs at least one field");
  if (max_len && *max_len == 0) return err::invalid_argument("stream max length must be positive");
  std::vector<std::string> argv{"XADD", redis_.k(stream)};
  if (max_len) {
    // Exact trimming ("="), so both back ends keep the same entries; "~" would be cheaper but
    // leaves an unspecified number behind.
    argv.insert(argv.end(), {"MAXLEN", "=", std::to_string(*max_len)});
  }
  argv.emplace_back("*");
  for (const auto& [f, v] : fields) {
    argv.push_back(f);
    argv.push_back(v);
  }
  NSL_TRY_ASSIGN(auto r, redis_.command(argv, false));
  if (r->type == REDIS_REPLY_ERROR) return stream_error(r.get());
  if (!is_text(r.get())) return unexpected();
  return std::string(text(r.get()));
}

Status RedisStream::create_group(std::string_view stream, std::string_view group) {
  NSL_TRY(check_names(stream, group));
  NSL_TRY_ASSIGN(auto r, redis_.command({"XGROUP", "CREATE", redis_.k(stream), std::string(group),
                                         "0", "MKSTREAM"},
                                        true));
  if (r->type == REDIS_REPLY_ERROR) {
    if (text(r.get()).starts_with("BUSYGROUP")) return ok_status();  // already exists
    return stream_error(r.get());
  }
  return ok_status();
}

Result<std::vector<StreamEntry>> RedisStream::read_group(std::string_view stream,
                                                         std::string_view group,
                                                         std::string_view consumer,
                                                         std::size_t count,
                                                         std::chrono::milliseconds block) {
  NSL_TRY(check_names(stream, group));
  NSL_TRY(validate_stream_name(consumer, "consumer"));
  NSL_TRY(validate_count(count));
  if (block.count() < 0) return err::invalid_argument("stream block time must not be negative");
  std::vector<std::string> argv{"XREADGROUP",          "GROUP", std::string(group),
                                std::string(consumer), "COUNT", std::to_string(count)};
  if (block.count() > 0) {  // BLOCK 0 would wait forever in Redis
    argv.emplace_back("BLOCK");
    argv.push_back(std::to_string(block.count()));
  }
  argv.insert(argv.end(), {"STREAMS", redis_.k(stream), ">"});
  NSL_TRY_ASSIGN(auto r, redis_.command(argv, false, block));
  std::vector<StreamEntry> out;
  if (r->type == REDIS_REPLY_ERROR) return stream_error(r.get());
  if (r->type == REDIS_REPLY_NIL) return out;  // nothing arrived in time
  if (r->type != REDIS_REPLY_ARRAY) return unexpected();
  for (std::size_t i = 0; i < r->elements; ++i) {  // one [key, entries] per stream
    const redisReply* s = r->element[i];
    if (s->type != REDIS_REPLY_ARRAY || s->elements != 2) return unexpected();
    NSL_TRY(append_entries(s->element[1], out));
  }
  return out;
}

Result<std::int64_t> RedisStream::ack(std::string_view stream, std::string_view group,
                                      const std::vector<std::string>& ids) {
  NSL_TRY(check_names(stream, group));
  if (ids.empty()) return std::int64_t{0};
  std::vector<std::string> argv{"XACK", redis_.k(stream), std::string(group)};
  argv.insert(argv.end(), ids.begin(), ids.end());
  NSL_TRY_ASSIGN(auto r, redis_.command(argv, true));
  if (r->type == REDIS_REPLY_ERROR) return stream_error(r.get());
  if (r->type != REDIS_REPLY_INTEGER) return unexpected();
  return static_cast<std::int64_t>(r->integer);
}

Result<std::vector<StreamEntry>> RedisStream::claim_idle(std::string_view stream,
                                                         std::string_view group,
                                                         std::string_view consumer,
                                                         std::chrono::milliseconds min_idle,
                                                         std::size_t count) {
  NSL_TRY(check_names(stream, group));
  NSL_TRY(validate_stream_name(consumer, "consumer"));
  NSL_TRY(validate_count(count));
  if (min_idle.count() < 0) return err::invalid_argument("stream min idle must not be negative");
  std::vector<StreamEntry> out;
  std::string cursor = "0-0";
  // XAUTOCLAIM scans at most 10 * COUNT pending entries per call; a few more calls cover a long
  // pending list of fresh entries, bounded so one call cannot hold the pool for long.
  for (int round = 0; round < 16 && out.size() < count; ++round) {
    NSL_TRY_ASSIGN(auto r, redis_.command({"XAUTOCLAIM", redis_.k(stream), std::string(group),
                                           std::string(consumer), std::to_string(min_idle.count()),
                                           cursor, "COUNT", std::to_string(count - out.size())},
                                          false));
    if (r->type == REDIS_REPLY_ERROR) return stream_error(r.get());
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 || !is_text(r->element[0]))
      return unexpected();
    NSL_TRY(append_entries(r->element[1], out));
    cursor = std::string(text(r->element[0]));
    if (cursor == "0-0") break;
  }
  return out;
}

Result<PendingInfo> RedisStream::pending(std::string_view stream, std::string_view group) {
  NSL_TRY(check_names(stream, group));
  NSL_TRY_ASSIGN(auto r, redis_.command({"XPENDING", redis_.k(stream), std::string(group)}, true));
  if (r->type == REDIS_REPLY_ERROR) return stream_error(r.get());
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
      r->element[0]->type != REDIS_REPLY_INTEGER) {
    return unexpected();
  }
  PendingInfo info;
  info.count = r->element[0]->integer;
  const redisReply* cs = r->element[3];
  if (cs->type == REDIS_REPLY_NIL) return info;
  if (cs->type != REDIS_REPLY_ARRAY) return unexpected();
  for (std::size_t i = 0; i < cs->elements; ++i) {
    const redisReply* c = cs->element[i];
    if (c->type != REDIS_REPLY_ARRAY || c->elements != 2 || !is_text(c->element[0]) ||
        !is_text(c->element[1])) {
      return unexpected();
    }
    const std::string_view n = text(c->element[1]);  // the count comes as a string
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
    if (ec != std::errc() || p != n.data() + n.size()) return unexpected();
    info.consumers[std::string(text(c->element[0]))] = v;
  }
  return info;
}

}  // namespace nsl::cache
