#include "core/result.hpp"

#include <cstdio>

namespace nsl {

void result_bad_access(const Error* e) noexcept {
  // A programming error: value() on an error or error() on a value. Never reachable from input.
  if (e != nullptr) {
    std::fprintf(stderr, "nsl: fatal: Result::value() on error %.*s\n",
                 static_cast<int>(error_code_name(e->code()).size()), error_code_name(e->code()).data());
  } else {
    std::fprintf(stderr, "nsl: fatal: Result::error() on a value\n");
  }
  std::abort();
}

}  // namespace nsl
