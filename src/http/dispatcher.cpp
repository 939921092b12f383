#include "http/dispatcher.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <atomic>
#include <exception>

#include <boost/asio/this_coro.hpp>

#include "core/random.hpp"
#include "core/strings.hpp"
#include "http/problem.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"

namespace nsl::http {

struct Dispatcher::Metrics {
  obs::CounterFamily* requests;
  obs::HistogramFamily* duration;
  obs::Gauge* in_flight;
};

// Metric children cached per route so the request path takes no registry lock: the duration histogram for the
// route's method and the request counter per common status code, each resolved on first use (so no series
// exists before a request produced it). HEAD on a GET route, unmatched requests and rarer codes use the family
// look-up. Two threads resolving the same child at once store the same pointer.
struct Dispatcher::RouteMetrics {
  static constexpr int kCodes[] = {200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503};
  Method method = Method::get;
  std::atomic<obs::Histogram*> duration{nullptr};
  std::atomic<obs::Counter*> by_code[std::size(kCodes)] = {};
};

namespace {
bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }
bool lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}
constexpr std::string_view kUnmatched = "unmatched";

std::string allow_header(const std::vector<Method>& methods) {
  std::string out;
  for (Method m : methods) {
    if (!out.empty()) out += ", ";
    out += method_name(m);
  }
  return out;
}
}  // namespace

bool valid_request_id(std::string_view v) noexcept {
  if (v.empty() || v.size() > 128) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == ':';
  });
}

bool parse_traceparent(std::string_view v, RequestContext& ctx) {
  // version "-" trace-id(32) "-" parent-id(16) "-" flags(2); future versions may append "-..." fields.
  v = trim(v);
  if (v.size() < 55) return false;
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  std::string_view ver = v.substr(0, 2), tid = v.substr(3, 32), pid = v.substr(36, 16), flags = v.substr(53, 2);
  if (!lower_hex(ver) || ver == "ff") return false;
  if (ver == "00" && v.size() != 55) return false;
  if (ver != "00" && v.size() > 55 && v[55] != '-') return false;
  if (!lower_hex(tid) || all_zero(tid) || !lower_hex(pid) || all_zero(pid) || !lower_hex(flags)) return false;
  ctx.trace_id = std::string(tid);
  ctx.parent_span_id = std::string(pid);
  ctx.trace_flags = (*from_hex(flags))[0];
  return true;
}

boost::asio::awaitable<Response> Next::operator()(Request& req) const { return d_->run(req, i_); }

Dispatcher::Dispatcher(Router router, obs::Registry& registry, DispatcherOptions opts)
    : router_(std::move(router)),
      opts_(std::move(opts)),
      metrics_(std::make_unique<Metrics>()),
      access_log_(opts_.access_log) {
  const std::string& p = opts_.metric_prefix;
  metrics_->requests = &registry.counter_family(
      p + "_requests_total", "HTTP requests by route pattern, method and status code", {"route", "method", "code"});
  metrics_->duration = &registry.histogram_family(p + "_request_duration_seconds",
                                                  "HTTP request latency from parsed request to response, seconds",
                                                  {"route", "method"}, obs::default_latency_buckets());
  metrics_->in_flight = &registry.gauge(p + "_requests_in_flight", "HTTP requests being handled now");
  if (opts_.metrics) {
    for (const Route& r : router_.routes()) {
      auto rm = std::make_unique<RouteMetrics>();
      rm->method = r.method;
      route_metrics_.push_back(std::move(rm));
    }
  }
}

Dispatcher::RouteMetrics* Dispatcher::route_metrics(const Route* r) const {
  if (r == nullptr || route_metrics_.empty()) return nullptr;
  return route_metrics_[static_cast<std::size_t>(r - router_.routes().data())].get();
}

Dispatcher::~Dispatcher() = default;

void Dispatcher::use(Middleware m) { chain_.push_back(std::move(m)); }
void Dispatcher::set_access_log(bool on) noexcept { access_log_.store(on, std::memory_order_relaxed); }

boost::asio::awaitable<Response> Dispatcher::run(Request& req, std::size_t i) const {
  if (i < chain_.size()) return chain_[i](req, Next(this, i + 1));
  return req.ctx.route_info->handler(req);
}

namespace {
void begin_context(Request& req) {
  RequestContext& ctx = req.ctx;
  ctx.start = std::chrono::steady_clock::now();
  auto rid = req.headers.get("x-request-id");
  bool have_rid = rid && valid_request_id(*rid);
  if (have_rid) ctx.request_id.assign(*rid);
  auto tp = req.headers.get("traceparent");
  bool have_trace = tp && parse_traceparent(*tp, ctx);
  if (!have_trace) {
    ctx.parent_span_id.clear();
    ctx.trace_flags = 0;
  }
  // One draw for every id this request needs.
  if (!have_rid && !have_trace) {
    random_ids_hex({{&ctx.request_id, 16}, {&ctx.trace_id, 16}, {&ctx.span_id, 8}});
  } else if (!have_rid) {
    random_ids_hex({{&ctx.request_id, 16}, {&ctx.span_id, 8}});
  } else if (!have_trace) {
    random_ids_hex({{&ctx.trace_id, 16}, {&ctx.span_id, 8}});
  } else {
    random_ids_hex({{&ctx.span_id, 8}});
  }
}
}  // namespace

boost::asio::awaitable<Response> Dispatcher::handle(Request& req) const {
  begin_context(req);
  req.ctx.executor = co_await boost::asio::this_coro::executor;
  if (opts_.metrics) metrics_->in_flight->inc();
  Response res;
  RouteMatch m = router_.match(req.method, req.path);
  if (m.route == nullptr) {
    req.ctx.route = kUnmatched;
    if (m.bad_encoding) {
      res = problem(err::invalid_argument("malformed percent-encoding in path"), req);
    } else if (!m.allowed.empty()) {
      res = problem(Error(ErrorCode::method_not_allowed,
                          "method " + std::string(req.method_text) + " not allowed on this resource"),
                    req);
      res.headers.set("allow", allow_header(m.allowed));
    } else {
      res = problem(err::not_found("no such resource"), req);
    }
  } else {
    req.ctx.route = std::string_view(m.route->pattern);
    req.ctx.route_info = m.route;
    req.params = std::move(m.params);
    try {
      res = co_await run(req, 0);
    } catch (const std::exception& e) {
      obs::log_error("unhandled exception in handler",
                     {{"request_id", req.ctx.request_id}, {"route", req.ctx.route}, {"what", e.what()}});
      res = problem(err::internal("internal error"), req);
    }
  }
  finish(req, res);
  if (opts_.metrics) metrics_->in_flight->dec();
  co_return res;
}

void Dispatcher::finish(const Request& req, Response& res) const {
  res.headers.set("x-request-id", req.ctx.request_id);
  if (!res.headers.has("x-content-type-options")) res.headers.add("x-content-type-options", "nosniff");
  std::string_view route = req.ctx.route.empty() ? kUnmatched : req.ctx.route;
  std::string_view method = method_name(req.method);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - req.ctx.start).count();
  if (opts_.metrics) {
    char code_buf[8];
    auto [code_end, ec] = std::to_chars(code_buf, code_buf + sizeof code_buf, res.status);
    std::string_view code(code_buf, static_cast<std::size_t>(code_end - code_buf));
    RouteMetrics* rm = route_metrics(req.ctx.route_info);
    if (rm != nullptr && rm->method == req.method) {
      obs::Histogram* h = rm->duration.load(std::memory_order_acquire);
      if (h == nullptr) {
        h = &metrics_->duration->with({route, method});
        rm->duration.store(h, std::memory_order_release);
      }
      h->observe(secs);
      std::atomic<obs::Counter*>* slot = nullptr;
      for (std::size_t i = 0; i < std::size(RouteMetrics::kCodes); ++i) {
        if (RouteMetrics::kCodes[i] == res.status) slot = &rm->by_code[i];
      }
      obs::Counter* c = slot ? slot->load(std::memory_order_acquire) : nullptr;
      if (c == nullptr) {
        c = &metrics_->requests->with({route, method, code});
        if (slot) slot->store(c, std::memory_order_release);
      }
      c->inc();
    } else {
      metrics_->duration->with({route, method}).observe(secs);
      metrics_->requests->with({route, method, code}).inc();
    }
  }
  if (access_log_.load(std::memory_order_relaxed)) {
    obs::Level lvl = res.status >= 500 ? obs::Level::error : obs::Level::info;
    obs::log(lvl, "request",
             {{"request_id", req.ctx.request_id},
              {"trace_id", req.ctx.trace_id},
              {"route", route},
              {"method", req.method == Method::other ? std::string_view(req.method_text) : method},
              {"path", req.path},
              {"status", res.status},
              {"latency_ms", secs * 1000.0},
              {"remote", req.remote_addr},
              {"tenant", req.ctx.tenant}});
  }
}

Response Dispatcher::transport_error(Request& req, const Error& e) const {
  begin_context(req);
  req.ctx.route = kUnmatched;
  Response res = problem(e, req);
  finish(req, res);
  return res;
}

}  // namespace nsl::http
