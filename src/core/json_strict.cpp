#include "core/json_strict.hpp"

#include <string>
#include <vector>

#include "core/secret_string.hpp"
#include "core/strings.hpp"

namespace nsl {

using nlohmann::json;

namespace {

// Builds the document from nlohmann's SAX events, refusing a member name its object already has and nesting
// deeper than max_depth. Depth as nlohmann's parser callback counts it: the containers open around an event
// (a top-level value is at depth 0, the members of a top-level object at 1).
class StrictBuilder final : public nlohmann::json_sax<json> {
 public:
  explicit StrictBuilder(std::size_t max_depth) : max_depth_(max_depth) {}

  bool null() override { return put(nullptr); }
  bool boolean(bool v) override { return put(v); }
  bool number_integer(number_integer_t v) override { return put(v); }
  bool number_unsigned(number_unsigned_t v) override { return put(v); }
  bool number_float(number_float_t v, const string_t&) override { return put(v); }
  bool string(string_t& v) override { return put(std::move(v)); }
  bool binary(binary_t&) override { return fail("invalid JSON: binary value"); }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (!deep_enough_ok()) return false;
    json& obj = *open_.back();
    auto& members = obj.get_ref<json::object_t&>();
    auto [it, fresh] = members.try_emplace(std::move(k));
    if (!fresh) return fail("duplicate JSON member name \"" + it->first + "\"");
    slot_ = &it->second;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    // nlohmann's message names line/column and the offending token from the caller's own input.
    return fail(std::string("invalid JSON: ") + e.what());
  }

  json take() { return std::move(root_); }
  const std::string& problem() const noexcept { return problem_; }

 private:
  bool fail(std::string why) {
    if (problem_.empty()) problem_ = std::move(why);
    return false;
  }
  bool deep_enough_ok() {
    if (open_.size() > max_depth_) {
      return fail("JSON nested deeper than " + std::to_string(max_depth_) + " levels");
    }
    return true;
  }
  // Where the next value goes: the root, the end of the open array, or the member whose name came last.
  json* place(json&& v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& top = *open_.back();
    if (top.is_array()) {
      auto& a = top.get_ref<json::array_t&>();
      a.push_back(std::move(v));
      return &a.back();
    }
    *slot_ = std::move(v);
    return slot_;
  }
  bool put(json&& v) {
    if (!deep_enough_ok()) return false;
    place(std::move(v));
    return true;
  }
  bool open(json&& container) {
    if (!deep_enough_ok()) return false;
    open_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  std::size_t max_depth_;
  json root_;
  std::vector<json*> open_;  // the containers being filled, outermost first
  json* slot_ = nullptr;     // the member value the last key() made
  std::string problem_;
};

}  // namespace

Result<json> parse_json_strict(std::string_view text, std::size_t max_depth, bool require_object) {
  if (trim(text).empty()) return err::invalid_argument("JSON text is empty");
  // nlohmann's lexer takes a NUL byte for the end of input and would ignore everything after it;
  // a raw NUL is never valid in JSON text (inside strings control characters must be escaped).
  if (text.find('\0') != std::string_view::npos) {
    return err::invalid_argument("invalid JSON: NUL byte in the text");
  }
  StrictBuilder b(max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &b, nlohmann::detail::input_format_t::json, /*strict=*/true,
                         /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    return err::invalid_argument(std::string("invalid JSON: ") + e.what());
  }
  if (!ok) return err::invalid_argument(b.problem().empty() ? std::string("invalid JSON") : b.problem());
  json j = b.take();
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
