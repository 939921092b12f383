#include "core/json_dump.hpp"

#include <charconv>
#include <cstdint>

namespace nsl {
namespace {

// Printable ASCII other than '"' and '\': written by dump() as it is.
bool plain(std::string_view s) noexcept {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

void append_string(std::string& out, const std::string& s) {
  if (plain(s)) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return;
  }
  out.append(nlohmann::json(s).dump());  // escapes, and throws for invalid UTF-8, as dump() does
}

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

void append_json(std::string& out, const nlohmann::json& j) {
  using V = nlohmann::json::value_t;
  switch (j.type()) {
    case V::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = j.cbegin(); it != j.cend(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, it.key());
        out.push_back(':');
        append_json(out, it.value());
      }
      out.push_back('}');
      return;
    }
    case V::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : j) {
        if (!first) out.push_back(',');
        first = false;
        append_json(out, e);
      }
      out.push_back(']');
      return;
    }
    case V::string:
      append_string(out, j.get_ref<const std::string&>());
      return;
    case V::boolean:
      out.append(j.get<bool>() ? "true" : "false");
      return;
    case V::null:
      out.append("null");
      return;
    case V::number_integer:
      append_int(out, j.get<std::int64_t>());
      return;
    case V::number_unsigned:
      append_int(out, j.get<std::uint64_t>());
      return;
    default:  // number_float, binary, discarded: nlohmann's own text
      out.append(j.dump());
      return;
  }
}

std::string dump_json(const nlohmann::json& j) {
  std::string out;
  out.reserve(256);
  append_json(out, j);
  return out;
}

}  // namespace nsl
