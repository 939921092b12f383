#include "cache/local_stream.hpp"

#include <charconv>

namespace nsl::cache {

namespace {

// "<ms>-<seq>" or "<ms>" (seq 0), as Redis accepts them.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_id(std::string_view s) {
  auto num = [](std::string_view t) -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
    return v;
  };
  const auto dash = s.find('-');
  auto ms = num(s.substr(0, dash));
  if (!ms) return std::nullopt;
  if (dash == std::string_view::npos) return std::make_pair(*ms, std::uint64_t{0});
  auto seq = num(s.substr(dash + 1));
  if (!seq) return std::nullopt;
  return std::make_pair(*ms, *seq);
}

Error no_group() { return err::not_found("stream consumer group not found"); }

}  // namespace

LocalStream::LocalStream(LocalStreamOptions options)
    : prefix_(std::move(options.prefix)), clock_(options.clock ? options.clock : &Clock::real()) {}

LocalStream::~LocalStream() = default;

std::string LocalStream::id_text(Id id) {
  return std::to_string(id.first) + "-" + std::to_string(id.second);
}

LocalStream::Group* LocalStream::find_group(std::string_view stream, std::string_view group) {
  auto s = streams_.find(k(stream));
  if (s == streams_.end()) return nullptr;
  auto g = s->second.groups.find(group);
  return g == s->second.groups.end() ? nullptr : &g->second;
}

Result<std::string> LocalStream::add(std::string_view stream, const StreamFields& fields,
                                     std::optional<std::size_t> max_len) {
  NSL_TRY(validate_stream_name(stream, "stream"));
  if (fields.empty()) return err::invalid_argument("stream entry needs at least one field");
  if (max_len && *max_len == 0) return err::invalid_argument("stream max length must be positive");
  std::string out;
  {
    std::lock_guard lk(mu_);
    Data& d = streams_[k(stream)];
    const auto ms =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       clock_->system_now().time_since_epoch())
                                       .count());
    // Like Redis: ids never go backwards, even when the wall clock does.
    const Id id = ms > d.last_id.first ? Id{ms, 0} : Id{d.last_id.first, d.last_id.second + 1};
    d.entries.emplace(id, fields);
    d.last_id = id;
    if (max_len) {
      while (d.entries.size() > *max_len) d.entries.erase(d.entries.begin());
    }
    out = id_text(id);
  }
  added_.notify_all();
  return out;
}

Status LocalStream::create_group(std::string_view stream, std::string_view group) {
  NSL_TRY(validate_stream_name(stream, "stream"));
  NSL_TRY(validate_stream_name(group, "group"));
  std::lock_guard lk(mu_);
  Data& d = streams_[k(stream)];
  d.groups.try_emplace(std::string(group));  // start at the beginning; existing: unchanged
  return ok_status();
}

Result<std::vector<StreamEntry>> LocalStream::read_group(std::string_view stream,
                                                         std::string_view group,
                                                         std::string_view consumer,
                                                         std::size_t count,
                                                         std::chrono::milliseconds block) {
  NSL_TRY(validate_stream_name(stream, "stream"));
  NSL_TRY(validate_stream_name(group, "group"));
  NSL_TRY(validate_stream_name(consumer, "consumer"));
  NSL_TRY(validate_count(count));
  if (block.count() < 0) return err::invalid_argument("stream block time must not be negative");
  const auto deadline = std::chrono::steady_clock::now() + block;
  std::unique_lock lk(mu_);
  for (;;) {
    Group* g = find_group(stream, group);
    if (g == nullptr) return no_group();  // also when the stream was removed while waiting
    Data& d = streams_.find(k(stream))->second;
    std::vector<StreamEntry> out;
    const auto now = clock_->steady_now();
    for (auto it = d.entries.upper_bound(g->last_delivered);
         it != d.entries.end() && out.size() < count; ++it) {
      g->last_delivered = it->first;
      Pending& p = g->pel[it->first];
      p.consumer = std::string(consumer);
      p.delivered = now;
      p.deliveries = 1;
      out.push_back(StreamEntry{id_text(it->first), it->second});
    }
    if (!out.empty() || block.count() == 0) return out;
    if (added_.wait_until(lk, deadline) == std::cv_status::timeout) {
      // One last look: an entry may have arrived together with the timeout.
      if (std::chrono::steady_clock::now() >= deadline) block = std::chrono::milliseconds(0);
    }
  }
}

Result<std::int64_t> LocalStream::ack(std::string_view stream, std::string_view group,
                                      const std::vector<std::string>& ids) {
  NSL_TRY(validate_stream_name(stream, "stream"));
  NSL_TRY(validate_stream_name(group, "group"));
  std::vector<Id> parsed;
  parsed.reserve(ids.size());
  for (const auto& s : ids) {
    auto id = parse_id(s);
    if (!id) return err::invalid_argument("invalid stream entry id");
    parsed.push_back(*id);
  }
  std::lock_guard lk(mu_);
  Group* g = find_group(stream, group);
  if (g == nullptr) return std::int64_t{0};  // as XACK: nothing was pending
  std::int64_t n = 0;
  for (const Id& id : parsed) n += static_cast<std::int64_t>(g->pel.erase(id));
  return n;
}

Result<std::vector<StreamEntry>> LocalStream::claim_idle(std::string_view stream,
                                                         std::string_view group,
                                                         std::string_view consumer,
                                                         std::chrono::milliseconds min_idle,
                                                         std::size_t count) {
  NSL_TRY(validate_stream_name(stream, "stream"));
  NSL_TRY(validate_stream_name(group, "group"));
  NSL_TRY(validate_stream_name(consumer, "consumer"));
  NSL_TRY(validate_count(count));
  if (min_idle.count() < 0) return err::invalid_argument("stream min idle must not be negative");
  std::lock_guard lk(mu_);
  Group* g = find_group(stream, group);
  if (g == nullptr) return no_group();
  const Data& d = streams_.find(k(stream))->second;
  const auto now = clock_->steady_now();
  std::vector<StreamEntry> out;
  for (auto it = g->pel.begin(); it != g->pel.end() && out.size() < count;) {
    if (now - it->second.delivered < min_idle) {
      ++it;
      continue;
    }
    auto e = d.entries.find(it->first);
    if (e == d.entries.end()) {  // trimmed away: nothing left to redo
      it = g->pel.erase(it);
      continue;
    }
    it->second.consumer = std::string(consumer);
    it->second.delivered = now;
    ++it->second.deliveries;
    out.push_back(StreamEntry{id_text(it->first), e->second});
    ++it;
  }
  return out;
}

Result<PendingInfo> LocalStream::pending(std::string_view stream, std::string_view group) {
  NSL_TRY(validate_stream_name(stream, "stream"));
  NSL_TRY(validate_stream_name(group, "group"));
  std::lock_guard lk(mu_);
  Group* g = find_group(stream, group);
  if (g == nullptr) return no_group();
  PendingInfo info;
  info.count = static_cast<std::int64_t>(g->pel.size());
  for (const auto& [id, p] : g->pel) ++info.consumers[p.consumer];
  return info;
}

std::int64_t LocalStream::delivery_count(std::string_view stream, std::string_view group,
                                         std::string_view id) const {
  auto parsed = parse_id(id);
  if (!parsed) return 0;
  std::lock_guard lk(mu_);
  auto s = streams_.find(k(stream));
  if (s == streams_.end()) return 0;
  auto g = s->second.groups.find(group);
  if (g == s->second.groups.end()) return 0;
  auto p = g->second.pel.find(*parsed);
  return p == g->second.pel.end() ? 0 : p->second.deliveries;
}

}  // namespace nsl::cache
