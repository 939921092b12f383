// nsl/http/json_body.hpp — strict JSON request bodies.
//
//   NSL_TRY_ASSIGN(nlohmann::json body, parse_json_body(req));   // in a handler
//
// Accepts only `Content-Type: application/json` (or `application/<x>+json`, with any parameters) → else 415.
// The body must be one JSON object (RFC 8259, UTF-8) without duplicate member names (they are ambiguous: two
// parsers may pick different values, a classic smuggling vector) and nested at most `max_depth` deep → else
// 400 with the position of the problem. Size is already bounded by the server's max_body_bytes.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "core/result.hpp"
#include "http/types.hpp"

namespace nsl::http {

inline constexpr std::size_t kDefaultJsonDepth = 32;

Result<nlohmann::json> parse_json_body(const Request& req, std::size_t max_depth = kDefaultJsonDepth);
// The same checks on text (any JSON value at the top level when `require_object` is false).
Result<nlohmann::json> parse_json_strict(std::string_view text, std::size_t max_depth = kDefaultJsonDepth,
                                         bool require_object = true);

}  // namespace nsl::http
