// `nsl attest verify` on the attestation vectors: exit codes (0 valid, 1 invalid, 2 usage/IO) and
// the key lines of the text and JSON output.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli.hpp"
#include "attest/sim_quote.hpp"
#include "core/strings.hpp"
#include "crypto/ed25519.hpp"
#include "harness/harness.hpp"

namespace nsl::app {
namespace {

std::string vec(const std::string& name) { return nsl::testing::source_dir() + "/tests/vectors/attestation/" + name; }

struct CliRun {
  int rc;
  std::string out, err;
};

CliRun cli(std::vector<std::string> args) {
  std::istringstream in;
  std::ostringstream out, err;
  const int rc = run_cli(args, in, out, err);
  return {rc, out.str(), err.str()};
}

TEST(AttestCli, GenuineTdxQuoteWithCollateralIsValid) {
  const CliRun r = cli({"attest", "verify", vec("tdx_v4_phala.bin"), "--collateral",
                     vec("collateral/phala_tdx_b0c06f000000_2025-06"), "--at", "2025-06-19T10:32:27Z"});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok    quote_signature"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok    tcb_info_signature"), std::string::npos);
  EXPECT_NE(r.out.find("mrtd: 91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("tcb status: UpToDate"), std::string::npos);
  EXPECT_NE(r.out.find("tdx module tcb status: UpToDate (TDX_01)"), std::string::npos);
  EXPECT_NE(r.out.find("result: VALID"), std::string::npos);
}

TEST(AttestCli, JsonOutputIsOneObject) {
  const CliRun r = cli({"attest", "verify", vec("sgx_v3_phala.bin"), "--collateral",
                     vec("collateral/phala_sgx_00a067110000_2025-06"), "--at", "1750330571", "--json"});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["kind"], "sgx");
  EXPECT_EQ(j["tcb"]["tcb_status"], "ConfigurationAndSWHardeningNeeded");
  EXPECT_EQ(j["fmspc"], "00a067110000");
  EXPECT_TRUE(j["measurements"].contains("mrenclave"));
}

TEST(AttestCli, TamperedQuoteIsInvalid) {
  const CliRun r = cli({"attest", "verify", vec("sgx_v3_phala_tampered_signature.bin"), "--at", "2025-06-19T10:56:11Z"});
  EXPECT_EQ(r.rc, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  quote_signature"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("result: INVALID - quote_signature"), std::string::npos);

  const CliRun t = cli({"attest", "verify", vec("sgx_v3_phala_tampered_truncated.bin"), "--json"});
  EXPECT_EQ(t.rc, 1) << t.out << t.err;
  const auto j = nlohmann::json::parse(t.out, nullptr, false);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"], "quote: signature data length 4164 exceeds the 4064 bytes that remain");
}

TEST(AttestCli, SyntheticSampleNeedsItsRootAndChain) {
  const std::string dir = vec("collateral/intel_qvl_sample_sgx");
  const std::string chain = ::testing::TempDir() + "/nsl_attest_cli_chain.pem";
  {
    std::ifstream a(dir + "/pck_cert.pem"), b(dir + "/pck_sign_chain.pem");
    std::ofstream o(chain);
    o << a.rdbuf() << "\n" << b.rdbuf();
  }
  std::vector<std::string> args = {"attest", "verify", vec("synthetic_sgx_v3_intel_qvl.bin"), "--pck-chain", chain,
                                   "--collateral", dir, "--at", "2019-09-05T07:47:08Z"};
  CliRun r = cli(args);
  EXPECT_EQ(r.rc, 1) << r.out;  // the Intel root does not anchor it
  EXPECT_NE(r.out.find("FAIL  pck_chain_root_is_trusted"), std::string::npos) << r.out;
  args.push_back("--root");
  args.push_back(dir + "/trusted_root_ca_TEST.pem");
  r = cli(args);
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("info  pck_chain_root_is_intel"), std::string::npos) << r.out;
}

TEST(AttestCli, SimQuoteNeedsAllowSimulated) {
  auto kp = crypto::ed25519_generate();
  std::array<std::uint8_t, 32> m{};
  std::array<std::uint8_t, 64> rd{};
  auto q = attest::sim_quote_create(kp, m, rd);
  ASSERT_TRUE(q.ok());
  const std::string path = ::testing::TempDir() + "/nsl_attest_cli_sim.hex";
  std::ofstream(path) << to_hex(*q) << "\n";  // hex text is accepted too
  CliRun r = cli({"attest", "verify", path});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("simulated quote not allowed (attestation.allow_simulated = false)"), std::string::npos)
      << r.out;
  r = cli({"attest", "verify", path, "--allow-simulated", "--sim-key", to_hex(kp.public_key)});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("SIMULATED"), std::string::npos);
}

TEST(AttestCli, UsageAndIoErrorsExitTwo) {
  EXPECT_EQ(cli({"attest"}).rc, 2);
  EXPECT_EQ(cli({"attest", "help"}).rc, 0);
  EXPECT_EQ(cli({"attest", "frobnicate"}).rc, 2);
  EXPECT_EQ(cli({"attest", "verify"}).rc, 2);
  EXPECT_EQ(cli({"attest", "verify", "/nonexistent/quote.bin"}).rc, 2);
  EXPECT_EQ(cli({"attest", "verify", vec("tdx_v4_phala.bin"), "--bogus"}).rc, 2);
  EXPECT_EQ(cli({"attest", "verify", vec("tdx_v4_phala.bin"), "--at", "yesterday"}).rc, 2);
  EXPECT_EQ(cli({"attest", "verify", vec("tdx_v4_phala.bin"), "--collateral", "/nonexistent"}).rc, 2);
  const CliRun r = cli({"attest", "verify", vec("tdx_v4_phala.bin"), "--root", vec("tdx_v4_phala.json")});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("trusted root"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nsl::app
