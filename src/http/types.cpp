#include "http/types.hpp"

#include "core/strings.hpp"

namespace nsl::http {

std::string_view method_name(Method m) noexcept {
  switch (m) {
    case Method::get: return "GET";
    case Method::head: return "HEAD";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::patch: return "PATCH";
    case Method::del: return "DELETE";
    case Method::options: return "OPTIONS";
    case Method::other: return "OTHER";
  }
  return "OTHER";
}

Method parse_method(std::string_view s) noexcept {
  if (s == "GET") return Method::get;
  if (s == "HEAD") return Method::head;
  if (s == "POST") return Method::post;
  if (s == "PUT") return Method::put;
  if (s == "PATCH") return Method::patch;
  if (s == "DELETE") return Method::del;
  if (s == "OPTIONS") return Method::options;
  return Method::other;
}

std::optional<std::string_view> Headers::get(std::string_view name) const noexcept {
  for (const auto& h : items_) {
    if (iequals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

void Headers::add(std::string_view name, std::string_view value) {
  if (items_.capacity() == 0) items_.reserve(12);  // typical request/response: one allocation, not four
  Header& h = items_.emplace_back();
  h.name.assign(name);
  for (char& c : h.name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  h.value.assign(value);
}

void Headers::set(std::string_view name, std::string_view value) {
  std::erase_if(items_, [&](const Header& h) { return iequals(h.name, name); });
  add(name, value);
}

std::optional<std::string_view> Request::param(std::string_view name) const noexcept {
  for (const auto& [k, v] : params) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    std::size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    std::size_t eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    if (k != name) continue;
    std::string v(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    for (char& c : v) {
      if (c == '+') c = ' ';
    }
    return percent_decode(v);
  }
  return std::nullopt;
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.add("content-type", "application/json");
  r.body = std::move(body);
  return r;
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.add("content-type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;  // need two hex digits after '%'
    auto hex = from_hex(s.substr(i + 1, 2));
    if (!hex) return std::nullopt;
    out += static_cast<char>((*hex)[0]);
    i += 2;
  }
  return out;
}

}  // namespace nsl::http
