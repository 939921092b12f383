// fuzz/fuzz_check.hpp — invariant checks shared by the fuzz targets (test code, header-only).
//
// A violated invariant prints the target, what was expected and an optional detail (an error message, a hex dump),
// then aborts: libFuzzer records the input as a crash, the replay binary prints the input's path.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace nsl::fuzz {

[[noreturn]] inline void fail(std::string_view target, std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "%.*s invariant violated: %.*s\n", static_cast<int>(target.size()), target.data(),
               static_cast<int>(what.size()), what.data());
  if (!detail.empty()) {
    const auto n = static_cast<int>(std::min<std::size_t>(detail.size(), 4000));
    std::fprintf(stderr, "  %.*s\n", n, detail.data());
  }
  std::abort();
}

inline void check(bool ok, std::string_view target, std::string_view what, std::string_view detail = {}) {
  if (!ok) fail(target, what, detail);
}

inline std::string hex(std::span<const std::uint8_t> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (std::uint8_t x : b) {
    out.push_back(kDigits[x >> 4]);
    out.push_back(kDigits[x & 15]);
  }
  return out;
}

inline bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace nsl::fuzz
