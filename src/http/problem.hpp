// nsl/http/problem.hpp — the ONE mapping from nsl error codes to HTTP (RFC 9457 problem+json).
//
// Handlers never choose error status codes by hand: they return an Error and call problem(). The body is
//   {"type":"urn:nsl:problem:not_found","title":"Not Found","status":404,"detail":"<Error::message>",
//    "instance":"/v1/keys/abc","code":"not_found","request_id":"..."}
// with content type application/problem+json. Internal details never go into `detail`; they go to the log.
#pragma once

#include <string_view>

#include "core/error.hpp"
#include "http/types.hpp"

namespace nsl::http {

// HTTP status for an error code (exhaustive switch, no default).
int status_for(ErrorCode code) noexcept;
// Standard reason phrase for a status ("Not Found"); "Unknown" for unlisted codes.
std::string_view reason_phrase(int status) noexcept;

// Renders `e` as problem+json for `req` (uses its path and request id).
Response problem(const Error& e, const Request& req);
// Same without a request (transport-level errors before a request exists).
Response problem(const Error& e, std::string_view instance, std::string_view request_id);
// Same with a more specific problem `type` URI than "urn:nsl:problem:<code>" (status and `code` still
// come from e.code()), e.g. "urn:nsl:problem:read_only" for an unavailable of a read-only secondary.
Response problem(const Error& e, const Request& req, std::string_view type);

}  // namespace nsl::http
