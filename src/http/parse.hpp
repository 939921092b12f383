// nsl/http/parse.hpp — parsing one HTTP/1.1 request from bytes, with the server's limits.
//
// The server reads from sockets; this entry point parses a complete request held in memory with the same
// rules (header/body limits, origin-form target, HTTP/1.0 or 1.1 only) and the same Request filling, so that
// fuzz targets and tests exercise the server's parsing without a socket.
//   auto req = parse_request("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n", limits);
#pragma once

#include <string_view>

#include "core/result.hpp"
#include "http/types.hpp"

namespace nsl::http {

struct ServerLimits;

// Errors: header_too_large, payload_too_large, invalid_argument (malformed or incomplete request).
Result<Request> parse_request(std::string_view raw, std::size_t max_header_bytes, std::size_t max_body_bytes);

}  // namespace nsl::http
