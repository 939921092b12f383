// verify_quote() against every sidecar of tests/vectors/attestation/ (per-check results, TCB
// statuses, decoded fields), plus the negative cases of README §4 and §6.
#include "attest/verify.hpp"

#include <gtest/gtest.h>

#include <set>

#include "attest/testing/attest_vectors.hpp"
#include "core/strings.hpp"
#include "crypto/hash.hpp"

namespace nsl::attest {
namespace {

using nlohmann::json;
using testing::at;
using testing::options_for;
using testing::read_bytes;
using testing::sidecar;
using testing::sidecars;

// Checks the verifier adds beyond the sidecars' names; each must pass on every untampered vector.
const std::set<std::string> kExtraChecks = {"pck_chain_root_is_trusted", "pceid_matches_tcb_info",
                                            "collateral_matches_tee_type", "tcb_not_revoked"};

std::string expected_str(const json& e, const char* key) {
  return e.contains(key) && e[key].is_string() ? e[key].get<std::string>() : std::string();
}

TEST(AttestVerify, PinnedIntelRootIsTheKnownCertificate) {
  EXPECT_EQ(to_hex(crypto::sha256(intel_sgx_root_ca_der())),
            "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3");
  const auto file = read_bytes("intel_sgx_root_ca.der");
  EXPECT_TRUE(std::equal(file.begin(), file.end(), intel_sgx_root_ca_der().begin(), intel_sgx_root_ca_der().end()));
}

TEST(AttestVerify, EverySidecarMatchesCheckByCheck) {
  const auto names = sidecars();
  ASSERT_GE(names.size(), 22u);
  int compared_checks = 0;
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    json sc = sidecar(name);
    ASSERT_TRUE(sc.is_object());
    json& e = sc["expected"];
    const auto quote = read_bytes(sc["quote_file"].get<std::string>());
    ASSERT_EQ(quote.size(), sc["size"].get<std::size_t>());
    ASSERT_EQ(to_hex(crypto::sha256(quote)), sc["sha256"].get<std::string>());
    const VerifyOptions opt = options_for(sc);
    auto v = verify_quote(quote, opt);
    if (e["parse"] == false) {
      ASSERT_FALSE(v.ok());
      EXPECT_EQ(v.error().code(), ErrorCode::invalid_argument);
      continue;
    }
    ASSERT_TRUE(v.ok()) << v.error().message();
    bool expected_ok = true;
    for (const auto& [check, want] : e.items()) {
      if (!want.is_boolean()) continue;
      const Check* c = v->find(check);
      ASSERT_NE(c, nullptr) << "verdict has no check " << check;
      EXPECT_EQ(c->passed, want.get<bool>()) << check << ": " << c->reason;
      ++compared_checks;
      if (c->required && !want.get<bool>()) expected_ok = false;
    }
    for (const Check& c : v->checks) {
      const bool must_pass =
          kExtraChecks.count(c.name) != 0 && sc["kind"] != "tampered" && name.find("synthetic_tdx") == std::string::npos;
      if (must_pass) {
        EXPECT_TRUE(c.passed) << c.name << ": " << c.reason;
      }
    }
    EXPECT_EQ(v->ok, expected_ok) << v->first_failure;
    if (sc["kind"] == "tampered") {
      EXPECT_FALSE(v->ok);
    }
    EXPECT_EQ(v->ok, v->first_failure.empty());

    ASSERT_TRUE(v->tcb.has_value());
    EXPECT_EQ(v->tcb->tcb_status, expected_str(e, "tcb_status"));
    EXPECT_EQ(v->tcb->qe_tcb_status, expected_str(e, "qe_tcb_status"));
    if (e.contains("tdx_module_tcb_status")) {
      ASSERT_TRUE(v->tcb->tdx_module_tcb_status.has_value());
      EXPECT_EQ(*v->tcb->tdx_module_tcb_status, expected_str(e, "tdx_module_tcb_status"));
    } else {
      EXPECT_FALSE(v->tcb->tdx_module_tcb_status.has_value());
    }
    if (sc.contains("collateral_summary")) {
      json& lvl = sc["collateral_summary"]["tcb_level_matched"];
      if (lvl.contains("advisoryIDs")) {
        EXPECT_EQ(json(v->tcb->advisory_ids), lvl["advisoryIDs"]);
      }
    }

    // Decoded fields and identity.
    EXPECT_EQ(v->kind, sc["tee_type"] == "TDX" ? QuoteKind::tdx : QuoteKind::sgx);
    EXPECT_EQ(v->quote_version, sc["quote_version"].get<int>());
    EXPECT_EQ(v->body_type, sc["body_type"].get<int>());
    const auto ms = v->measurements();
    for (const auto& [field, value] : sc["decoded"].items()) {
      if (field == "report_data") {
        EXPECT_EQ(to_hex(v->report_data), value.get<std::string>());
        continue;
      }
      const std::string key = field;  // clang-14: no structured bindings in lambda captures
      auto it = std::find_if(ms.begin(), ms.end(), [&key](const auto& p) { return p.first == key; });
      ASSERT_NE(it, ms.end()) << "no measurement " << field;
      EXPECT_EQ(it->second, value.is_string() ? value.get<std::string>() : value.dump()) << field;
    }
    if (sc.contains("pck_sgx_extension")) {
      EXPECT_EQ(v->fmspc, sc["pck_sgx_extension"]["fmspc"].get<std::string>());
      EXPECT_EQ(v->pceid, sc["pck_sgx_extension"]["pceid"].get<std::string>());
    }
  }
  std::printf("[attest] %zu sidecars, %d per-check comparisons\n", names.size(), compared_checks);
}

TEST(AttestVerify, GenuineQuotesVerifyWithAndWithoutCollateral) {
  int n = 0;
  for (const std::string& name : sidecars()) {
    json sc = sidecar(name);
    if (sc["kind"] != "real") continue;
    SCOPED_TRACE(name);
    ++n;
    const auto quote = read_bytes(sc["quote_file"].get<std::string>());
    VerifyOptions opt = options_for(sc);
    ASSERT_TRUE(opt.trusted_root.empty());  // the pinned Intel root
    auto v = verify_quote(quote, opt);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->ok) << v->first_failure;
    EXPECT_TRUE(v->find("pck_chain_root_is_intel")->passed);
    opt.collateral.reset();
    v = verify_quote(quote, opt);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->ok) << v->first_failure;
    EXPECT_FALSE(v->tcb.has_value());
    EXPECT_EQ(v->find("tcb_info_signature"), nullptr);
    // The chain in collateral/pck_chains/ is the one inside the quote.
    opt.pck_chain_pem = testing::read_text(sc["pck_chain_pem_file"].get<std::string>());
    v = verify_quote(quote, opt);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->ok) << v->first_failure;
  }
  EXPECT_EQ(n, 9);
}

TEST(AttestVerify, TamperedQuotesFailWithTheirSpecificReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sgx_v3_phala_tampered_signature", "quote_signature: "},
      {"sgx_v3_phala_tampered_report_data", "quote_signature: "},
      {"sgx_v3_phala_tampered_mrenclave", "quote_signature: "},
      {"sgx_v3_phala_tampered_qe_report", "qe_report_signature: "},
      {"sgx_v3_phala_tampered_attest_key", "attest_key_on_curve: "},
      {"tdx_v4_phala_tampered_signature", "quote_signature: "},
      {"tdx_v4_phala_tampered_report_data", "quote_signature: "},
      {"tdx_v4_phala_tampered_mrtd", "quote_signature: "},
      {"tdx_v4_phala_tampered_qe_auth_data", "qe_report_data_binding: "},
      {"tdx_v5_phala_tampered_mrtd", "quote_signature: "},
  };
  for (const auto& [name, prefix] : cases) {
    SCOPED_TRACE(name);
    json sc = sidecar(name + ".json");
    auto v = verify_quote(read_bytes(name + ".bin"), options_for(sc));
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->ok);
    EXPECT_EQ(v->first_failure.rfind(prefix, 0), 0u) << v->first_failure;
  }
  // The QE auth data change breaks only the binding: both signatures still verify.
  auto v = verify_quote(read_bytes("tdx_v4_phala_tampered_qe_auth_data.bin"),
                        options_for(sidecar("tdx_v4_phala_tampered_qe_auth_data.json")));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->find("quote_signature")->passed);
  EXPECT_TRUE(v->find("qe_report_signature")->passed);
  EXPECT_FALSE(v->find("qe_report_data_binding")->passed);
}

TEST(AttestVerify, TruncatedQuoteGivesTheParseError) {
  auto v = verify_quote(read_bytes("sgx_v3_phala_tampered_truncated.bin"), VerifyOptions{});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(v.error().message(), "quote: signature data length 4164 exceeds the 4064 bytes that remain");
}

TEST(AttestVerify, SyntheticSamplesVerifyOnlyUnderTheirTestRoot) {
  for (const char* name : {"synthetic_sgx_v3_intel_qvl", "synthetic_tdx_v4_intel_qvl"}) {
    SCOPED_TRACE(name);
    json sc = sidecar(std::string(name) + ".json");
    const auto quote = read_bytes(std::string(name) + ".bin");
    VerifyOptions opt = options_for(sc);
    ASSERT_FALSE(opt.trusted_root.empty());
    auto v = verify_quote(quote, opt);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->find("pck_chain_root_is_trusted")->passed);
    EXPECT_FALSE(v->find("pck_chain_root_is_intel")->passed);
    // The TDX sample's QE identity does not match its QE report (README §1.2); the SGX one verifies.
    EXPECT_EQ(v->ok, std::string(name) == "synthetic_sgx_v3_intel_qvl") << v->first_failure;

    opt.trusted_root.clear();  // the Intel root
    v = verify_quote(quote, opt);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->ok);
    const Check* c = v->find("pck_chain_root_is_trusted");
    EXPECT_FALSE(c->passed);
    EXPECT_NE(c->reason.find("chain does not lead to the trusted root"), std::string::npos) << c->reason;
    EXPECT_TRUE(v->find("pck_chain_signatures")->passed);  // the chain itself is consistent
    EXPECT_EQ(v->first_failure.rfind("pck_chain_root_is_trusted: ", 0), 0u) << v->first_failure;
    EXPECT_FALSE(v->find("tcb_info_signature")->passed);  // its signer chains to the test root too
  }
}

TEST(AttestVerify, TypeOneQuoteWithoutExternalChainFails) {
  VerifyOptions opt;
  opt.now = at("2019-09-05T07:47:08Z");
  opt.trusted_root = read_bytes("collateral/intel_qvl_sample_sgx/trusted_root_ca_TEST.pem");
  auto v = verify_quote(read_bytes("synthetic_sgx_v3_intel_qvl.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_NE(v->first_failure.find("certification data type 1"), std::string::npos) << v->first_failure;
}

TEST(AttestVerify, TodayEveryCollateralSetHasExpired) {
  int n = 0;
  for (const std::string& name : sidecars()) {
    json sc = sidecar(name);
    // The Intel QVL TDX test collateral runs to 2031 (checked below).
    if (sc["kind"] == "tampered" || name == "synthetic_tdx_v4_intel_qvl.json") continue;
    SCOPED_TRACE(name);
    VerifyOptions opt = options_for(sc);
    opt.now = at("2026-11-29T00:00:00Z");
    auto v = verify_quote(read_bytes(sc["quote_file"].get<std::string>()), opt);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->find("collateral_time_valid")->passed);
    EXPECT_TRUE(v->find("collateral_window_nonempty")->passed);
    EXPECT_FALSE(v->ok);
    ++n;
  }
  EXPECT_EQ(n, 10);
  VerifyOptions opt = options_for(sidecar("synthetic_tdx_v4_intel_qvl.json"));
  opt.now = at("2026-11-29T00:00:00Z");
  auto v = verify_quote(read_bytes("synthetic_tdx_v4_intel_qvl.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->find("collateral_time_valid")->passed) << v->find("collateral_time_valid")->reason;
  opt.now = at("2031-08-05T00:00:00Z");  // both CRLs' nextUpdate is 2031-08-04
  v = verify_quote(read_bytes("synthetic_tdx_v4_intel_qvl.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->find("collateral_time_valid")->passed);
  EXPECT_NE(v->find("collateral_time_valid")->reason.find("CRL"), std::string::npos);
}

TEST(AttestVerify, ForeignCollateralFailsFmspcAndCrlIssuer) {
  VerifyOptions opt = options_for(sidecar("sgx_v3_phala.json"));
  auto c = load_collateral(testing::vector_dir() + "/collateral/automata_sgx_00606a000000_2025-08");
  ASSERT_TRUE(c.ok());
  opt.collateral = std::move(*c);
  opt.now = at("2025-08-15T05:41:26Z");
  auto v = verify_quote(read_bytes("sgx_v3_phala.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_FALSE(v->find("fmspc_matches_tcb_info")->passed);
  EXPECT_NE(v->find("fmspc_matches_tcb_info")->reason.find("00a067110000"), std::string::npos);
  EXPECT_FALSE(v->find("pck_crl_issuer_matches_pck_issuer")->passed);
  EXPECT_TRUE(v->find("tcb_info_signature")->passed);
  EXPECT_TRUE(v->find("pck_crl_signature")->passed);
}

TEST(AttestVerify, SgxQuoteWithTdxCollateralIsRejected) {
  VerifyOptions opt = options_for(sidecar("sgx_v3_phala.json"));
  auto c = load_collateral(testing::vector_dir() + "/collateral/phala_tdx_b0c06f000000_2025-06");
  ASSERT_TRUE(c.ok());
  opt.collateral = std::move(*c);
  auto v = verify_quote(read_bytes("sgx_v3_phala.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_FALSE(v->find("collateral_matches_tee_type")->passed);
  EXPECT_FALSE(v->find("qe_identity_matches")->passed);
}

TEST(AttestVerify, TcbStatusTable) {
  struct Row {
    const char* name;
    const char* status;
    std::vector<std::string> advisories;
    const char* module;  // "" = none
  };
  const std::vector<Row> rows = {
      {"sgx_v3_phala", "ConfigurationAndSWHardeningNeeded", {"INTEL-SA-00289", "INTEL-SA-00615"}, ""},
      {"sgx_v3_automata", "SWHardeningNeeded", {"INTEL-SA-00615"}, ""},
      {"sgx_v3_automata_go", "SWHardeningNeeded", {"INTEL-SA-00615"}, ""},
      {"tdx_v4_phala", "UpToDate", {}, "UpToDate"},
      {"tdx_v4_phala_near", "UpToDate", {}, "UpToDate"},
      {"tdx_v4_google_spr", "Unmatched", {}, ""},
      {"tdx_v4_automata", "OutOfDate", {"INTEL-SA-00960", "INTEL-SA-00982", "INTEL-SA-00986"}, "UpToDate"},
      {"tdx_v5_phala", "Unmatched", {}, "UpToDate"},
      {"tdx_v5_google", "UpToDate", {}, "UpToDate"},
      {"synthetic_sgx_v3_intel_qvl", "UpToDate", {}, ""},
      {"synthetic_tdx_v4_intel_qvl", "Unmatched", {}, "IdentityNotFound"},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.name);
    auto v = verify_quote(read_bytes(std::string(r.name) + ".bin"), options_for(sidecar(std::string(r.name) + ".json")));
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(v->tcb.has_value());
    EXPECT_EQ(v->tcb->tcb_status, r.status);
    EXPECT_EQ(v->tcb->qe_tcb_status, "UpToDate");
    std::vector<std::string> adv = v->tcb->advisory_ids;
    std::sort(adv.begin(), adv.end());
    EXPECT_EQ(adv, r.advisories);
    EXPECT_EQ(v->tcb->tdx_module_tcb_status.value_or(""), r.module);
    EXPECT_TRUE(v->find("tcb_not_revoked")->passed);
  }
}

TEST(AttestVerify, CollateralSignatureCoversTheExactText) {
  VerifyOptions opt = options_for(sidecar("tdx_v4_phala.json"));
  ASSERT_TRUE(opt.collateral.has_value());
  // Re-serialising the same JSON (different whitespace) breaks the signature.
  std::string& tcb = opt.collateral->tcb_info_json;
  const auto pos = tcb.find("\"tcbInfo\":{") + 11;
  tcb.insert(pos, " ");
  auto v = verify_quote(read_bytes("tdx_v4_phala.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->find("tcb_info_signature")->passed);
  EXPECT_TRUE(v->find("qe_identity_signature")->passed);
  EXPECT_FALSE(v->ok);
  // Whitespace outside the signed body is irrelevant.
  opt = options_for(sidecar("tdx_v4_phala.json"));
  opt.collateral->qe_identity_json = " \n" + opt.collateral->qe_identity_json + "\n";
  v = verify_quote(read_bytes("tdx_v4_phala.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->first_failure;
}

TEST(AttestVerify, TcbLevelRevokedFails) {
  // Marking the matched level Revoked needs an edit of the signed body: the edit fails
  // tcb_info_signature, and the evaluation of the (unsigned) text still fails tcb_not_revoked.
  VerifyOptions opt = options_for(sidecar("synthetic_sgx_v3_intel_qvl.json"));
  std::string& tcb = opt.collateral->tcb_info_json;
  const auto pos = tcb.find("\"UpToDate\"");
  ASSERT_NE(pos, std::string::npos);
  tcb.replace(pos, 10, "\"Revoked\" ");
  auto v = verify_quote(read_bytes("synthetic_sgx_v3_intel_qvl.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_FALSE(v->find("tcb_info_signature")->passed);
  ASSERT_TRUE(v->tcb.has_value());
  EXPECT_EQ(v->tcb->tcb_status, "Revoked");
  EXPECT_FALSE(v->find("tcb_not_revoked")->passed);
}

TEST(AttestVerify, PckChainTimeIsCheckedAtNow) {
  VerifyOptions opt;
  opt.now = at("2017-01-01T00:00:00Z");  // before the Intel root existed
  auto v = verify_quote(read_bytes("tdx_v4_phala.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_FALSE(v->find("pck_chain_time_valid")->passed);
  EXPECT_TRUE(v->find("pck_chain_signatures")->passed);
  EXPECT_TRUE(v->find("pck_chain_root_is_trusted")->passed);
  opt.now = at("2050-01-01T00:00:00Z");
  v = verify_quote(read_bytes("tdx_v4_phala.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->find("pck_chain_time_valid")->passed);
}

TEST(AttestVerify, BadOptionsAndMissingCollateral) {
  VerifyOptions opt;
  opt.trusted_root = {1, 2, 3};
  auto v = verify_quote(read_bytes("tdx_v4_phala.bin"), opt);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("trusted root"), std::string::npos);

  auto c = load_collateral(testing::vector_dir() + "/collateral/google_tdx_90c06f000000_2026-02");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), ErrorCode::not_found);
  EXPECT_NE(c.error().message().find("qe_identity.json"), std::string::npos);

  // A PEM root works as well as DER.
  opt.trusted_root = read_bytes("intel_sgx_root_ca.pem");
  opt.now = at("2025-06-19T10:32:27Z");
  v = verify_quote(read_bytes("tdx_v4_phala.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->first_failure;
}

TEST(AttestVerify, GarbledCollateralIsReportedNotThrown) {
  VerifyOptions opt = options_for(sidecar("tdx_v4_phala.json"));
  opt.collateral->tcb_info_json = "{\"tcbInfo\":{\"fmspc\":1},\"signature\":\"zz\"}";
  opt.collateral->qe_identity_json = "not json";
  opt.collateral->pck_crl = {0x30, 0x03, 0x02, 0x01, 0x01};
  opt.collateral->tcb_info_issuer_chain_pem.clear();
  auto v = verify_quote(read_bytes("tdx_v4_phala.bin"), opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  for (const char* name : {"tcb_info_signature", "qe_identity_signature", "pck_crl_signature",
                           "fmspc_matches_tcb_info", "qe_identity_matches", "collateral_time_valid"}) {
    EXPECT_FALSE(v->find(name)->passed) << name;
  }
  EXPECT_FALSE(v->tcb.has_value());
}

TEST(AttestVerify, JsonAndTimes) {
  auto v = verify_quote(read_bytes("tdx_v4_phala.bin"), options_for(sidecar("tdx_v4_phala.json")));
  ASSERT_TRUE(v.ok());
  const json j = json::parse(verdict_to_json(*v));
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["kind"], "tdx");
  EXPECT_EQ(j["tcb"]["tcb_status"], "UpToDate");
  EXPECT_EQ(j["tcb"]["tdx_module_tcb_status"], "UpToDate");
  EXPECT_EQ(j["fmspc"], "b0c06f000000");
  EXPECT_TRUE(j["measurements"].contains("mrtd"));
  EXPECT_TRUE(j["first_failure"].is_null());

  EXPECT_EQ(parse_time("0")->time_since_epoch().count(), 0);
  EXPECT_EQ(parse_time("2025-06-19T10:56:11Z")->time_since_epoch().count(), 1750330571);
  EXPECT_EQ(parse_time("2025-06-19T10:56:11+00:00")->time_since_epoch().count(), 1750330571);
  EXPECT_EQ(parse_time("2025-06-19T12:56:11.250+02:00")->time_since_epoch().count(), 1750330571);
  EXPECT_EQ(parse_time("1750330571")->time_since_epoch().count(), 1750330571);
  for (const char* bad : {"", "2025-06-19", "2025-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
                          "2025-06-19T10:56:11", "x2025-06-19T10:56:11Z", "-5"}) {
    EXPECT_FALSE(parse_time(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace nsl::attest
