#include "http/json_body.hpp"

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/strings.hpp"

namespace nsl::http {

using nlohmann::json;

namespace {
bool is_json_media_type(std::string_view ct) {
  std::string_view type = trim(ct.substr(0, ct.find(';')));
  std::string lower = ascii_lower(type);
  if (lower == "application/json") return true;
  return lower.rfind("application/", 0) == 0 && lower.size() > 17 &&
         lower.compare(lower.size() - 5, 5, "+json") == 0;
}
}  // namespace

Result<json> parse_json_strict(std::string_view text, std::size_t max_depth, bool require_object) {
  if (trim(text).empty()) return err::invalid_argument("request body is empty; a JSON object is required");
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
    j = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    // nlohmann's message names line/column and the offending token from the client's own input.
    return err::invalid_argument(std::string("invalid JSON: ") + e.what());
  }
  if (!problem.empty()) return err::invalid_argument(problem);
  if (require_object && !j.is_object()) return err::invalid_argument("request body must be a JSON object");
  return j;
}

Result<json> parse_json_body(const Request& req, std::size_t max_depth) {
  auto ct = req.headers.get("content-type");
  if (!ct || !is_json_media_type(*ct)) {
    return Error(ErrorCode::unsupported_media_type, "request body must be sent as Content-Type: application/json");
  }
  return parse_json_strict(req.body, max_depth, true);
}

}  // namespace nsl::http
