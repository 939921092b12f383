#include "http/json_body.hpp"

#include <nlohmann/json.hpp>
#include <string>

#include "core/json_strict.hpp"
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
  // The checks live in core (auth parses JWTs with them too); http keeps its body-specific wording.
  if (trim(text).empty()) return err::invalid_argument("request body is empty; a JSON object is required");
  NSL_TRY_ASSIGN(json j, nsl::parse_json_strict(text, max_depth, /*require_object=*/false));
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
