// nsl/http/types.hpp — the request and response types every handler and middleware sees.
//
// Deliberately free of Boost.Beast so that service code (services/*/api.cpp) compiles fast and does not depend
// on the transport. Header names are stored lower-case. A Request lives for one exchange on one connection.
// Thread-safety: none needed; a request is handled by one coroutine at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nsl::auth {
struct Principal;
}

namespace nsl::http {

struct Route;

enum class Method : std::uint8_t { get, head, post, put, patch, del, options, other };
std::string_view method_name(Method m) noexcept;
Method parse_method(std::string_view s) noexcept;

struct Header {
  std::string name;  // lower-case
  std::string value;
};

class Headers {
 public:
  // First value of `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  // Adds a header; `name` is lower-cased.
  void add(std::string_view name, std::string_view value);
  // Replaces every value of `name` with one.
  void set(std::string_view name, std::string_view value);
  bool has(std::string_view name) const noexcept { return get(name).has_value(); }
  const std::vector<Header>& all() const noexcept { return items_; }
  void clear() noexcept { items_.clear(); }

 private:
  std::vector<Header> items_;
};

// Values filled in by middleware as the request travels the chain.
struct RequestContext {
  std::string request_id;
  std::string trace_id;          // 32 hex (W3C trace-id), from traceparent or new
  std::string parent_span_id;    // 16 hex from the incoming traceparent, "" if none
  std::string span_id;           // 16 hex, this server's span
  std::uint8_t trace_flags = 0;
  std::string_view route;        // route pattern, e.g. "/v1/keys/{id}"; "unmatched" when no route (static storage
                                 // or the router's, which outlives every request)
  const Route* route_info = nullptr;  // the matched route (access rule, rate class); null until routed
  std::string tenant;            // set by authentication (tenant id), "" on public routes
  std::shared_ptr<const auth::Principal> principal;  // set by authentication; null on public routes
  std::chrono::steady_clock::time_point start;
  // The executor the request arrived on (the connection's strand), set by the dispatcher: a handler that
  // waits for an operation off the pool (app/blocking.hpp await_on) resumes there.
  boost::asio::any_io_executor executor;
};

struct Request {
  Method method = Method::get;
  std::string method_text;  // as received, for logs of unknown methods
  std::string target;       // raw request-target
  std::string path;         // target up to '?', percent-encoding kept
  std::string query;        // after '?', "" if none
  Headers headers;
  std::string body;
  std::string remote_addr;
  bool tls = false;
  bool keep_alive = true;
  bool http10 = false;      // request was HTTP/1.0 (keep-alive must then be explicit in the response)
  std::vector<std::pair<std::string, std::string>> params;  // path parameters by name
  RequestContext ctx;

  std::optional<std::string_view> param(std::string_view name) const noexcept;
  // Decoded value of a query parameter (first occurrence), or nullopt.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // The body carries a secret (a secret value, a one-time credential): the server wipes the body
  // and its serialized copy after writing them. Such routes also send `Cache-Control: no-store`.
  bool sensitive = false;

  static Response json(int status, std::string body);
  static Response text(int status, std::string body);
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// Percent-decodes `s` ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s);

}  // namespace nsl::http
