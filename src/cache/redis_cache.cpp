#include "cache/redis_cache.hpp"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <span>

#include "core/random.hpp"
#include "core/strings.hpp"

namespace nsl::cache {

namespace {

// ---- scripts ------------------------------------------------------------------------------------

constexpr std::string_view kIncrWindowLua = R"lua(
local v = redis.call('INCR', KEYS[1])
if v == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return v
)lua";

// GCRA in microseconds on the server clock. ARGV: emission interval, tolerance (= emission *
// limit), cost. Returns {allowed, remaining, retry_after_us, reset_after_us}. Numbers are written
// with %.0f: Lua's tostring would print 16-digit microsecond timestamps in lossy exponent form.
constexpr std::string_view kGcraLua = R"lua(
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local new_tat = tat + emission * cost
local diff = now - (new_tat - tolerance)
if diff < 0 then
  return {0, 0, -diff, tat - now}
end
local reset = new_tat - now
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', string.format('%.0f', math.ceil(reset / 1000)))
return {1, math.floor(diff / emission), 0, reset}
)lua";

// admit(): the GCRA above for KEYS[1] (ARGV 1-2, cost 1); when allowed, EXISTS of KEYS[2] (ARGV[5]
// = "1" to look); when absent, GCRA for KEYS[3] (ARGV 3-4). Returns the first decision's four
// numbers, then the flag (0/1), then the second decision's four or nothing.
constexpr std::string_view kAdmitLua = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function gcra(key, emission, tolerance)
  local tat = tonumber(redis.call('GET', key))
  if not tat or tat < now then tat = now end
  local new_tat = tat + emission
  local diff = now - (new_tat - tolerance)
  if diff < 0 then return {0, 0, -diff, tat - now} end
  local reset = new_tat - now
  redis.call('SET', key, string.format('%.0f', new_tat), 'PX', string.format('%.0f', math.ceil(reset / 1000)))
  return {1, math.floor(diff / emission), 0, reset}
end
local out = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
if out[1] == 0 then return out end
if ARGV[5] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then
  out[5] = 1
  return out
end
out[5] = 0
local second = gcra(KEYS[3], tonumber(ARGV[3]), tonumber(ARGV[4]))
for i = 1, 4 do out[5 + i] = second[i] end
return out
)lua";

constexpr std::string_view kAcquireLua = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return false
)lua";

constexpr std::string_view kReleaseLua = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

std::string sha1_hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha1(), nullptr) != 1) return {};
  return to_hex(std::span<const std::uint8_t>(md, len));
}

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    auto b = from_hex(s.substr(i + 1, 2));
    if (!b || b->size() != 1) return std::nullopt;
    out.push_back(static_cast<char>((*b)[0]));
    i += 2;
  }
  return out;
}

std::optional<int> parse_int(std::string_view s, int lo, int hi) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

std::string_view reply_text(const redisReply* r) { return {r->str, r->len}; }

// Maps an error reply to an Error; the Redis text is internal detail, only its code word is kept.
Error reply_error(const redisReply* r) {
  const std::string_view text = reply_text(r);
  const std::string word(text.substr(0, text.find(' ')));
  if (text.find("not an integer") != std::string_view::npos)
    return err::invalid_argument("cache value is not a counter");
  if (word == "LOADING" || word == "BUSY" || word == "MASTERDOWN" || word == "READONLY" ||
      word == "NOAUTH" || word == "WRONGPASS" || word == "TRYAGAIN" || word == "CLUSTERDOWN") {
    return err::unavailable("redis not ready (" + word + ")");
  }
  return err::internal("redis command failed (" + word + ")");
}

std::chrono::milliseconds us_to_ms_ceil(long long us) {
  return std::chrono::milliseconds((us + 999) / 1000);
}

// GCRA parameters in microseconds: the emission interval (rounded up) and the tolerance.
std::pair<std::int64_t, std::int64_t> gcra_args(std::int64_t limit_per_period,
                                                std::chrono::milliseconds period) {
  const std::int64_t period_us =
      std::chrono::duration_cast<std::chrono::microseconds>(period).count();
  const std::int64_t emission = (period_us + limit_per_period - 1) / limit_per_period;
  return {emission, emission * limit_per_period};
}

// A decision from four integer replies {allowed, remaining, retry_after_us, reset_after_us}.
RateDecision decision_from(redisReply* const* e) {
  RateDecision d;
  d.allowed = e[0]->integer == 1;
  d.remaining = e[1]->integer;
  d.retry_after = us_to_ms_ceil(e[2]->integer);
  d.reset_after = us_to_ms_ceil(e[3]->integer);
  return d;
}

}  // namespace

struct RedisCache::Script {
  explicit Script(std::string_view t) : text(t), sha(sha1_hex(t)) {}
  std::string text;
  std::string sha;
};

void RedisCache::ContextDeleter::operator()(redisContext* c) const { redisFree(c); }
void RedisCache::ReplyDeleter::operator()(redisReply* r) const { freeReplyObject(r); }

// ---- URL ----------------------------------------------------------------------------------------

Result<RedisUrl> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return err::invalid_argument("redis url must start with redis://");
  url.remove_prefix(kScheme.size());
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view{} : url.substr(slash + 1);
  RedisUrl out;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user) return err::invalid_argument("redis url: bad user");
    out.user = *user;
    if (colon != std::string_view::npos) {
      auto pass = percent_decode(userinfo.substr(colon + 1));
      if (!pass) return err::invalid_argument("redis url: bad password");
      out.password = SecretString::take(*pass);
    }
  }
  std::string_view port_part;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return err::invalid_argument("redis url: bad host");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return err::invalid_argument("redis url: bad host");
      port_part = rest.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_part = authority.substr(colon + 1);
  }
  if (out.host.empty()) return err::invalid_argument("redis url: missing host");
  if (!port_part.empty()) {
    auto p = parse_int(port_part, 1, 65535);
    if (!p) return err::invalid_argument("redis url: bad port");
    out.port = *p;
  }
  if (!path.empty()) {
    auto db = parse_int(path, 0, 1 << 20);
    if (!db) return err::invalid_argument("redis url: bad database number");
    out.db = *db;
  }
  return out;
}

// ---- pool ---------------------------------------------------------------------------------------

Result<std::unique_ptr<RedisCache>> RedisCache::create(RedisCacheOptions options) {
  NSL_TRY_ASSIGN(RedisUrl url, parse_redis_url(options.url));
  if (options.pool_size == 0) return err::invalid_argument("redis pool size must be positive");
  if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0 ||
      options.pool_wait_timeout.count() < 0) {
    return err::invalid_argument("redis timeouts must be positive");
  }
  return std::unique_ptr<RedisCache>(new RedisCache(std::move(options), std::move(url)));
}

RedisCache::RedisCache(RedisCacheOptions options, RedisUrl url)
    : options_(std::move(options)),
      url_(std::move(url)),
      max_leaders_(std::min(options_.pipelines, options_.pool_size)) {
  SecretString::wipe(options_.url);  // it may carry the password; url_ keeps it as a SecretString
}

RedisCache::~RedisCache() = default;

Result<RedisCache::ContextPtr> RedisCache::connect() {
  ContextPtr ctx(
      redisConnectWithTimeout(url_.host.c_str(), url_.port, to_timeval(options_.connect_timeout)));
  if (!ctx || ctx->err != 0) {
    ++connect_failures_;
    return err::unavailable("redis unreachable");
  }
  if (redisSetTimeout(ctx.get(), to_timeval(options_.command_timeout)) != REDIS_OK) {
    ++connect_failures_;
    return err::unavailable("redis unreachable");
  }
  auto run = [&](std::vector<std::string_view> argv) -> Status {
    std::vector<const char*> ptrs;
    std::vector<std::size_t> lens;
    for (auto a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    ReplyPtr r(static_cast<redisReply*>(
        redisCommandArgv(ctx.get(), static_cast<int>(argv.size()), ptrs.data(), lens.data())));
    if (!r) return err::unavailable("redis unreachable");
    if (r->type == REDIS_REPLY_ERROR)
      return err::unavailable("redis rejected the connection setup");
    return ok_status();
  };
  Status st;
  if (!url_.user.empty()) {
    st = run({"AUTH", url_.user, url_.password.reveal()});
  } else if (!url_.password.empty()) {
    st = run({"AUTH", url_.password.reveal()});
  }
  if (st.ok() && url_.db != 0) {
    const std::string db = std::to_string(url_.db);
    st = run({"SELECT", db});
  }
  if (!st.ok()) {
    ++connect_failures_;
    return std::move(st).error();
  }
  ++connects_;
  return ctx;
}

Result<std::pair<RedisCache::ContextPtr, bool>> RedisCache::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.pool_wait_timeout;
  std::unique_lock lk(mu_);
  bool waited = false;
  const auto wait_start = std::chrono::steady_clock::now();
  for (;;) {
    if (!idle_.empty()) {
      ContextPtr c = std::move(idle_.back());
      idle_.pop_back();
      ++in_use_;
      if (waited) {
        wait_ns_total_ +=
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::steady_clock::now() - wait_start)
                                           .count());
      }
      return std::make_pair(std::move(c), true);
    }
    if (open_ < options_.pool_size) {
      ++open_;
      lk.unlock();
      auto c = connect();
      if (!c.ok()) {
        lk.lock();
        --open_;
        cv_.notify_one();
        return std::move(c).error();
      }
      ++in_use_;
      return std::make_pair(std::move(c).value(), false);
    }
    if (!waited) {
      waited = true;
      ++waits_;
    }
    if (cv_.wait_until(lk, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size) {
      ++wait_timeouts_;
      wait_ns_total_ +=
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - wait_start)
                                         .count());
      return err::unavailable("redis connection pool exhausted");
    }
  }
}

void RedisCache::release(ContextPtr ctx, bool broken) {
  std::vector<ContextPtr> drop;
  {
    std::lock_guard lk(mu_);
    --in_use_;
    if (broken || ctx->err != 0) {
      // A broken context usually means the server restarted or killed clients: the idle ones are
      // stale too.
      drop.push_back(std::move(ctx));
      for (auto& c : idle_) drop.push_back(std::move(c));
      idle_.clear();
      open_ -= drop.size();
      discarded_ += drop.size();
    } else {
      idle_.push_back(std::move(ctx));
    }
  }
  // One context back: one waiter can take it. Dropped ones: every waiter may connect afresh.
  if (drop.empty()) {
    cv_.notify_one();
  } else {
    cv_.notify_all();
  }
  // `drop` frees the contexts outside the lock.
}

// A command waiting in (or leading) a pipeline. Shared by its caller and the leader that completes
// it, so that the completion can signal it after the caller has already gone on.
struct RedisCache::Pending {
  enum : int { kWaiting = 0, kDone = 1, kLead = 2 };
  Pending(const char* const* a, const std::size_t* l, int n) : argv(a), lens(l), argc(n) {}
  const char* const* argv;  // the caller's, valid until the command is done (hiredis only reads)
  const std::size_t* lens;
  int argc;
  ReplyPtr reply;                  // when done: the reply, or
  std::optional<Error> error;      // why there is none
  bool reused_connection = false;  // ... on a reused connection that broke (a retry may succeed)
  std::atomic<int> state{kWaiting};
};

namespace {
constexpr std::size_t kMaxBatch = 128;  // commands in one pipelined write
}  // namespace

Result<RedisCache::ReplyPtr> RedisCache::command(const std::vector<std::string>& argv,
                                                 bool retry_once,
                                                 std::chrono::milliseconds extra_timeout) {
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  if (extra_timeout.count() > 0 || max_leaders_ == 0)
    return command_direct(ptrs, lens, retry_once, extra_timeout);

  auto me = std::make_shared<Pending>(ptrs.data(), lens.data(), static_cast<int>(ptrs.size()));
  bool leads = false;
  {
    std::lock_guard lk(pmu_);
    if (leaders_ < max_leaders_) {
      ++leaders_;
      leads = true;
    } else {
      queue_.push_back(me);
    }
  }
  if (!leads) {
    int s = Pending::kWaiting;
    while ((s = me->state.load(std::memory_order_acquire)) == Pending::kWaiting)
      me->state.wait(Pending::kWaiting, std::memory_order_acquire);
    leads = s == Pending::kLead;
  }
  if (leads) lead(me);
  if (me->reply) return std::move(me->reply);
  // Like a direct command: one more attempt on a fresh connection when a reused one broke.
  if (retry_once && me->reused_connection) return command_direct(ptrs, lens, false, extra_timeout);
  return std::move(*me->error);
}

// Runs `first` and whatever queued behind it as one batch, then hands the lead to the next queued
// command (or gives the pipeline up), then completes the batch.
void RedisCache::lead(const PendingPtr& first) {
  std::vector<PendingPtr> batch{first};
  {
    std::lock_guard lk(pmu_);
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  try {
    run_batch(batch);
  } catch (...) {
    // Never leave the commands of a leader that is gone waiting.
    for (const PendingPtr& p : batch) {
      if (!p->reply && !p->error) p->error = err::unavailable("redis unavailable");
    }
  }
  PendingPtr next;
  {
    std::lock_guard lk(pmu_);
    if (queue_.empty()) {
      --leaders_;
    } else {
      next = std::move(queue_.front());
      queue_.pop_front();
    }
  }
  if (next) {
    next->state.store(Pending::kLead, std::memory_order_release);
    next->state.notify_one();
  }
  for (const PendingPtr& p : batch) {
    if (p == first) continue;
    p->state.store(Pending::kDone, std::memory_order_release);
    p->state.notify_one();
  }
}

// One write with every command of the batch, then their replies in order. A broken connection
// fails the commands still without a reply.
void RedisCache::run_batch(const std::vector<PendingPtr>& batch) {
  auto acquired = acquire();
  if (!acquired.ok()) {
    for (const PendingPtr& p : batch) p->error = acquired.error();
    return;
  }
  ContextPtr ctx = std::move(acquired->first);
  const bool reused = acquired->second;
  batches_.fetch_add(1, std::memory_order_relaxed);
  pipelined_.fetch_add(batch.size(), std::memory_order_relaxed);
  std::size_t answered = 0;
  bool broken = false;
  for (const PendingPtr& p : batch) {
    if (redisAppendCommandArgv(ctx.get(), p->argc, const_cast<const char**>(p->argv), p->lens) != REDIS_OK) {
      broken = true;
      break;
    }
  }
  for (; !broken && answered < batch.size(); ++answered) {
    void* raw = nullptr;
    if (redisGetReply(ctx.get(), &raw) != REDIS_OK || raw == nullptr) {
      broken = true;
      break;
    }
    batch[answered]->reply.reset(static_cast<redisReply*>(raw));
  }
  for (std::size_t i = answered; i < batch.size(); ++i) {
    ++command_errors_;
    batch[i]->error = err::unavailable("redis unavailable");
    batch[i]->reused_connection = reused;
  }
  release(std::move(ctx), broken);
}

Result<RedisCache::ReplyPtr> RedisCache::command_direct(const std::vector<const char*>& ptrs,
                                                        const std::vector<std::size_t>& lens,
                                                        bool retry_once,
                                                        std::chrono::milliseconds extra_timeout) {
  for (int attempt = 0;; ++attempt) {
    NSL_TRY_ASSIGN(auto acquired, acquire());
    ContextPtr ctx = std::move(acquired.first);
    const bool reused = acquired.second;
    const bool longer = extra_timeout.count() > 0;
    if (longer && redisSetTimeout(ctx.get(), to_timeval(options_.command_timeout +
                                                        extra_timeout)) != REDIS_OK) {
      release(std::move(ctx), true);
      return err::unavailable("redis unavailable");
    }
    ReplyPtr r(static_cast<redisReply*>(
        redisCommandArgv(ctx.get(), static_cast<int>(ptrs.size()),
                         const_cast<const char**>(ptrs.data()), lens.data())));  // hiredis only reads
    // Back to the normal timeout before the context returns to the pool.
    if (r && longer &&
        redisSetTimeout(ctx.get(), to_timeval(options_.command_timeout)) != REDIS_OK) {
      release(std::move(ctx), true);
      return r;
    }
    if (!r) {
      ++command_errors_;
      release(std::move(ctx), true);
      if (retry_once && reused && attempt == 0) continue;
      return err::unavailable("redis unavailable");
    }
    release(std::move(ctx), false);
    return r;
  }
}

Result<RedisCache::ReplyPtr> RedisCache::eval(const Script& script,
                                              const std::vector<std::string>& keys,
                                              const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.emplace_back("EVALSHA");
  argv.push_back(script.sha);
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  NSL_TRY_ASSIGN(ReplyPtr r, command(argv, false));
  if (r->type == REDIS_REPLY_ERROR && reply_text(r.get()).starts_with("NOSCRIPT")) {
    argv[0] = "EVAL";
    argv[1] = script.text;
    NSL_TRY_ASSIGN(ReplyPtr r2, command(argv, false));
    r = std::move(r2);
  }
  if (r->type == REDIS_REPLY_ERROR) return reply_error(r.get());
  return r;
}

RedisPoolStats RedisCache::stats() const {
  RedisPoolStats s;
  s.connects = connects_.load();
  s.connect_failures = connect_failures_.load();
  s.discarded = discarded_.load();
  s.waits = waits_.load();
  s.wait_timeouts = wait_timeouts_.load();
  s.wait_ns_total = wait_ns_total_.load();
  s.command_errors = command_errors_.load();
  s.pipelined = pipelined_.load();
  s.batches = batches_.load();
  {
    std::lock_guard plk(pmu_);
    s.queued = queue_.size();
  }
  s.pool_size = options_.pool_size;
  std::lock_guard lk(mu_);
  s.in_use = in_use_.load();
  s.idle = idle_.size();
  return s;
}

// ---- operations ---------------------------------------------------------------------------------

Result<std::optional<std::string>> RedisCache::get(std::string_view key) {
  NSL_TRY(validate_key(key));
  NSL_TRY_ASSIGN(ReplyPtr r, command({"GET", k(key)}, true));
  if (r->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  if (r->type == REDIS_REPLY_STRING)
    return std::optional<std::string>(std::string(reply_text(r.get())));
  if (r->type == REDIS_REPLY_ERROR) return reply_error(r.get());
  return err::internal("unexpected redis reply");
}

Status RedisCache::set(std::string_view key, std::string_view value,
                       std::chrono::milliseconds ttl) {
  NSL_TRY(validate_key(key));
  NSL_TRY(validate_ttl(ttl, "ttl"));
  NSL_TRY_ASSIGN(
      ReplyPtr r,
      command({"SET", k(key), std::string(value), "PX", std::to_string(ttl.count())}, true));
  if (r->type == REDIS_REPLY_ERROR) return reply_error(r.get());
  return ok_status();
}

Result<bool> RedisCache::set_if_absent(std::string_view key, std::string_view value,
                                       std::chrono::milliseconds ttl) {
  NSL_TRY(validate_key(key));
  NSL_TRY(validate_ttl(ttl, "ttl"));
  NSL_TRY_ASSIGN(
      ReplyPtr r,
      command({"SET", k(key), std::string(value), "NX", "PX", std::to_string(ttl.count())}, false));
  if (r->type == REDIS_REPLY_ERROR) return reply_error(r.get());
  return r->type == REDIS_REPLY_STATUS;  // OK when set, nil when the key existed
}

Result<bool> RedisCache::del(std::string_view key) {
  NSL_TRY(validate_key(key));
  NSL_TRY_ASSIGN(ReplyPtr r, command({"DEL", k(key)}, true));
  if (r->type == REDIS_REPLY_ERROR) return reply_error(r.get());
  if (r->type != REDIS_REPLY_INTEGER) return err::internal("unexpected redis reply");
  return r->integer > 0;
}

Result<std::int64_t> RedisCache::incr_window(std::string_view key,
                                             std::chrono::milliseconds window) {
  NSL_TRY(validate_key(key));
  NSL_TRY(validate_ttl(window, "window"));
  static const Script script(kIncrWindowLua);
  NSL_TRY_ASSIGN(ReplyPtr r, eval(script, {k(key)}, {std::to_string(window.count())}));
  if (r->type != REDIS_REPLY_INTEGER) return err::internal("unexpected redis reply");
  return static_cast<std::int64_t>(r->integer);
}

Result<RateDecision> RedisCache::rate_limit(std::string_view key, std::int64_t limit_per_period,
                                            std::chrono::milliseconds period, std::int64_t cost) {
  NSL_TRY(validate_key(key));
  NSL_TRY(validate_rate(limit_per_period, period, cost));
  static const Script script(kGcraLua);
  const auto [emission, tolerance] = gcra_args(limit_per_period, period);
  NSL_TRY_ASSIGN(ReplyPtr r,
                 eval(script, {k(key)},
                      {std::to_string(emission), std::to_string(tolerance), std::to_string(cost)}));
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 4)
    return err::internal("unexpected redis reply");
  for (std::size_t i = 0; i < 4; ++i) {
    if (r->element[i]->type != REDIS_REPLY_INTEGER) return err::internal("unexpected redis reply");
  }
  return decision_from(r->element);
}

Result<Admission> RedisCache::admit(const RateStep& first, std::string_view flag,
                                    const RateStep& second) {
  for (const RateStep* step : {&first, &second}) {
    NSL_TRY(validate_key(step->key));
    NSL_TRY(validate_rate(step->limit_per_period, step->period, 1));
  }
  if (!flag.empty()) NSL_TRY(validate_key(flag));
  static const Script script(kAdmitLua);
  const auto [e1, t1] = gcra_args(first.limit_per_period, first.period);
  const auto [e2, t2] = gcra_args(second.limit_per_period, second.period);
  // An absent flag still names a key of this prefix: a script's keys are declared, never built.
  NSL_TRY_ASSIGN(ReplyPtr r, eval(script, {k(first.key), k(flag.empty() ? first.key : flag), k(second.key)},
                                  {std::to_string(e1), std::to_string(t1), std::to_string(e2),
                                   std::to_string(t2), flag.empty() ? "0" : "1"}));
  if (r->type != REDIS_REPLY_ARRAY || (r->elements != 4 && r->elements != 5 && r->elements != 9))
    return err::internal("unexpected redis reply");
  for (std::size_t i = 0; i < r->elements; ++i) {
    if (r->element[i]->type != REDIS_REPLY_INTEGER) return err::internal("unexpected redis reply");
  }
  Admission out;
  out.first = decision_from(r->element);
  if (r->elements == 4) {
    if (out.first.allowed) return err::internal("unexpected redis reply");
    return out;
  }
  out.flagged = r->element[4]->integer == 1;
  if (r->elements == 9) {
    if (out.flagged) return err::internal("unexpected redis reply");
    out.second = decision_from(r->element + 5);
  } else if (!out.flagged) {
    return err::internal("unexpected redis reply");
  }
  return out;
}

Result<std::optional<Lock>> RedisCache::acquire_lock(std::string_view name,
                                                     std::chrono::milliseconds ttl) {
  NSL_TRY(validate_key(name));
  NSL_TRY(validate_ttl(ttl, "lock ttl"));
  static const Script script(kAcquireLua);
  Lock out{std::string(name), random_hex(16), 0};
  // Hash tags keep the lock and its fence counter in one cluster slot.
  NSL_TRY_ASSIGN(ReplyPtr r,
                 eval(script, {k("lock:{" + out.name + "}"), k("fence:{" + out.name + "}")},
                      {out.token, std::to_string(ttl.count())}));
  if (r->type == REDIS_REPLY_NIL) return std::optional<Lock>();
  if (r->type != REDIS_REPLY_INTEGER) return err::internal("unexpected redis reply");
  out.fencing_token = r->integer;
  return std::optional<Lock>(std::move(out));
}

Result<bool> RedisCache::release_lock(const Lock& lock) {
  NSL_TRY(validate_key(lock.name));
  static const Script script(kReleaseLua);
  NSL_TRY_ASSIGN(ReplyPtr r, eval(script, {k("lock:{" + lock.name + "}")}, {lock.token}));
  if (r->type != REDIS_REPLY_INTEGER) return err::internal("unexpected redis reply");
  return r->integer == 1;
}

Status RedisCache::ping() {
  NSL_TRY_ASSIGN(ReplyPtr r, command({"PING"}, true));
  if (r->type == REDIS_REPLY_ERROR) return reply_error(r.get());
  return ok_status();
}

}  // namespace nsl::cache
