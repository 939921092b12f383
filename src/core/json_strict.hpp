// nsl/core/json_strict.hpp — strict JSON text parsing for untrusted input (request bodies, JWTs).
//
//   NSL_TRY_ASSIGN(nlohmann::json claims, parse_json_strict(text, /*max_depth=*/8));
//
// RFC 8259 JSON in UTF-8, one value, no comments, no trailing text, plus two rules nlohmann does
// not enforce by itself:
//   - no duplicate member names in any object (two parsers may pick different values: a classic
//     smuggling vector, e.g. two "alg" or two "sub" members in a JWT);
//   - nesting at most `max_depth` levels (bounds the work and the recursion of later consumers).
// With `require_object` the top-level value must be an object. Errors are invalid_argument; the
// message may quote a member name or a position of the caller's own input, never anything else.
// nlohmann exceptions are caught here and never escape.
//
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/result.hpp"

namespace nsl {

inline constexpr std::size_t kDefaultJsonDepth = 32;

Result<nlohmann::json> parse_json_strict(std::string_view text,
                                         std::size_t max_depth = kDefaultJsonDepth,
                                         bool require_object = true);

// Zeroes every string VALUE in `j` in place (member names stay): a parsed document that carried a
// secret (a secret value, a plaintext) before it is freed.
void wipe_json_strings(nlohmann::json& j) noexcept;

}  // namespace nsl
