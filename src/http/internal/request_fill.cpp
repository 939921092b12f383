#include "http/internal/request_fill.hpp"

#include <boost/beast/http/error.hpp>
#include <string>

namespace nsl::http::internal {

namespace bhttp = boost::beast::http;

Status fill_request_head(const bhttp::request_header<>& head, Request& req) {
  req.method_text = std::string(head.method_string());
  req.method = parse_method(req.method_text);
  req.target = std::string(head.target());
  std::size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  for (const auto& f : head) req.headers.add(f.name_string(), f.value());
  if (req.target.empty() || req.target[0] != '/') {
    req.path = "/";
    return err::invalid_argument("request target must be an absolute path");
  }
  if (head.version() != 11 && head.version() != 10) return err::invalid_argument("unsupported HTTP version");
  req.http10 = head.version() == 10;
  return {};
}

Error parse_error(const boost::system::error_code& ec, std::size_t max_body_bytes) {
  if (ec == bhttp::error::header_limit) {
    return Error(ErrorCode::header_too_large, "request header section exceeds the limit");
  }
  if (ec == bhttp::error::body_limit) {
    return Error(ErrorCode::payload_too_large,
                 "request body exceeds the limit of " + std::to_string(max_body_bytes) + " bytes");
  }
  return err::invalid_argument("malformed HTTP request: " + ec.message());
}

}  // namespace nsl::http::internal
