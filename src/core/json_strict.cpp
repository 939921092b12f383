#include "core/json_strict.hpp"

#include <set>
#include <string>
#include <vector>

#include "core/secret_string.hpp"
#include "core/strings.hpp"

namespace nsl {

using nlohmann::json;

Result<json> parse_json_strict(std::string_view text, std::size_t max_depth, bool require_object) {
  if (trim(text).empty()) return err::invalid_argument("JSON text is empty");
  // nlohmann's lexer takes a NUL byte for the end of input and would ignore everything after it;
  // a raw NUL is never valid in JSON text (inside strings control characters must be escaped).
  if (text.find('\0') != std::string_view::npos) {
    return err::invalid_argument("invalid JSON: NUL byte in the text");
  }
  std::vector<std::set<std::string>> keys;  // member names seen, per open object
  std::string problem;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t ev, json& parsed) -> bool {
    if (!problem.empty()) return false;
    if (static_cast<std::size_t>(depth) > max_depth) {
      problem = "JSON nested deeper than " + std::to_string(max_depth) + " levels";
      return false;
    }
    switch (ev) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
          problem = "duplicate JSON member name \"" + parsed.get<std::string>() + "\"";
          return false;
        }
        break;
      default:
        break;
    }
    return true;
  };
  json j;
  try {
    j = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true,
                    /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    // nlohmann's message names line/column and the offending token from the caller's own input.
    return err::invalid_argument(std::string("invalid JSON: ") + e.what());
  }
  if (!problem.empty()) return err::invalid_argument(problem);
  if (require_object && !j.is_object())
    return err::invalid_argument("JSON value must be an object");
  return j;
}

void wipe_json_strings(nlohmann::json& j) noexcept {
  if (j.is_string()) {
    SecretString::wipe(j.get_ref<std::string&>());
  } else if (j.is_structured()) {
    for (auto& e : j) wipe_json_strings(e);
  }
}

}  // namespace nsl
