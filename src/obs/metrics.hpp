// nsl/obs/metrics.hpp — metrics registry with Prometheus text exposition (format 0.0.4).
//
// Counters, gauges and histograms, optionally labelled (a Family hands out one child per
// label-value tuple), plus callback metrics computed at scrape time. Registration is a start-up
// activity: a conflicting or malformed definition is a programming error and aborts with a
// message; registering the same definition again returns the existing metric. Children live as
// long as the Registry, so callers may keep references on hot paths.
// Thread-safety: everything may be called concurrently. inc/set/observe are lock-free atomics;
// Family::with takes a reader lock and does not allocate when the child exists.
//
//   obs::Registry reg;
//   auto& reqs = reg.counter_family("nsl_http_requests_total", "HTTP requests.", {"route"});
//   reqs.with({"/v1/keys"}).inc();  // hot paths keep the returned reference
//   reg.histogram("nsl_sign_seconds", "Sign.", obs::default_latency_buckets()).observe(0.004);
//   std::string body = reg.expose();  // served with kExpositionContentType
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nsl::obs {

// HTTP Content-Type of Registry::expose() output.
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType : std::uint8_t { counter, gauge, histogram };

// "counter", "gauge", "histogram" — the word used on the `# TYPE` line.
std::string_view metric_type_name(MetricType type) noexcept;

// Monotonic total. Negative and NaN increments are ignored: a counter that goes down breaks rate().
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void inc(double v = 1.0) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1.0) noexcept { value_.fetch_add(-v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `bounds` are the finite upper bounds, strictly increasing; a trailing +Inf is accepted and
  // dropped (the +Inf bucket always exists). Anything else aborts: bucket layouts are fixed in
  // code.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // NaN lands only in the +Inf bucket (and makes the sum NaN), as in the Go client.
  void observe(double v) noexcept;

  // Finite upper bounds, without +Inf.
  std::span<const double> bounds() const noexcept { return bounds_; }
  // Cumulative counts, one per bound plus a last one for +Inf (which equals count()).
  std::vector<std::uint64_t> cumulative_counts() const;
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t count() const noexcept;

 private:
  std::vector<double> bounds_;
  // Per-bucket (non-cumulative) counts; index bounds_.size() is the +Inf bucket. The total count is
  // derived from them rather than kept in a third atomic, so `_count` always equals the `+Inf`
  // bucket in a scrape.
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0.0};
};

// Seconds: .0005 .001 .0025 .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10
std::vector<double> default_latency_buckets();

class Registry;

namespace internal {

// What every registered family shares; the Registry keeps them by name and asks each to print
// itself.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)) {}
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  MetricType type() const noexcept { return type_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }
  virtual bool is_callback() const noexcept { return false; }

  // Appends `# HELP`, `# TYPE` and every sample line.
  void append_exposition(std::string& out) const;

 protected:
  virtual void append_samples(std::string& out) const = 0;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

// Orders stored keys (vector<string>) and lookup keys (span<const string_view>) alike, so that an
// existing child is found without building a key, and children come out sorted by label values.
struct LabelValuesLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) noexcept { return x < y; });
  }
};

}  // namespace internal

template <class M>
class Family final : public internal::FamilyBase {
 public:
  // The child for these label values, in the order of the label names given at registration;
  // created on first use. A wrong number of values is a programming error and aborts.
  M& with(std::initializer_list<std::string_view> label_values) {
    return with(std::span<const std::string_view>(label_values.begin(), label_values.size()));
  }
  M& with(std::span<const std::string_view> label_values);

  // Histogram bucket bounds (empty for counters and gauges).
  const std::vector<double>& buckets() const noexcept { return buckets_; }

 private:
  friend class Registry;
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::vector<double> buckets)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        buckets_(std::move(buckets)) {}

  void append_samples(std::string& out) const override;

  std::vector<double> buckets_;
  mutable std::shared_mutex mu_;
  // std::map: nodes never move (references handed out stay valid) and iteration is already sorted.
  std::map<std::vector<std::string>, M, internal::LabelValuesLess> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// Samples of a labelled callback metric: (label values, value) per child.
using LabelledValues = std::vector<std::pair<std::vector<std::string>, double>>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  CounterFamily& counter_family(std::string name, std::string help,
                                std::vector<std::string> label_names);
  GaugeFamily& gauge_family(std::string name, std::string help,
                            std::vector<std::string> label_names);
  HistogramFamily& histogram_family(std::string name, std::string help,
                                    std::vector<std::string> label_names,
                                    std::vector<double> buckets);

  // Unlabelled metrics: a family without labels and its only child.
  Counter& counter(std::string name, std::string help);
  Gauge& gauge(std::string name, std::string help);
  Histogram& histogram(std::string name, std::string help, std::vector<double> buckets);

  // A gauge or counter (by `type`; histogram aborts) whose value `fn` computes at scrape time.
  // Registering the same name and type again replaces `fn`, so a component that is rebuilt never
  // leaves a dangling callback. `fn` runs inside expose(): it must be quick and must not call back
  // into this Registry. If it throws, the family is printed without a sample.
  void callback(std::string name, std::string help, MetricType type, std::function<double()> fn);
  // The labelled form: `fn` returns one (label values, value) pair per child, label values in the
  // order of `label_names` (a pair with the wrong number of values is skipped). Same rules as
  // callback(): re-registering the same name, type and labels replaces `fn`.
  //   reg.callback_family("nsl_pool_connections", "Connections.", MetricType::gauge, {"state"},
  //                       [&] { return LabelledValues{{{"idle"}, 3}, {{"in_use"}, 1}}; });
  void callback_family(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names, std::function<LabelledValues()> fn);

  // The full text exposition: families sorted by name, children sorted by label values.
  std::string expose() const;

 private:
  template <class M>
  Family<M>& family(std::string name, std::string help, MetricType type,
                    std::vector<std::string> label_names, std::vector<double> buckets);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<internal::FamilyBase>, std::less<>> families_;
};

}  // namespace nsl::obs
