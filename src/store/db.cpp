#include "store/db.hpp"

#include <array>
#include <cstdint>
#include <span>

#include "core/random.hpp"

namespace nsl::store {

Result<TenantId> TenantId::parse(std::string_view s) {
  if (s.size() != 36) return err::invalid_argument("tenant id must be a UUID");
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return err::invalid_argument("tenant id must be a UUID");
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return err::invalid_argument("tenant id must be a lowercase UUID");
    }
  }
  return TenantId(std::string(s));
}

TenantId TenantId::generate() {
  std::array<std::uint8_t, 16> b{};
  random_bytes(std::span<std::uint8_t>(b));
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[b[i] >> 4]);
    s.push_back(kHex[b[i] & 0x0f]);
  }
  return TenantId(std::move(s));
}

namespace detail {

std::string dollar_to_qmark(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  std::size_t i = 0;
  const std::size_t n = sql.size();
  while (i < n) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // literal or quoted identifier; a doubled quote stays inside
      const char q = c;
      out.push_back(sql[i++]);
      while (i < n) {
        out.push_back(sql[i]);
        if (sql[i++] == q) {
          if (i < n && sql[i] == q) {
            out.push_back(sql[i++]);
            continue;
          }
          break;
        }
      }
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') out.push_back(sql[i++]);
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const auto end = sql.find("*/", i + 2);
      const std::size_t stop = end == std::string_view::npos ? n : end + 2;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '$' && i + 1 < n && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out.push_back('?');
      ++i;
      while (i < n && sql[i] >= '0' && sql[i] <= '9') out.push_back(sql[i++]);
    } else {
      out.push_back(sql[i++]);
    }
  }
  return out;
}

}  // namespace detail
}  // namespace nsl::store
