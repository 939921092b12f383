// Serialises a Response as one HTTP/1.1 message in a single buffer (one allocation, one write). Internal to
// http/. Framing headers (Content-Length, Connection, Transfer-Encoding) are always computed here; any a
// handler set are dropped. CR and LF in header values are removed so a value can never split the header.
#pragma once

#include <string>

#include "http/types.hpp"

namespace nsl::http::internal {

std::string serialize_response(Response& res, bool head, bool keep_alive, bool http10);

}  // namespace nsl::http::internal
