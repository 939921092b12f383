// nsl/attest/testing/attest_vectors.hpp — test-only helpers for tests/vectors/attestation/: read a
// vector file, list the sidecars, build VerifyOptions the way a sidecar describes them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attest/verify.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::attest::testing {

inline std::string vector_dir() { return crypto::testing::source_dir() + "/tests/vectors/attestation"; }

inline std::string read_text(const std::string& relative) {
  std::ifstream in(vector_dir() + "/" + relative, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot open " << vector_dir() << "/" << relative;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline crypto::Bytes read_bytes(const std::string& relative) {
  const std::string s = read_text(relative);
  return crypto::Bytes(s.begin(), s.end());
}

inline bool exists(const std::string& relative) { return std::filesystem::exists(vector_dir() + "/" + relative); }

// Sidecar file names (*.json in the folder, sorted).
inline std::vector<std::string> sidecars() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(vector_dir())) {
    if (e.path().extension() == ".json") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline nlohmann::json sidecar(const std::string& name) {
  return nlohmann::json::parse(read_text(name), nullptr, false);
}

inline std::chrono::sys_seconds at(const std::string& rfc3339) {
  auto t = parse_time(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : std::chrono::sys_seconds{};
}

// Options as the sidecar describes them: now = reference_time, its collateral, its trusted root
// (synthetic samples), and the separately supplied PCK chain where the collateral dir has one.
inline VerifyOptions options_for(const nlohmann::json& sc) {
  VerifyOptions o;
  if (sc.contains("reference_time") && sc["reference_time"].is_string()) o.now = at(sc["reference_time"]);
  if (sc.contains("trusted_root") && sc["trusted_root"].is_string()) {
    o.trusted_root = read_bytes(sc["trusted_root"].get<std::string>());
  }
  if (sc.contains("collateral_dir") && sc["collateral_dir"].is_string()) {
    const std::string dir = sc["collateral_dir"];
    auto c = load_collateral(vector_dir() + "/" + dir);
    EXPECT_TRUE(c.ok()) << dir << ": " << (c.ok() ? "" : c.error().message());
    if (c.ok()) o.collateral = std::move(*c);
    if (exists(dir + "/pck_cert.pem")) {
      o.pck_chain_pem = read_text(dir + "/pck_cert.pem") + "\n" + read_text(dir + "/pck_sign_chain.pem");
    }
  }
  return o;
}

}  // namespace nsl::attest::testing
