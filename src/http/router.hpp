// nsl/http/router.hpp — method + path routing with named parameters.
//
//   Router r;
//   NSL_TRY(r.add({.method = Method::get, .pattern = "/v1/keys/{id}", .handler = h, .permission = "keys:read"}));
//   auto m = r.match(Method::get, "/v1/keys/abc");   // m.route, m.params = {{"id","abc"}}
//
// Patterns are absolute paths of literal segments and `{name}` segments; a last segment `{name*}` takes the
// rest of the path (slashes included). Matching is exact: no normalisation, so `..`, `//` and trailing slashes
// simply do not match (404). Parameters are percent-decoded. HEAD is served by GET routes.
// Every route must declare its access rule: a permission, or `is_public` — deny by default; add() refuses a
// route that declares neither. Thread-safety: add() during start-up only; match() is const and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "http/types.hpp"

namespace nsl::http {

struct Route {
  Method method = Method::get;
  std::string pattern;
  Handler handler;
  std::string permission;            // RBAC permission required, e.g. "keys:sign"
  bool is_public = false;            // no authentication (health, metrics, discovery)
  std::string rate_class = "general";  // rate-limit class ("general", "keys")
  // Whether the route may change stored state (a row, an audit record, a ledger entry, an
  // idempotency record): a read-only secondary refuses the routes that do (app/read_only.hpp).
  // Unset = by method: GET and HEAD read, every other method writes. Set it on a GET that writes
  // (e.g. a read that appends an audit record) and on a POST that only reads (a signature check).
  std::optional<bool> writes;
  // The handler waits for nothing before it hands its waiting work to the pool itself (offload), so where
  // the access checks can be answered from memory it may start on the I/O thread (app/access.hpp).
  bool starts_on_io_thread = false;
};

// The effective `writes` of a route (its own flag, else by method).
inline bool route_writes(const Route& r) noexcept {
  return r.writes.value_or(r.method != Method::get && r.method != Method::head);
}

struct RouteMatch {
  const Route* route = nullptr;  // null when nothing matched
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<Method> allowed;   // methods that match the path (for 405 + Allow), when route is null
  bool bad_encoding = false;     // a path segment had a malformed %-escape
};

class Router {
 public:
  Status add(Route route);
  RouteMatch match(Method method, std::string_view path) const;
  const std::vector<Route>& routes() const noexcept { return routes_; }

 private:
  struct Segment {
    std::string text;   // literal, or parameter name
    bool param = false;
    bool rest = false;  // {name*}
  };
  struct Compiled {
    std::vector<Segment> segments;
  };
  bool match_one(const Compiled& c, const std::vector<std::string_view>& parts,
                 std::vector<std::pair<std::string, std::string>>* params, bool* bad) const;

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

}  // namespace nsl::http
