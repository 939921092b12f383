#include "http/router.hpp"

#include <algorithm>

namespace nsl::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  // path starts with '/'; "/" has one empty segment.
  std::size_t pos = 1;
  while (true) {
    std::size_t slash = path.find('/', pos);
    parts.push_back(path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos));
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return parts;
}

bool valid_param_name(std::string_view n) {
  if (n.empty()) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Status Router::add(Route route) {
  if (route.pattern.empty() || route.pattern[0] != '/') {
    return err::internal("route pattern must start with '/': " + route.pattern);
  }
  if (!route.handler) return err::internal("route without handler: " + route.pattern);
  if (!route.is_public && route.permission.empty()) {
    return err::internal("route declares no access rule (permission or public): " + route.pattern);
  }
  Compiled c;
  auto parts = split_path(route.pattern);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    Segment s;
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      std::string_view name = p.substr(1, p.size() - 2);
      s.param = true;
      if (!name.empty() && name.back() == '*') {
        if (i + 1 != parts.size()) return err::internal("{name*} must be last: " + route.pattern);
        s.rest = true;
        name.remove_suffix(1);
      }
      if (!valid_param_name(name)) return err::internal("bad parameter name in " + route.pattern);
      s.text = std::string(name);
    } else {
      if (p.find_first_of("{}") != std::string_view::npos) {
        return err::internal("malformed route pattern: " + route.pattern);
      }
      s.text = std::string(p);
    }
    c.segments.push_back(std::move(s));
  }
  for (const auto& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) {
      return err::internal("duplicate route: " + std::string(method_name(route.method)) + " " + route.pattern);
    }
  }
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(c));
  return {};
}

bool Router::match_one(const Compiled& c, const std::vector<std::string_view>& parts,
                       std::vector<std::pair<std::string, std::string>>* params, bool* bad) const {
  const auto& segs = c.segments;
  bool has_rest = !segs.empty() && segs.back().rest;
  if (has_rest ? parts.size() < segs.size() : parts.size() != segs.size()) return false;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const Segment& s = segs[i];
    if (!s.param) {
      if (parts[i] != s.text) return false;
      continue;
    }
    std::string_view raw = parts[i];
    if (s.rest) {
      // Everything from this segment to the end of the path.
      const char* begin = parts[i].data();
      const char* end = parts.back().data() + parts.back().size();
      raw = std::string_view(begin, static_cast<std::size_t>(end - begin));
    }
    if (raw.empty()) return false;
    if (params != nullptr) {
      auto decoded = percent_decode(raw);
      if (!decoded) {
        *bad = true;
        return false;
      }
      params->emplace_back(s.text, std::move(*decoded));
    }
    if (s.rest) break;
  }
  return true;
}

RouteMatch Router::match(Method method, std::string_view path) const {
  RouteMatch m;
  if (path.empty() || path[0] != '/') return m;
  auto parts = split_path(path);
  Method want = method == Method::head ? Method::get : method;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (routes_[i].method != want) continue;
    m.params.clear();
    if (match_one(compiled_[i], parts, &m.params, &m.bad_encoding)) {
      m.route = &routes_[i];
      return m;
    }
    if (m.bad_encoding) return m;
  }
  m.params.clear();
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (match_one(compiled_[i], parts, nullptr, nullptr)) {
      Method am = routes_[i].method;
      if (std::find(m.allowed.begin(), m.allowed.end(), am) == m.allowed.end()) m.allowed.push_back(am);
      if (am == Method::get &&
          std::find(m.allowed.begin(), m.allowed.end(), Method::head) == m.allowed.end()) {
        m.allowed.push_back(Method::head);
      }
    }
  }
  return m;
}

}  // namespace nsl::http
