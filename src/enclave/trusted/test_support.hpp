// nsl/enclave/trusted/test_support.hpp — helpers shared by the enclave/trusted unit tests
// (test-only; no library source includes it): bindings, hex, recorded attestation vectors and fake
// platform trees.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

#include "core/strings.hpp"
#include "enclave/enclave.hpp"
#include "harness/harness.hpp"

namespace nsl::enclave::trusted::testing {

inline Binding binding(std::string tenant = "tenant-a", std::string object = "key-1",
                       std::uint32_t version = 1, std::string purpose = "signing") {
  return Binding{std::move(tenant), std::move(object), version, std::move(purpose)};
}

inline Bytes hex(std::string_view h) {
  auto v = from_hex(h);
  EXPECT_TRUE(v.has_value()) << h;
  return v.value_or(Bytes{});
}

inline Bytes str_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline std::string vector_path(const std::string& name) {
  return nsl::testing::source_dir() + "/tests/vectors/attestation/" + name;
}

inline Bytes read_vector(const std::string& name) {
  const std::string s = nsl::testing::read_file(vector_path(name));
  EXPECT_FALSE(s.empty()) << "missing test vector " << vector_path(name);
  return Bytes(s.begin(), s.end());
}

// Any file as bytes (empty when unreadable).
inline Bytes read_vector_at(const std::string& path) {
  const std::string s = nsl::testing::read_file(path);
  return Bytes(s.begin(), s.end());
}

// The first `"<field>": "<hex>"` of a sidecar JSON (the "decoded" block comes before the QE
// report).
inline Bytes sidecar_hex(const std::string& json_name, const std::string& field) {
  const std::string json = nsl::testing::read_file(vector_path(json_name));
  const std::string key = "\"" + field + "\": \"";
  const auto at = json.find(key);
  EXPECT_NE(at, std::string::npos) << field << " not in " << json_name;
  if (at == std::string::npos) return {};
  const auto start = at + key.size();
  return hex(json.substr(start, json.find('"', start) - start));
}

inline std::array<std::uint8_t, 64> to_rd(const Bytes& b) {
  std::array<std::uint8_t, 64> out{};
  EXPECT_EQ(b.size(), out.size());
  std::copy_n(b.begin(), std::min(b.size(), out.size()), out.begin());
  return out;
}

inline std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }

// A fake Gramine /dev/attestation serving `quote` (and an SGX report built from the quote's body).
inline void write_fake_gramine(const nsl::testing::TempDir& root, const Bytes& quote,
                               std::string_view attestation_type = "dcap") {
  root.write_file("dev/attestation/attestation_type", attestation_type);
  root.write_file("dev/attestation/user_report_data", std::string(64, '\0'));
  root.write_file("dev/attestation/quote", as_string(quote));
  // sgx_report_t: body (384) || key_id (32) || mac (16); a v3 quote's body sits at [48, 432).
  std::string report(quote.begin() + 48, quote.begin() + 48 + 384);
  report.append(48, '\0');
  root.write_file("dev/attestation/report", report);
  root.write_file("dev/attestation/keys/_sgx_mrenclave", std::string(16, '\x11'));
  root.write_file("dev/attestation/keys/_sgx_mrsigner", std::string(16, '\x22'));
}

// A pre-created configfs-tsm entry `entry` serving `outblob`.
inline std::string write_fake_tsm(const nsl::testing::TempDir& root, const std::string& entry,
                                  const Bytes& outblob, std::string_view provider) {
  const std::string dir = "sys/kernel/config/tsm/report/" + entry;
  root.write_file(dir + "/inblob", "");
  root.write_file(dir + "/outblob", as_string(outblob));
  root.write_file(dir + "/provider", std::string(provider) + "\n");
  root.write_file(dir + "/generation", "0\n");
  return root.path() + "/" + dir;
}

}  // namespace nsl::enclave::trusted::testing
