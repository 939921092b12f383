// nsl/core/result.hpp — value-or-error return type used across module boundaries.
//
//   Result<Key> load(std::string_view id);
//   NSL_TRY_ASSIGN(key, load(id));      // returns the Error to the caller on failure
//   NSL_TRY(check(key));                // same, for Result<void> (alias Status)
//
// No exceptions cross a module boundary; third-party throws are caught at the edge and turned into an Error.
// The success path does not allocate beyond what T itself needs. Calling value() on an error is a bug: it aborts.
#pragma once

#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.hpp"

namespace nsl {

[[noreturn]] void result_bad_access(const Error* e) noexcept;

template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is meaningless");

 public:
  using value_type = T;

  Result(const T& v) : v_(std::in_place_index<0>, v) {}         // NOLINT(google-explicit-constructor)
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}   // NOLINT(google-explicit-constructor)
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT(google-explicit-constructor)
  template <class U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result>)
  Result(U&& u) : v_(std::in_place_index<0>, std::forward<U>(u)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { check(); return *std::get_if<0>(&v_); }
  const T& value() const& { check(); return *std::get_if<0>(&v_); }
  T&& value() && { check(); return std::move(*std::get_if<0>(&v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& fallback) const& { return ok() ? value() : static_cast<T>(std::forward<U>(fallback)); }

  const Error& error() const& {
    if (ok()) result_bad_access(nullptr);
    return *std::get_if<1>(&v_);
  }
  Error&& error() && {
    if (ok()) result_bad_access(nullptr);
    return std::move(*std::get_if<1>(&v_));
  }

 private:
  void check() const {
    if (!ok()) result_bad_access(std::get_if<1>(&v_));
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : e_(std::move(e)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return !e_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  void value() const {
    if (e_) result_bad_access(&*e_);
  }
  const Error& error() const& {
    if (!e_) result_bad_access(nullptr);
    return *e_;
  }
  Error&& error() && {
    if (!e_) result_bad_access(nullptr);
    return std::move(*e_);
  }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;
inline Status ok_status() { return {}; }

}  // namespace nsl

#define NSL_CONCAT_INNER_(a, b) a##b
#define NSL_CONCAT_(a, b) NSL_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result) from the enclosing function.
#define NSL_TRY(expr)                                            \
  do {                                                           \
    auto&& nsl_try_r_ = (expr);                                  \
    if (!nsl_try_r_.ok()) return std::move(nsl_try_r_).error();  \
  } while (0)

// Declares `decl` initialised with the value of `expr`, or returns its error.
#define NSL_TRY_ASSIGN(decl, expr) NSL_TRY_ASSIGN_IMPL_(NSL_CONCAT_(nsl_try_, __LINE__), decl, expr)
#define NSL_TRY_ASSIGN_IMPL_(tmp, decl, expr)            \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return std::move(tmp).error();          \
  decl = std::move(tmp).value()
