#include "http/problem.hpp"

#include <string>

#include "core/strings.hpp"

namespace nsl::http {

int status_for(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return 400;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::permission_denied: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::method_not_allowed: return 405;
    case ErrorCode::conflict: return 409;
    case ErrorCode::failed_precondition: return 409;
    case ErrorCode::payload_too_large: return 413;
    case ErrorCode::unsupported_media_type: return 415;
    case ErrorCode::rate_limited: return 429;
    case ErrorCode::header_too_large: return 431;
    case ErrorCode::internal: return 500;
    case ErrorCode::data_loss: return 500;
    case ErrorCode::not_implemented: return 501;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::deadline_exceeded: return 504;
  }
  return 500;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

namespace {

// `type` "" = "urn:nsl:problem:<code>".
Response render(const Error& e, std::string_view instance, std::string_view request_id, std::string_view type) {
  int status = status_for(e.code());
  std::string_view code = error_code_name(e.code());
  std::string body;
  body.reserve(192 + e.message().size() + instance.size() + type.size());
  body += "{\"type\":\"";
  if (type.empty()) {
    body += "urn:nsl:problem:";
    body += code;
  } else {
    append_json_escaped(body, type);
  }
  body += "\",\"title\":\"";
  body += reason_phrase(status);
  body += "\",\"status\":";
  body += std::to_string(status);
  body += ",\"detail\":\"";
  append_json_escaped(body, e.message());
  body += "\",\"instance\":\"";
  append_json_escaped(body, instance);
  body += "\",\"code\":\"";
  body += code;
  body += '"';
  if (!request_id.empty()) {
    body += ",\"request_id\":\"";
    append_json_escaped(body, request_id);
    body += '"';
  }
  body += '}';
  Response r;
  r.status = status;
  r.headers.add("content-type", "application/problem+json");
  r.headers.add("cache-control", "no-store");
  r.body = std::move(body);
  return r;
}

}  // namespace

Response problem(const Error& e, std::string_view instance, std::string_view request_id) {
  return render(e, instance, request_id, {});
}

Response problem(const Error& e, const Request& req) { return render(e, req.path, req.ctx.request_id, {}); }

Response problem(const Error& e, const Request& req, std::string_view type) {
  return render(e, req.path, req.ctx.request_id, type);
}

}  // namespace nsl::http
