#include "obs/log.hpp"

#include <string.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>

#include "core/strings.hpp"

namespace nsl::obs {
namespace {

std::atomic<Level> g_level{Level::info};

void append_timestamp(std::string& out) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = time_point_cast<seconds>(now);
  auto ms = static_cast<int>(duration_cast<milliseconds>(now - secs).count());
  // The "YYYY-MM-DDTHH:MM:SS" part changes once a second: format it once per second per thread.
  thread_local std::time_t cached_sec = -1;
  thread_local char cached[96];
  thread_local std::size_t cached_len = 0;
  std::time_t t = system_clock::to_time_t(secs);
  if (t != cached_sec) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    int n = std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_len = n > 0 ? static_cast<std::size_t>(n) : 0;
    cached_sec = t;
  }
  out.append(cached, cached_len);
  char frac[6] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10), 'Z', '\0'};
  out.append(frac, 5);
}

void append_field(std::string& out, const Field& f) {
  out += ",\"";
  append_json_escaped(out, f.key);
  out += "\":";
  char buf[32];
  switch (f.kind) {
    case Field::Kind::str:
      out += '"';
      append_json_escaped(out, f.s);
      out += '"';
      break;
    case Field::Kind::i64: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f.i);
      out.append(buf, static_cast<std::size_t>(end - buf));
      break;
    }
    case Field::Kind::u64: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f.u);
      out.append(buf, static_cast<std::size_t>(end - buf));
      break;
    }
    case Field::Kind::f64:
      if (f.d != f.d || f.d == 1.0 / 0.0 || f.d == -1.0 / 0.0) {
        out += "null";  // JSON has no NaN/Inf
      } else {
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f.d, std::chars_format::general, 6);
        out.append(buf, static_cast<std::size_t>(end - buf));
      }
      break;
    case Field::Kind::boolean:
      out += f.b ? "true" : "false";
      break;
  }
}

// The writer: callers append complete lines to `pending_` under the mutex; one thread swaps and writes.
class Writer {
 public:
  Writer() : thread_([this] { run(); }) {}
  ~Writer() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void submit(std::string&& line) {
    std::unique_lock lk(mu_);
    redact(line);
    if (sink_) {
      // Test sinks are called synchronously, in order, for determinism.
      sink_(line);
      return;
    }
    pending_ += line;
    ++submitted_;
    if (pending_.size() > 1 << 16) cv_.notify_one();
  }

  void flush() {
    std::unique_lock lk(mu_);
    std::uint64_t target = submitted_;
    cv_.notify_one();
    flushed_cv_.wait(lk, [&] { return written_ >= target || stop_; });
  }

  void set_redactions(std::vector<std::string> s) {
    std::lock_guard lk(mu_);
    std::erase_if(s, [](const std::string& x) { return x.empty(); });
    for (auto& old : redactions_) explicit_bzero(old.data(), old.size());
    redactions_ = std::move(s);
  }
  void set_sink(std::function<void(std::string_view)> sink) {
    std::lock_guard lk(mu_);
    sink_ = std::move(sink);
  }

 private:
  void redact(std::string& line) const {
    for (const auto& secret : redactions_) {
      std::size_t pos = 0;
      while ((pos = line.find(secret, pos)) != std::string::npos) {
        line.replace(pos, secret.size(), "[REDACTED]");
        pos += 10;
      }
    }
  }

  void run() {
    std::string batch;
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait_for(lk, std::chrono::milliseconds(20), [&] { return stop_ || !pending_.empty(); });
      batch.swap(pending_);
      std::uint64_t upto = submitted_;
      bool stopping = stop_;
      lk.unlock();
      write_all(batch);
      batch.clear();
      lk.lock();
      written_ = upto;
      flushed_cv_.notify_all();
      if (stopping && pending_.empty()) return;
    }
  }

  static void write_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return;  // stdout gone: nothing sensible left to do with log lines
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  std::mutex mu_;
  std::condition_variable cv_, flushed_cv_;
  std::string pending_;
  std::uint64_t submitted_ = 0, written_ = 0;
  bool stop_ = false;
  std::vector<std::string> redactions_;
  std::function<void(std::string_view)> sink_;
  std::thread thread_;
};

Writer& writer() {
  static Writer w;
  return w;
}

}  // namespace

std::string_view level_name(Level l) noexcept {
  switch (l) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

bool parse_level(std::string_view s, Level& out) noexcept {
  for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error}) {
    if (s == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void set_level(Level l) noexcept { g_level.store(l, std::memory_order_relaxed); }
Level level() noexcept { return g_level.load(std::memory_order_relaxed); }

void set_redactions(std::vector<std::string> secrets) { writer().set_redactions(std::move(secrets)); }
void set_sink(std::function<void(std::string_view)> sink) { writer().set_sink(std::move(sink)); }
void reset_sink() { writer().set_sink(nullptr); }

std::string format_line(Level l, std::string_view msg, std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(160 + msg.size() + fields.size() * 24);
  line += "{\"ts\":\"";
  append_timestamp(line);
  line += "\",\"level\":\"";
  line += level_name(l);
  line += "\",\"msg\":\"";
  append_json_escaped(line, msg);
  line += '"';
  for (const Field& f : fields) append_field(line, f);
  line += "}\n";
  return line;
}

void log(Level l, std::string_view msg, std::initializer_list<Field> fields) {
  if (!enabled(l)) return;
  writer().submit(format_line(l, msg, fields));
}

void flush() { writer().flush(); }

}  // namespace nsl::obs
