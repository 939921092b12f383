// Shared by server.cpp and parse.cpp: turns a parsed Beast request head into nsl's Request and applies the
// checks both paths enforce. Internal to http/.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/result.hpp"
#include "http/types.hpp"

namespace nsl::http::internal {

// Fills method, target, path, query and headers from `head`; errors for a non-origin-form target or an
// unsupported HTTP version.
Status fill_request_head(const boost::beast::http::request_header<>& head, Request& req);

// Maps a Beast read/parse error to nsl's error (header_too_large, payload_too_large, invalid_argument).
Error parse_error(const boost::system::error_code& ec, std::size_t max_body_bytes);

}  // namespace nsl::http::internal
