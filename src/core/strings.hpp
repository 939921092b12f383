// nsl/core/strings.hpp — small string helpers shared by every module: hex, ASCII case, trimming, numbers.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nsl {

std::string to_hex(std::span<const std::uint8_t> bytes);
// Decodes hex (either case, no prefix); nullopt on odd length or a non-hex digit.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex);

std::string ascii_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b) noexcept;
std::string_view trim(std::string_view s) noexcept;
bool is_hex(std::string_view s) noexcept;

// Parses a whole decimal unsigned integer (no sign, no spaces, no overflow).
std::optional<std::uint64_t> parse_u64(std::string_view s) noexcept;

// JSON string escaping (RFC 8259), including control characters; output is valid UTF-8 when input is.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace nsl
