#include "obs/metrics.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// Counts heap allocations of the calling thread, so a test can prove that a lookup of an existing
// child does not allocate. Replacing the global operator new is program-wide but only counts;
// behaviour is malloc/free.
namespace {
thread_local std::size_t t_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
// The deletes are replaced too, so sanitizers see matching malloc/free. GCC cannot tell that this
// operator new is malloc and flags the pair once inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace nsl::obs {
namespace {

// The sample line of `expo` that starts with `prefix` followed by a space, without the prefix; ""
// if absent.
std::string sample_value(const std::string& expo, const std::string& prefix) {
  const std::string needle = "\n" + prefix + " ";
  const std::size_t pos = expo.find(needle);
  if (pos == std::string::npos) return "";
  const std::size_t start = pos + needle.size();
  return expo.substr(start, expo.find('\n', start) - start);
}

TEST(Metrics, ExpositionExactText) {
  Registry reg;
  auto& requests = reg.counter_family("nsl_test_requests_total", "Requests by route and code.",
                                      {"route", "code"});
  requests.with({"/v1/b", "200"}).inc(3);
  requests.with({"/v1/a", "500"}).inc();
  requests.with({"/v1/\"q\"\\x\ny", "200"}).inc(2.5);
  reg.counter_family("nsl_test_errors_total", "Errors by code.", {"code"});
  reg.gauge("nsl_test_in_flight_requests", "Requests being served.").set(3);
  auto& latency = reg.histogram_family("nsl_test_latency_seconds",
                                       "Latency with a \\ backslash\nand a second line.", {"op"},
                                       {0.25, 1, 2.5});
  latency.with({"sign"}).observe(0.25);
  latency.with({"sign"}).observe(0.5);
  latency.with({"sign"}).observe(4);
  reg.histogram("nsl_test_queue_wait_seconds", "Queue wait.", {0.5}).observe(0.125);

  const std::string expected = R"txt(# HELP nsl_test_errors_total Errors by code.
# TYPE nsl_test_errors_total counter
# HELP nsl_test_in_flight_requests Requests being served.
# TYPE nsl_test_in_flight_requests gauge
nsl_test_in_flight_requests 3
# HELP nsl_test_latency_seconds Latency with a \\ backslash\nand a second line.
# TYPE nsl_test_latency_seconds histogram
nsl_test_latency_seconds_bucket{op="sign",le="0.25"} 1
nsl_test_latency_seconds_bucket{op="sign",le="1"} 2
nsl_test_latency_seconds_bucket{op="sign",le="2.5"} 2
nsl_test_latency_seconds_bucket{op="sign",le="+Inf"} 3
nsl_test_latency_seconds_sum{op="sign"} 4.75
nsl_test_latency_seconds_count{op="sign"} 3
# HELP nsl_test_queue_wait_seconds Queue wait.
# TYPE nsl_test_queue_wait_seconds histogram
nsl_test_queue_wait_seconds_bucket{le="0.5"} 1
nsl_test_queue_wait_seconds_bucket{le="+Inf"} 1
nsl_test_queue_wait_seconds_sum 0.125
nsl_test_queue_wait_seconds_count 1
# HELP nsl_test_requests_total Requests by route and code.
# TYPE nsl_test_requests_total counter
nsl_test_requests_total{route="/v1/\"q\"\\x\ny",code="200"} 2.5
nsl_test_requests_total{route="/v1/a",code="500"} 1
nsl_test_requests_total{route="/v1/b",code="200"} 3
)txt";
  EXPECT_EQ(reg.expose(), expected);
}

TEST(Metrics, FloatFormatting) {
  Registry reg;
  auto& g = reg.gauge_family("nsl_test_value", "Values.", {"case"});
  g.with({"million"}).set(1e6);
  g.with({"big"}).set(1e20);
  g.with({"small"}).set(0.0005);
  g.with({"tiny"}).set(1.5e-7);
  g.with({"tenth"}).set(0.1);
  g.with({"negative"}).set(-2.5);
  g.with({"negzero"}).set(-0.0);
  g.with({"nan"}).set(std::numeric_limits<double>::quiet_NaN());
  g.with({"inf"}).set(std::numeric_limits<double>::infinity());
  g.with({"neginf"}).set(-std::numeric_limits<double>::infinity());
  g.with({"third"}).set(1.0 / 3);
  g.with({"unix_time"}).set(1712345678.25);
  g.with({"huge_fraction"}).set(1.5e15 + 0.5);
  const std::string e = reg.expose();
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="million"})"), "1000000");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="big"})"), "1e+20");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="small"})"), "0.0005");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="tiny"})"), "1.5e-07");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="tenth"})"), "0.1");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="negative"})"), "-2.5");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="negzero"})"), "0");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="nan"})"), "NaN");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="inf"})"), "+Inf");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="neginf"})"), "-Inf");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="unix_time"})"), "1712345678.25");
  EXPECT_EQ(sample_value(e, R"(nsl_test_value{case="huge_fraction"})"), "1.5000000000000005e+15");
  EXPECT_EQ(std::stod(sample_value(e, R"(nsl_test_value{case="third"})")), 1.0 / 3);  // round-trips
}

TEST(Metrics, DefaultLatencyBucketsAsExposed) {
  Registry reg;
  reg.histogram("nsl_test_seconds", "Latency.", default_latency_buckets());
  const std::string e = reg.expose();
  std::string les;
  for (std::size_t pos = e.find("le=\""); pos != std::string::npos;
       pos = e.find("le=\"", pos + 1)) {
    les += e.substr(pos + 4, e.find('"', pos + 4) - pos - 4) + " ";
  }
  EXPECT_EQ(les, "0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 +Inf ");
}

TEST(Metrics, InvalidUtf8InLabelValueIsReplaced) {
  Registry reg;
  reg.counter_family("nsl_test_total", "Test.", {"v"})
      .with({"a\xff"
             "b\xc3\xa9"})
      .inc();
  EXPECT_NE(reg.expose().find("nsl_test_total{v=\"a\xEF\xBF\xBD"
                              "b\xc3\xa9\"} 1\n"),
            std::string::npos);
}

TEST(Metrics, CounterIgnoresNegativeAndNaN) {
  Counter c;
  c.inc();
  c.inc(2.5);
  c.inc(-1);
  c.inc(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(c.value(), 3.5);
}

TEST(Metrics, GaugeSetIncDec) {
  Gauge g;
  g.set(10);
  g.inc();
  g.inc(4);
  g.dec(2.5);
  g.dec();
  EXPECT_EQ(g.value(), 11.5);
  g.set(-3);
  EXPECT_EQ(g.value(), -3);
}

TEST(Metrics, HistogramCumulativeBuckets) {
  Histogram h(
      {1, 2, 5, std::numeric_limits<double>::infinity()});  // trailing +Inf is implicit, dropped
  ASSERT_EQ(h.bounds().size(), 3u);
  for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 7.0}) h.observe(v);
  h.observe(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(h.cumulative_counts(), (std::vector<std::uint64_t>{2, 4, 5, 7}));
  EXPECT_EQ(h.count(), 7u);
  EXPECT_TRUE(std::isnan(h.sum()));

  Histogram only_inf({});
  only_inf.observe(-3);
  EXPECT_EQ(only_inf.cumulative_counts(), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(only_inf.sum(), -3);
}

TEST(Metrics, ConcurrentIncrementsAreExact) {
  constexpr int kThreads = 4;
  constexpr int kIters = 100000;
  Registry reg;
  Counter& plain = reg.counter("nsl_test_plain_total", "Test.");
  auto& family = reg.counter_family("nsl_test_labelled_total", "Test.", {"a", "b"});
  Gauge& gauge = reg.gauge("nsl_test_gauge", "Test.");
  Histogram& hist = reg.histogram("nsl_test_seconds", "Test.", {0.5});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIters; ++i) {
        plain.inc();
        family.with({"x", "y"}).inc();
        gauge.inc(t % 2 == 0 ? 2 : -1);
        hist.observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(plain.value(), kThreads * kIters);
  EXPECT_EQ(family.with({"x", "y"}).value(), kThreads * kIters);
  EXPECT_EQ(gauge.value(), (kThreads / 2) * kIters);
  EXPECT_EQ(hist.count(), static_cast<std::uint64_t>(kThreads * kIters));
  EXPECT_EQ(hist.cumulative_counts()[0], static_cast<std::uint64_t>(kThreads * kIters / 2));
  EXPECT_EQ(hist.sum(), kThreads * kIters / 2 * 1.25);
}

TEST(Metrics, ConcurrentFirstUseCreatesOneChild) {
  Registry reg;
  auto& family = reg.counter_family("nsl_test_total", "Test.", {"k"});
  constexpr int kThreads = 4;
  std::array<std::array<Counter*, 50>, kThreads> seen{};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < seen[t].size(); ++i) {
        const std::string key = std::to_string(i);
        seen[t][i] = &family.with({key});
        seen[t][i]->inc();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (std::size_t i = 0; i < seen[0].size(); ++i) {
    for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t][i], seen[0][i]);
    EXPECT_EQ(seen[0][i]->value(), kThreads);
  }
}

TEST(Metrics, LookupOfExistingChildDoesNotAllocate) {
  Registry reg;
  auto& family =
      reg.counter_family("nsl_test_total", "Test.", {"route", "method", "code", "tenant"});
  Counter& created =
      family.with({"/v1/keys/{id}/sign", "POST", "200", "tenant-with-a-long-name-0001"});
  const std::array<std::string_view, 4> values{"/v1/keys/{id}/sign", "POST", "200",
                                               "tenant-with-a-long-name-0001"};
  const std::size_t before = t_allocations;
  Counter& again =
      family.with({"/v1/keys/{id}/sign", "POST", "200", "tenant-with-a-long-name-0001"});
  Counter& via_span = family.with(values);
  const std::size_t after = t_allocations;
  EXPECT_EQ(&again, &created);
  EXPECT_EQ(&via_span, &created);
  EXPECT_EQ(after - before, 0u);
}

TEST(Metrics, RegistrationIsIdempotent) {
  Registry reg;
  auto& f1 = reg.counter_family("nsl_test_total", "Test.", {"a"});
  f1.with({"x"}).inc(2);
  auto& f2 = reg.counter_family("nsl_test_total", "Test.", {"a"});
  EXPECT_EQ(&f1, &f2);
  EXPECT_EQ(f2.with({"x"}).value(), 2);
  EXPECT_EQ(&reg.counter("nsl_test_plain_total", "Test."),
            &reg.counter("nsl_test_plain_total", "Test."));
  EXPECT_EQ(&reg.gauge("nsl_test_gauge", "Test."), &reg.gauge("nsl_test_gauge", "Test."));
  EXPECT_EQ(
      &reg.histogram("nsl_test_seconds", "Test.", {1, 2}),
      &reg.histogram("nsl_test_seconds", "Test.", {1, 2, std::numeric_limits<double>::infinity()}));
  EXPECT_EQ(reg.expose().find("# TYPE nsl_test_total counter"),
            reg.expose().rfind("# TYPE nsl_test_total counter"));
}

TEST(Metrics, UnlabelledMetricsAreExportedAtZero) {
  Registry reg;
  reg.counter("nsl_test_total", "Test.");
  reg.gauge("nsl_test_gauge", "Test.");
  const std::string e = reg.expose();
  EXPECT_EQ(sample_value(e, "nsl_test_total"), "0");
  EXPECT_EQ(sample_value(e, "nsl_test_gauge"), "0");
}

TEST(Metrics, CallbackIsEvaluatedAtScrapeTime) {
  Registry reg;
  double v = 1;
  reg.callback("nsl_test_callback", "Computed.", MetricType::gauge, [&v] { return v; });
  EXPECT_EQ(sample_value(reg.expose(), "nsl_test_callback"), "1");
  v = 42;
  EXPECT_EQ(sample_value(reg.expose(), "nsl_test_callback"), "42");
  // Same name and type again replaces the function.
  reg.callback("nsl_test_callback", "Computed.", MetricType::gauge, [] { return 7.0; });
  EXPECT_EQ(sample_value(reg.expose(), "nsl_test_callback"), "7");

  reg.callback("nsl_test_events_total", "Computed counter.", MetricType::counter,
               [] { return 3.0; });
  EXPECT_NE(reg.expose().find("# TYPE nsl_test_events_total counter\nnsl_test_events_total 3\n"),
            std::string::npos);
}

TEST(Metrics, LabelledCallbackPrintsOneSamplePerChild) {
  Registry reg;
  double idle = 3;
  reg.callback_family("nsl_test_pool", "Pool.", MetricType::gauge, {"state"}, [&idle] {
    return LabelledValues{{{"idle"}, idle}, {{"in_use"}, 1}, {{"too", "many"}, 9}};
  });
  EXPECT_EQ(reg.expose(),
            "# HELP nsl_test_pool Pool.\n# TYPE nsl_test_pool gauge\n"
            "nsl_test_pool{state=\"idle\"} 3\nnsl_test_pool{state=\"in_use\"} 1\n");
  idle = 5;
  EXPECT_NE(reg.expose().find("nsl_test_pool{state=\"idle\"} 5\n"), std::string::npos);
  // Same name, type and labels: replaced.
  reg.callback_family("nsl_test_pool", "Pool.", MetricType::gauge, {"state"}, [] {
    return LabelledValues{{{"idle"}, 7}};
  });
  EXPECT_NE(reg.expose().find("nsl_test_pool{state=\"idle\"} 7\n"), std::string::npos);
}

TEST(Metrics, ThrowingCallbackPrintsNoSample) {
  Registry reg;
  reg.callback("nsl_test_broken", "Broken.", MetricType::gauge,
               []() -> double { throw std::runtime_error("boom"); });
  reg.gauge("nsl_test_ok", "Fine.").set(1);
  EXPECT_EQ(reg.expose(),
            "# HELP nsl_test_broken Broken.\n# TYPE nsl_test_broken gauge\n"
            "# HELP nsl_test_ok Fine.\n# TYPE nsl_test_ok gauge\nnsl_test_ok 1\n");
}

TEST(Metrics, MetricTypeNames) {
  EXPECT_EQ(metric_type_name(MetricType::counter), "counter");
  EXPECT_EQ(metric_type_name(MetricType::gauge), "gauge");
  EXPECT_EQ(metric_type_name(MetricType::histogram), "histogram");
}

class MetricsDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  Registry reg_;
};

TEST_F(MetricsDeathTest, ConflictingTypeAborts) {
  reg_.counter_family("nsl_test_total", "Test.", {"a"});
  EXPECT_DEATH(reg_.gauge_family("nsl_test_total", "Test.", {"a"}),
               "nsl_test_total.*already registered");
  reg_.callback("nsl_test_cb", "Test.", MetricType::gauge, [] { return 1.0; });
  EXPECT_DEATH(reg_.gauge("nsl_test_cb", "Test."), "nsl_test_cb.*already registered");
  EXPECT_DEATH(reg_.callback("nsl_test_total", "Test.", MetricType::counter, [] { return 1.0; }),
               "already registered");
}

TEST_F(MetricsDeathTest, ConflictingLabelsOrBucketsAbort) {
  reg_.counter_family("nsl_test_total", "Test.", {"a"});
  EXPECT_DEATH(reg_.counter_family("nsl_test_total", "Test.", {"b"}), "different label names");
  EXPECT_DEATH(reg_.counter("nsl_test_total", "Test."), "different label names");
  reg_.histogram("nsl_test_seconds", "Test.", {1, 2});
  EXPECT_DEATH(reg_.histogram("nsl_test_seconds", "Test.", {1, 3}), "different histogram buckets");
}

TEST_F(MetricsDeathTest, InvalidNamesAbort) {
  EXPECT_DEATH(reg_.counter("", "Test."), "invalid metric name");
  EXPECT_DEATH(reg_.counter("1abc", "Test."), "invalid metric name");
  EXPECT_DEATH(reg_.counter("nsl-test", "Test."), "invalid metric name");
  EXPECT_DEATH(reg_.counter_family("nsl_test_total", "Test.", {"a:b"}), "invalid label name");
  EXPECT_DEATH(reg_.counter_family("nsl_test_total", "Test.", {"__name"}), "invalid label name");
  EXPECT_DEATH(reg_.counter_family("nsl_test_total", "Test.", {"9a"}), "invalid label name");
  EXPECT_DEATH(reg_.counter_family("nsl_test_total", "Test.", {"a", "a"}), "duplicate label name");
  EXPECT_DEATH(reg_.histogram_family("nsl_test_seconds", "Test.", {"le"}, {1}), "reserved");
  EXPECT_DEATH(reg_.counter("nsl_test_total", ""), "help text is required");
  // Valid edge cases do not abort.
  reg_.gauge("nsl:test_ok", "Colons are allowed in metric names.");
  reg_.gauge_family("_nsl_test_ok", "Test.", {"_a", "le"});  // `le` is fine outside histograms
}

TEST_F(MetricsDeathTest, BadBucketsAbort) {
  EXPECT_DEATH(reg_.histogram("nsl_test_seconds", "Test.", {2, 1}), "strictly increase");
  EXPECT_DEATH(reg_.histogram("nsl_test_seconds", "Test.", {1, 1}), "strictly increase");
  EXPECT_DEATH(
      reg_.histogram("nsl_test_seconds", "Test.", {std::numeric_limits<double>::quiet_NaN()}),
      "finite");
  EXPECT_DEATH(
      reg_.callback("nsl_test_seconds", "Test.", MetricType::histogram, [] { return 1.0; }),
      "counter or a gauge");
}

TEST_F(MetricsDeathTest, WrongLabelCountAborts) {
  auto& family = reg_.counter_family("nsl_test_total", "Test.", {"a", "b"});
  EXPECT_DEATH(family.with({"x"}), "got 1 label values, the family has 2");
}

}  // namespace
}  // namespace nsl::obs
