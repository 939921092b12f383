#include "http/parse.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include "http/internal/request_fill.hpp"

namespace nsl::http {

namespace bhttp = boost::beast::http;

Result<Request> parse_request(std::string_view raw, std::size_t max_header_bytes, std::size_t max_body_bytes) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
  parser.body_limit(max_body_bytes);
  parser.eager(true);
  boost::system::error_code ec;
  std::size_t used = 0;
  while (used < raw.size() && !parser.is_done()) {
    std::size_t n = parser.put(boost::asio::buffer(raw.data() + used, raw.size() - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) return internal::parse_error(ec, max_body_bytes);
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_done()) {
    // put_eof requires that some bytes were parsed (Beast asserts it); nothing at all is simply incomplete.
    if (!parser.got_some()) return err::invalid_argument("incomplete HTTP request");
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return err::invalid_argument("incomplete HTTP request");
  }
  Request req;
  NSL_TRY(internal::fill_request_head(parser.get().base(), req));
  req.keep_alive = parser.get().keep_alive();
  req.body = std::move(parser.get().body());
  return req;
}

}  // namespace nsl::http
