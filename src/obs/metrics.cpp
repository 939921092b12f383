#include "obs/metrics.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <tuple>
#include <utility>

namespace nsl::obs {
namespace {

// Definitions are fixed in code and registered at start-up, so a bad one is a bug to fix, not a
// condition to handle: stop loudly with enough context to find the call site.
[[noreturn]] void fail(std::string_view metric, std::string_view what) {
  std::fprintf(stderr, "nsl::obs: metric \"%.*s\": %.*s\n", static_cast<int>(metric.size()),
               metric.data(), static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

bool is_alpha_or_underscore(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view s) noexcept {
  if (s.empty() || is_digit(s[0])) return false;
  for (char c : s) {
    if (!is_alpha_or_underscore(c) && !is_digit(c) && c != ':') return false;
  }
  return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*, and not the `__` prefix Prometheus reserves for itself.
bool valid_label_name(std::string_view s) noexcept {
  if (s.empty() || is_digit(s[0]) || s.starts_with("__")) return false;
  for (char c : s) {
    if (!is_alpha_or_underscore(c) && !is_digit(c)) return false;
  }
  return true;
}

std::vector<double> normalize_bounds(std::string_view metric, std::vector<double> bounds) {
  if (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity()) {
    bounds.pop_back();
  }
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      fail(metric, "histogram bucket bounds must be finite (+Inf is implicit)");
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      fail(metric, "histogram bucket bounds must strictly increase");
    }
  }
  return bounds;
}

void validate_definition(std::string_view name, std::string_view help, MetricType type,
                         const std::vector<std::string>& label_names) {
  if (!valid_metric_name(name)) fail(name, "invalid metric name (want [a-zA-Z_:][a-zA-Z0-9_:]*)");
  // promtool's lint rejects a family without help text, and promtool is the exposition's judge.
  if (help.empty()) fail(name, "help text is required");
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const std::string& l = label_names[i];
    if (!valid_label_name(l)) {
      fail(name, "invalid label name \"" + l + "\" (want [a-zA-Z_][a-zA-Z0-9_]*, no __ prefix)");
    }
    if (type == MetricType::histogram && l == "le") {
      fail(name, "label \"le\" is reserved for histograms");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (label_names[j] == l) fail(name, "duplicate label name \"" + l + "\"");
    }
  }
}

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Escapes for HELP text (`\`, newline) or label values (also `"`). Invalid UTF-8 becomes U+FFFD:
// label values may come from request data, and one bad byte would make a scraper reject the page.
void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (n == 1) {
      const char c = s[i];
      if (c == '\\') {
        out += "\\\\";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '"' && quote) {
        out += "\\\"";
      } else {
        out += c;
      }
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
}

// Shortest round-trip form; integral values as plain integers (no "1e+06"), and the spellings
// Prometheus parses for the special values.
void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  std::to_chars_result r;
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
  } else if (std::fabs(v) >= 1e-4 && std::fabs(v) < 1e15) {
    // Positional in the everyday range: "0.0005" and "1712345678.25" (the Go client would print the
    // latter as 1.71234567825e+09; both parse the same, this one reads better).
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);  // 1.5e-07, 1e+20
  }
  out.append(buf, r.ptr);
}

void append_u64(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// `{a="x",b="y"}`, plus a trailing `le` for histogram buckets; nothing when there are no labels.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const double* le = nullptr) {
  if (names.empty() && le == nullptr) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    append_escaped(out, values[i], /*quote=*/true);
    out += '"';
  }
  if (le != nullptr) {
    if (!names.empty()) out += ',';
    out += "le=\"";
    append_double(out, *le);
    out += '"';
  }
  out += '}';
}

class CallbackFamily final : public internal::FamilyBase {
 public:
  CallbackFamily(std::string name, std::string help, MetricType type,
                 std::vector<std::string> label_names, std::function<LabelledValues()> fn)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        fn_(std::move(fn)) {}

  bool is_callback() const noexcept override { return true; }
  // Called with the Registry mutex held, which also guards every call of fn_.
  void set_fn(std::function<LabelledValues()> fn) { fn_ = std::move(fn); }

 protected:
  void append_samples(std::string& out) const override {
    LabelledValues samples;
    // A family without samples is valid exposition; one broken callback must not fail the scrape.
    try {
      samples = fn_();
    } catch (...) {
      return;
    }
    for (const auto& [values, v] : samples) {
      if (values.size() != label_names().size()) continue;  // malformed sample: skipped, not fatal
      out += name();
      append_labels(out, label_names(), values);
      out += ' ';
      append_double(out, v);
      out += '\n';
    }
  }

 private:
  std::function<LabelledValues()> fn_;
};

}  // namespace

std::string_view metric_type_name(MetricType type) noexcept {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

void Counter::inc(double v) noexcept {
  if (!(v > 0.0)) return;  // also rejects NaN; a zero increment has nothing to add
  value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(normalize_bounds("(histogram)", std::move(bounds))),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) noexcept {
  // First bound with v <= bound; NaN compares false everywhere and so falls through to +Inf.
  auto it =
      std::partition_point(bounds_.begin(), bounds_.end(), [v](double b) { return !(v <= b); });
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

std::uint64_t Histogram::count() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
  }
  return total;
}

std::vector<double> default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

namespace internal {

void FamilyBase::append_exposition(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_escaped(out, help_, /*quote=*/false);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += metric_type_name(type_);
  out += '\n';
  append_samples(out);
}

}  // namespace internal

template <class M>
M& Family<M>::with(std::span<const std::string_view> label_values) {
  if (label_values.size() != label_names().size()) {
    fail(name(), "with() got " + std::to_string(label_values.size()) +
                     " label values, the family has " + std::to_string(label_names().size()) +
                     " label names");
  }
  {
    std::shared_lock lock(mu_);
    auto it = children_.find(label_values);
    if (it != children_.end()) return it->second;
  }
  std::vector<std::string> key(label_values.begin(), label_values.end());
  std::unique_lock lock(mu_);
  auto it = children_.lower_bound(key);
  if (it != children_.end() && !children_.key_comp()(key, it->first)) {
    return it->second;  // another thread created it between the two locks
  }
  if constexpr (std::is_same_v<M, Histogram>) {
    it = children_.emplace_hint(it, std::piecewise_construct, std::forward_as_tuple(std::move(key)),
                                std::forward_as_tuple(buckets_));
  } else {
    it = children_.emplace_hint(it, std::piecewise_construct, std::forward_as_tuple(std::move(key)),
                                std::forward_as_tuple());
  }
  return it->second;
}

template <class M>
void Family<M>::append_samples(std::string& out) const {
  std::shared_lock lock(mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<M, Histogram>) {
      const std::vector<std::uint64_t> counts = child.cumulative_counts();
      for (std::size_t i = 0; i < buckets_.size(); ++i) {
        out += name();
        out += "_bucket";
        append_labels(out, label_names(), values, &buckets_[i]);
        out += ' ';
        append_u64(out, counts[i]);
        out += '\n';
      }
      const double inf = std::numeric_limits<double>::infinity();
      out += name();
      out += "_bucket";
      append_labels(out, label_names(), values, &inf);
      out += ' ';
      append_u64(out, counts.back());
      out += '\n';
      out += name();
      out += "_sum";
      append_labels(out, label_names(), values);
      out += ' ';
      append_double(out, child.sum());
      out += '\n';
      out += name();
      out += "_count";
      append_labels(out, label_names(), values);
      out += ' ';
      append_u64(out, counts.back());  // same snapshot as +Inf, so the two always agree
      out += '\n';
    } else {
      out += name();
      append_labels(out, label_names(), values);
      out += ' ';
      append_double(out, child.value());
      out += '\n';
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry::~Registry() = default;

template <class M>
Family<M>& Registry::family(std::string name, std::string help, MetricType type,
                            std::vector<std::string> label_names, std::vector<double> buckets) {
  validate_definition(name, help, type, label_names);
  if (type == MetricType::histogram) buckets = normalize_bounds(name, std::move(buckets));
  std::lock_guard lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    internal::FamilyBase& existing = *it->second;
    if (existing.is_callback() || existing.type() != type) {
      fail(name, std::string("already registered as ") +
                     (existing.is_callback() ? "a callback " : "a ") +
                     std::string(metric_type_name(existing.type())) + "; cannot register it as a " +
                     std::string(metric_type_name(type)));
    }
    if (existing.label_names() != label_names) {
      fail(name, "already registered with different label names");
    }
    // The type check above pins the dynamic type: each MetricType has exactly one Family<M>.
    auto& same = static_cast<Family<M>&>(existing);
    if (same.buckets() != buckets) {
      fail(name, "already registered with different histogram buckets");
    }
    return same;
  }
  const bool unlabelled = label_names.empty();
  std::unique_ptr<Family<M>> created(
      new Family<M>(name, std::move(help), type, std::move(label_names), std::move(buckets)));
  // An unlabelled metric is exported (as 0) from registration on: dashboards and alerts on it
  // work before its first event.
  if (unlabelled) created->with({});
  Family<M>& ref = *created;
  families_.emplace(std::move(name), std::move(created));
  return ref;
}

CounterFamily& Registry::counter_family(std::string name, std::string help,
                                        std::vector<std::string> label_names) {
  return family<Counter>(std::move(name), std::move(help), MetricType::counter,
                         std::move(label_names), {});
}

GaugeFamily& Registry::gauge_family(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  return family<Gauge>(std::move(name), std::move(help), MetricType::gauge, std::move(label_names),
                       {});
}

HistogramFamily& Registry::histogram_family(std::string name, std::string help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> buckets) {
  return family<Histogram>(std::move(name), std::move(help), MetricType::histogram,
                           std::move(label_names), std::move(buckets));
}

Counter& Registry::counter(std::string name, std::string help) {
  return counter_family(std::move(name), std::move(help), {}).with({});
}

Gauge& Registry::gauge(std::string name, std::string help) {
  return gauge_family(std::move(name), std::move(help), {}).with({});
}

Histogram& Registry::histogram(std::string name, std::string help, std::vector<double> buckets) {
  return histogram_family(std::move(name), std::move(help), {}, std::move(buckets)).with({});
}

void Registry::callback(std::string name, std::string help, MetricType type,
                        std::function<double()> fn) {
  if (!fn) fail(name, "callback function is empty");
  callback_family(std::move(name), std::move(help), type, {}, [fn = std::move(fn)] {
    return LabelledValues{{{}, fn()}};
  });
}

void Registry::callback_family(std::string name, std::string help, MetricType type,
                               std::vector<std::string> label_names,
                               std::function<LabelledValues()> fn) {
  validate_definition(name, help, type, label_names);
  if (type == MetricType::histogram) fail(name, "a callback metric must be a counter or a gauge");
  if (!fn) fail(name, "callback function is empty");
  std::lock_guard lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    internal::FamilyBase& existing = *it->second;
    if (!existing.is_callback() || existing.type() != type ||
        existing.label_names() != label_names) {
      fail(name, "already registered with a different kind; cannot register it as a callback " +
                     std::string(metric_type_name(type)));
    }
    static_cast<CallbackFamily&>(existing).set_fn(std::move(fn));
    return;
  }
  auto created = std::make_unique<CallbackFamily>(name, std::move(help), type,
                                                  std::move(label_names), std::move(fn));
  families_.emplace(std::move(name), std::move(created));
}

std::string Registry::expose() const {
  std::string out;
  std::lock_guard lock(mu_);
  out.reserve(families_.size() * 128);
  for (const auto& [name, family] : families_) family->append_exposition(out);
  return out;
}

}  // namespace nsl::obs
