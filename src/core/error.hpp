// nsl/core/error.hpp — the one error vocabulary of nsl.
//
// Every module reports failure as an `Error`: a code from the closed `ErrorCode` enum plus a message that is safe
// to show a client (no secrets, no internal paths, no SQL). Internal detail goes to the log, not into `message`.
// The HTTP layer maps codes to status codes in exactly one table (http/problem.cpp); the enclave protocol mirrors
// the enum. Choose the code by what the caller should do next:
//   invalid_argument     the request is malformed; fix it, do not retry as is            (400)
//   unauthenticated      no or bad credentials                                            (401)
//   permission_denied    authenticated, but not allowed                                   (403)
//   not_found            absent, or not visible to this caller (never confirm existence) (404)
//   method_not_allowed   path exists, method does not                                     (405)
//   conflict             state changed under you / duplicate / idempotency mismatch       (409)
//   failed_precondition  the resource is in a state that forbids this (disabled key)     (409)
//   payload_too_large    body over the configured limit                                   (413)
//   unsupported_media_type  body content type not accepted                                (415)
//   rate_limited         over quota; retry after the advertised delay                     (429)
//   header_too_large     request header section over the limit                            (431)
//   internal             a bug or broken invariant; alert                                 (500)
//   data_loss            stored data failed an integrity check; alert                     (500)
//   not_implemented      feature not available in this build/mode                         (501)
//   unavailable          a dependency is down or we are draining; retry with backoff      (503)
//   deadline_exceeded    timed out; the operation may or may not have happened            (504)
//
// Thread-safety: value types, no shared state.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace nsl {

enum class ErrorCode : std::uint8_t {
  invalid_argument,
  unauthenticated,
  permission_denied,
  not_found,
  method_not_allowed,
  conflict,
  failed_precondition,
  payload_too_large,
  unsupported_media_type,
  rate_limited,
  header_too_large,
  internal,
  data_loss,
  not_implemented,
  unavailable,
  deadline_exceeded,
};

// Stable snake_case name of a code ("not_found"); used in problem types, logs and metrics labels.
std::string_view error_code_name(ErrorCode code) noexcept;

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const noexcept { return code_; }
  // Client-safe description.
  const std::string& message() const noexcept { return message_; }

  friend bool operator==(const Error&, const Error&) = default;

 private:
  ErrorCode code_;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Error& e);

// Factories, one per code, so call sites read as prose: `return err::not_found("key not found");`
namespace err {
inline Error invalid_argument(std::string m) { return {ErrorCode::invalid_argument, std::move(m)}; }
inline Error unauthenticated(std::string m) { return {ErrorCode::unauthenticated, std::move(m)}; }
inline Error permission_denied(std::string m) { return {ErrorCode::permission_denied, std::move(m)}; }
inline Error not_found(std::string m) { return {ErrorCode::not_found, std::move(m)}; }
inline Error conflict(std::string m) { return {ErrorCode::conflict, std::move(m)}; }
inline Error failed_precondition(std::string m) { return {ErrorCode::failed_precondition, std::move(m)}; }
inline Error rate_limited(std::string m) { return {ErrorCode::rate_limited, std::move(m)}; }
inline Error internal(std::string m) { return {ErrorCode::internal, std::move(m)}; }
inline Error data_loss(std::string m) { return {ErrorCode::data_loss, std::move(m)}; }
inline Error not_implemented(std::string m) { return {ErrorCode::not_implemented, std::move(m)}; }
inline Error unavailable(std::string m) { return {ErrorCode::unavailable, std::move(m)}; }
inline Error deadline_exceeded(std::string m) { return {ErrorCode::deadline_exceeded, std::move(m)}; }
}  // namespace err

}  // namespace nsl
