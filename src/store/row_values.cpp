// Typed row values: see row_values.hpp.
#include "store/row_values.hpp"

#include <cstdint>
#include <string_view>

#include "core/strings.hpp"

namespace nsl::store::row {

Result<std::int64_t> to_int(const std::optional<std::string>& v) {
  if (!v) return err::internal("unexpected NULL in a stored row");
  std::string_view s = *v;
  const bool neg = !s.empty() && s.front() == '-';
  if (neg) s.remove_prefix(1);
  auto u = parse_u64(s);
  if (!u || *u > static_cast<std::uint64_t>(INT64_MAX)) return err::internal("malformed integer in a stored row");
  const auto out = static_cast<std::int64_t>(*u);
  return neg ? -out : out;
}

Result<std::optional<std::int64_t>> to_opt_int(const std::optional<std::string>& v) {
  if (!v) return std::optional<std::int64_t>();
  NSL_TRY_ASSIGN(std::int64_t i, to_int(v));
  return std::optional<std::int64_t>(i);
}

Result<std::uint32_t> to_u32(const std::optional<std::string>& v) {
  NSL_TRY_ASSIGN(std::int64_t i, to_int(v));
  if (i < 0 || i > static_cast<std::int64_t>(UINT32_MAX)) return err::internal("stored version out of range");
  return static_cast<std::uint32_t>(i);
}

Param opt_param(const std::optional<std::int64_t>& v) {
  if (!v) return Param(nullptr);
  return Param(*v);
}

}  // namespace nsl::store::row
