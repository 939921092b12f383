#include "core/error.hpp"

namespace nsl {

std::string_view error_code_name(ErrorCode code) noexcept {
  // No default: -Werror=switch makes a new code a compile error until it is named here.
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::unauthenticated: return "unauthenticated";
    case ErrorCode::permission_denied: return "permission_denied";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::method_not_allowed: return "method_not_allowed";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::failed_precondition: return "failed_precondition";
    case ErrorCode::payload_too_large: return "payload_too_large";
    case ErrorCode::unsupported_media_type: return "unsupported_media_type";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::header_too_large: return "header_too_large";
    case ErrorCode::internal: return "internal";
    case ErrorCode::data_loss: return "data_loss";
    case ErrorCode::not_implemented: return "not_implemented";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::deadline_exceeded: return "deadline_exceeded";
  }
  return "internal";
}

std::ostream& operator<<(std::ostream& os, const Error& e) {
  return os << error_code_name(e.code()) << ": " << e.message();
}

}  // namespace nsl
