// nsl/crypto/testing/vectors.hpp — helpers for crypto tests: locate and parse files under
// tests/vectors/, hex. Test-only (header-only; needs nlohmann_json, which only the test binary
// links). Not for production code.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "core/strings.hpp"
#include "crypto/bytes.hpp"

namespace nsl::crypto::testing {

inline std::string source_dir() {
  if (const char* env = std::getenv("NSL_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
#ifdef NSL_TEST_SOURCE_DIR
  return NSL_TEST_SOURCE_DIR;
#else
  return ".";
#endif
}

// Parses tests/vectors/<relative>; a missing or malformed file fails the calling test and returns
// null.
inline nlohmann::json load_vectors(std::string_view relative) {
  const std::string path = source_dir() + "/tests/vectors/" + std::string(relative);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return nullptr;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "malformed JSON in " << path;
    return nullptr;
  }
  return j;
}

// Decodes hex that the test itself (or a vector file) guarantees to be valid; aborts the test
// binary otherwise.
inline Bytes hex(std::string_view s) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  auto v = from_hex(s);
  if (!v) {
    std::fprintf(stderr, "bad hex in test data: %.*s\n", static_cast<int>(s.size()), s.data());
    std::abort();
  }
  return *v;
}

inline std::string hex_of(ByteSpan b) { return to_hex(b); }

}  // namespace nsl::crypto::testing
