// nsl/store/row_values.hpp — reading typed values out of a store::Row and making nullable parameters,
// shared by the service repositories (both back ends hand every column back as text or NULL).
//
//   using store::row::to_int;
//   NSL_TRY_ASSIGN(k.created_at, to_int(row[7]));
//
// Errors: internal for a NULL where a value must be, or text that is not the expected integer (a
// stored row the code did not write). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "store/db.hpp"

namespace nsl::store::row {

// A signed 64-bit integer column (decimal text, optional leading '-').
Result<std::int64_t> to_int(const std::optional<std::string>& v);
// The same for a nullable column: NULL gives nullopt.
Result<std::optional<std::int64_t>> to_opt_int(const std::optional<std::string>& v);
// A version number column: 0..2^32-1.
Result<std::uint32_t> to_u32(const std::optional<std::string>& v);
// A nullable integer parameter.
Param opt_param(const std::optional<std::int64_t>& v);
// A version number parameter (the columns are 64-bit integers).
inline Param u32_param(std::uint32_t v) { return Param(static_cast<std::int64_t>(v)); }

}  // namespace nsl::store::row
