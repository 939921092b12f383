// Fuzz target `json_body`: request body text -> nsl::http::parse_json_strict (http/json_body.hpp): one JSON object,
// RFC 8259 / UTF-8, no duplicate member names, nesting capped.
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - parse ok (defaults: depth 32, object required) => the value is an object; dump() does not throw; the dump
//     parses again with parse_json_strict to an equal value (and so does the pretty-printed dump);
//   - the same text with require_object = false: ok whenever the object parse is, with the same value; when it is
//     an object, the object parse is ok too;
//   - with max_depth = 3: ok only if the depth-32 parse is, with the same value;
//   - nlohmann::json::accept(text) is true for everything parse_json_strict accepts, and a text it accepts is
//     rejected only for a duplicate member name, the depth cap or a NUL byte (accept() stops at one);
//   - every error is invalid_argument; no exception escapes.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/json_body.hpp"

namespace {

using nlohmann::json;
using nsl::fuzz::check;
constexpr const char* kName = "json_body";

void check_error(const nsl::Error& e) {
  check(e.code() == nsl::ErrorCode::invalid_argument, kName, "error is not invalid_argument", e.message());
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

void round_trip(const json& j, int indent) {
  const std::string text = j.dump(indent);
  auto back = nsl::http::parse_json_strict(text, nsl::http::kDefaultJsonDepth, false);
  check(back.ok(), kName, "the dump of an accepted value does not parse again",
        back ? text : back.error().message() + "\n  " + text);
  check(*back == j, kName, "the dump of an accepted value parses to a different value", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto object = nsl::http::parse_json_strict(text);
    auto any = nsl::http::parse_json_strict(text, nsl::http::kDefaultJsonDepth, false);
    auto shallow = nsl::http::parse_json_strict(text, 3, false);
    const bool accepted = json::accept(text.begin(), text.end());

    if (object.ok()) {
      check(object->is_object(), kName, "parse_json_strict returned a non-object");
      check(any.ok() && *any == *object, kName, "require_object = false changes an accepted object");
      round_trip(*object, -1);
      round_trip(*object, 2);
    } else {
      check_error(object.error());
    }
    if (any.ok()) {
      check(accepted, kName, "parse_json_strict accepts what json::accept rejects");
      check(object.ok() == any->is_object(), kName, "require_object disagrees with is_object()");
      round_trip(*any, -1);
    } else {
      check_error(any.error());
      check(!object.ok(), kName, "require_object = false rejects an accepted object");
      if (accepted) {
        const std::string& m = any.error().message();
        // json::accept stops at a NUL byte (nlohmann's end-of-input marker); the strict parser rejects it.
        check(starts_with(m, "duplicate JSON member name") || starts_with(m, "JSON nested deeper than") ||
                  (text.find('\0') != std::string_view::npos && m == "invalid JSON: NUL byte in the text"),
              kName, "valid JSON rejected for a reason other than duplicates, depth or a NUL byte", m);
      }
    }
    if (shallow.ok()) {
      check(any.ok() && *shallow == *any, kName, "max_depth 3 accepts what max_depth 32 rejects");
    } else {
      check_error(shallow.error());
    }
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "exception escaped", e.what());
  }
  return 0;
}
