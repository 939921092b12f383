#include "http/internal/response_wire.hpp"

#include <charconv>

#include "http/problem.hpp"

namespace nsl::http::internal {

namespace {
void append_number(std::string& out, std::size_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

void append_field_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c != '\r' && c != '\n') out += c;
  }
}

bool is_framing(std::string_view name) {
  return name == "content-length" || name == "connection" || name == "transfer-encoding";
}
}  // namespace

std::string serialize_response(Response& res, bool head, bool keep_alive, bool http10) {
  std::size_t hdr_bytes = 0;
  for (const auto& h : res.headers.all()) hdr_bytes += h.name.size() + h.value.size() + 4;
  std::string out;
  out.reserve(96 + hdr_bytes + (head ? 0 : res.body.size()));
  out += "HTTP/1.1 ";
  append_number(out, static_cast<std::size_t>(res.status));
  out += ' ';
  out += reason_phrase(res.status);
  out += "\r\n";
  for (const auto& h : res.headers.all()) {
    if (is_framing(h.name)) continue;
    out += h.name;
    out += ": ";
    append_field_value(out, h.value);
    out += "\r\n";
  }
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (http10) {
    out += "Connection: keep-alive\r\n";
  }
  bool bodyless = (res.status >= 100 && res.status < 200) || res.status == 204 || res.status == 304;
  if (!bodyless) {
    out += "Content-Length: ";
    append_number(out, res.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  if (!head && !bodyless) out += res.body;
  return out;
}

}  // namespace nsl::http::internal
