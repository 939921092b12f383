#include "enclave/trusted/platform.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "crypto/hash.hpp"
#include "enclave/trusted/test_support.hpp"

namespace nsl::enclave::trusted {
namespace {

namespace fs = std::filesystem;
using nsl::testing::TempDir;
using testing::read_vector;
using testing::sidecar_hex;
using testing::to_rd;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

Bytes reveal(const SecretBytes& s) {
  auto v = s.reveal(SecretAccess::grant());
  return {v.begin(), v.end()};
}

// ---- sealing secret file ------------------------------------------------------------------------

TEST(SealingSecretFile, CreatedPrivateAndStable) {
  TempDir dir;
  auto first = load_or_create_sealing_secret(dir.path());
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first->size(), kSealingSecretSize);
  const std::string path = dir.path() + "/enclave/sealing.secret";
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(mode_of(dir.path() + "/enclave"), 0700u);
  EXPECT_EQ(fs::file_size(path), kSealingSecretSize);
  // No temporary left behind.
  EXPECT_EQ(
      std::distance(fs::directory_iterator(dir.path() + "/enclave"), fs::directory_iterator{}), 1);

  auto second = load_or_create_sealing_secret(dir.path());
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(first->equals(*second));
  EXPECT_EQ(reveal(*first).size(), kSealingSecretSize);
}

TEST(SealingSecretFile, ReadOnly0400IsAccepted) {
  TempDir dir;
  ASSERT_TRUE(load_or_create_sealing_secret(dir.path()).ok());
  ASSERT_EQ(::chmod((dir.path() + "/enclave/sealing.secret").c_str(), 0400), 0);
  EXPECT_TRUE(load_or_create_sealing_secret(dir.path()).ok());
}

TEST(SealingSecretFile, WiderModeIsRefused) {
  TempDir dir;
  ASSERT_TRUE(load_or_create_sealing_secret(dir.path()).ok());
  const std::string path = dir.path() + "/enclave/sealing.secret";
  for (mode_t m : {0644, 0640, 0604, 0700, 04600}) {
    ASSERT_EQ(::chmod(path.c_str(), m), 0);
    auto r = load_or_create_sealing_secret(dir.path());
    ASSERT_FALSE(r.ok()) << std::oct << m;
    EXPECT_EQ(r.error().code(), ErrorCode::failed_precondition);
    EXPECT_NE(r.error().message().find("wider than 0600"), std::string::npos)
        << r.error().message();
  }
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto r = load_or_create_sealing_secret(dir.path());
  EXPECT_NE(r.error().message().find(path + " has mode 0644"), std::string::npos)
      << r.error().message();
}

TEST(SealingSecretFile, WrongSizeIsRefusedNotReplaced) {
  TempDir dir;
  const std::string path = dir.write_file("enclave/sealing.secret", std::string(17, 'x'));
  ASSERT_EQ(::chmod((dir.path() + "/enclave").c_str(), 0700), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto r = load_or_create_sealing_secret(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::failed_precondition);
  EXPECT_NE(r.error().message().find("has 17 bytes, expected 32"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(fs::file_size(path), 17u);  // left alone for the operator
}

TEST(SealingSecretFile, NonRegularAndSymlinkAreRefused) {
  TempDir dir;
  ASSERT_EQ(::mkdir((dir.path() + "/enclave").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((dir.path() + "/enclave/sealing.secret").c_str(), 0700), 0);
  auto r = load_or_create_sealing_secret(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("not a regular file"), std::string::npos)
      << r.error().message();

  TempDir dir2;
  const std::string target = dir2.write_file("elsewhere", std::string(32, 'x'));
  ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
  ASSERT_EQ(::mkdir((dir2.path() + "/enclave").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(target.c_str(), (dir2.path() + "/enclave/sealing.secret").c_str()), 0);
  auto s = load_or_create_sealing_secret(dir2.path());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("symbolic link"), std::string::npos) << s.error().message();
}

TEST(SealingSecretFile, OpenFolderIsRefused) {
  TempDir dir;
  ASSERT_EQ(::mkdir((dir.path() + "/enclave").c_str(), 0755), 0);
  ASSERT_EQ(::chmod((dir.path() + "/enclave").c_str(), 0755), 0);
  auto r = load_or_create_sealing_secret(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::failed_precondition);
  EXPECT_NE(r.error().message().find("mode 0755"), std::string::npos) << r.error().message();
}

// ---- identity values ----------------------------------------------------------------------------

TEST(Identity, SelfMeasurementIsTheBinaryHash) {
  auto m = self_measurement();
  ASSERT_TRUE(m.ok()) << m.error();
  const std::string exe = nsl::testing::read_file("/proc/self/exe");
  const auto expected = crypto::sha256(crypto::as_bytes(exe));
  EXPECT_EQ(*m, Bytes(expected.begin(), expected.end()));
}

TEST(Identity, SignerIds) {
  const auto sim = crypto::sha256(crypto::as_bytes("nsl-sim-signer-v1"));
  EXPECT_EQ(sim_signer_id(), Bytes(sim.begin(), sim.end()));
  EXPECT_NE(sim_signer_id(), cvm_signer_id());
}

TEST(Identity, GramineReportAndKeys) {
  TempDir root;
  testing::write_fake_gramine(root, read_vector("sgx_v3_phala.bin"));
  auto id = read_gramine_identity(root.path());
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(id->mrenclave, sidecar_hex("sgx_v3_phala.json", "mrenclave"));
  EXPECT_EQ(id->mrsigner, sidecar_hex("sgx_v3_phala.json", "mrsigner"));

  auto k = read_gramine_sealing_key(root.path(), SealPolicy::signer);
  ASSERT_TRUE(k.ok()) << k.error();
  EXPECT_EQ(reveal(*k), Bytes(16, 0x22));
  auto m = read_gramine_sealing_key(root.path(), SealPolicy::measurement);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(reveal(*m), Bytes(16, 0x11));

  root.write_file("dev/attestation/keys/_sgx_mrsigner", std::string(15, 'x'));
  auto bad = read_gramine_sealing_key(root.path(), SealPolicy::signer);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::failed_precondition);
  TempDir empty;
  EXPECT_FALSE(read_gramine_sealing_key(empty.path(), SealPolicy::signer).ok());
}

// ---- quote fields -------------------------------------------------------------------------------

TEST(QuoteFields, RecordedQuotes) {
  auto sgx = quote_fields("sgx-dcap", read_vector("sgx_v3_phala.bin"));
  ASSERT_TRUE(sgx.ok()) << sgx.error();
  EXPECT_EQ(sgx->measurement, sidecar_hex("sgx_v3_phala.json", "mrenclave"));
  EXPECT_EQ(sgx->signer, sidecar_hex("sgx_v3_phala.json", "mrsigner"));
  EXPECT_EQ(sgx->report_data, to_rd(sidecar_hex("sgx_v3_phala.json", "report_data")));

  for (const char* name : {"tdx_v4_phala", "tdx_v5_phala"}) {
    auto tdx = quote_fields("tdx", read_vector(std::string(name) + ".bin"));
    ASSERT_TRUE(tdx.ok()) << name << ": " << tdx.error();
    EXPECT_EQ(tdx->measurement, sidecar_hex(std::string(name) + ".json", "mrtd")) << name;
    EXPECT_EQ(tdx->report_data, to_rd(sidecar_hex(std::string(name) + ".json", "report_data")))
        << name;
  }

  auto snp = quote_fields("snp", read_vector("sev_snp/snp_milan_google.bin"));
  ASSERT_TRUE(snp.ok()) << snp.error();
  EXPECT_EQ(snp->measurement, sidecar_hex("sev_snp/snp_milan_google.json", "measurement"));
  EXPECT_EQ(snp->report_data, to_rd(sidecar_hex("sev_snp/snp_milan_google.json", "report_data")));

  EXPECT_FALSE(quote_fields("tdx", read_vector("sgx_v3_phala.bin")).ok());
  EXPECT_FALSE(quote_fields("sgx-dcap", read_vector("tdx_v4_phala.bin")).ok());
  EXPECT_FALSE(quote_fields("snp", Bytes(100, 0)).ok());
}

// ---- producers ----------------------------------------------------------------------------------

TEST(SimProducer, QuotesCarryTheReportData) {
  const Bytes measurement(32, 0x42);
  auto p = make_sim_producer(SecretBytes::random(32), measurement);
  EXPECT_EQ(p->format(), "sim");
  std::array<std::uint8_t, 64> rd{};
  rd[0] = 1;
  rd[63] = 2;
  auto q = p->quote(rd);
  ASSERT_TRUE(q.ok()) << q.error();
  auto f = quote_fields("sim", *q);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->report_data, rd);
  EXPECT_EQ(f->measurement, measurement);
}

TEST(GramineProducer, ServesTheRecordedQuote) {
  TempDir root;
  const Bytes quote = read_vector("sgx_v3_phala.bin");
  testing::write_fake_gramine(root, quote);
  auto p = make_gramine_producer(root.path());
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ((*p)->format(), "sgx-dcap");

  const auto rd = to_rd(sidecar_hex("sgx_v3_phala.json", "report_data"));
  auto q = (*p)->quote(rd);
  ASSERT_TRUE(q.ok()) << q.error();
  EXPECT_EQ(*q, quote);
  // The producer wrote the report data where Gramine reads it.
  EXPECT_EQ(testing::read_vector_at(root.path() + "/dev/attestation/user_report_data"),
            Bytes(rd.begin(), rd.end()));
  auto f = quote_fields("sgx-dcap", *q);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->measurement, sidecar_hex("sgx_v3_phala.json", "mrenclave"));

  std::array<std::uint8_t, 64> other{};
  other[0] = 0x99;
  auto bad = (*p)->quote(other);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::internal);
  EXPECT_NE(bad.error().message().find("carries other report_data"), std::string::npos)
      << bad.error().message();
}

TEST(GramineProducer, RequiresDcap) {
  TempDir root;
  testing::write_fake_gramine(root, read_vector("sgx_v3_phala.bin"), "none\n");
  auto p = make_gramine_producer(root.path());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), ErrorCode::failed_precondition);
  EXPECT_NE(p.error().message().find("attestation_type is 'none'"), std::string::npos)
      << p.error().message();

  TempDir empty;
  auto q = make_gramine_producer(empty.path());
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message().find("does not exist"), std::string::npos) << q.error().message();
}

TEST(GramineProducer, QuotingFailureIsUnavailable) {
  TempDir root;
  testing::write_fake_gramine(root, read_vector("sgx_v3_phala.bin"));
  auto p = make_gramine_producer(root.path());
  ASSERT_TRUE(p.ok());
  fs::remove(root.path() + "/dev/attestation/quote");
  auto q = (*p)->quote(to_rd(sidecar_hex("sgx_v3_phala.json", "report_data")));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code(), ErrorCode::unavailable);
}

TEST(GramineProducer, RejectsATdxQuote) {
  TempDir root;
  testing::write_fake_gramine(root, read_vector("sgx_v3_phala.bin"));
  root.write_file("dev/attestation/quote", testing::as_string(read_vector("tdx_v4_phala.bin")));
  auto p = make_gramine_producer(root.path());
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE((*p)->quote(to_rd(sidecar_hex("tdx_v4_phala.json", "report_data"))).ok());
}

struct TsmCase {
  Mode mode;
  const char* vector;
  const char* sidecar;
  const char* provider;
  const char* measurement_field;
};

void PrintTo(const TsmCase& c, std::ostream* os) { *os << c.vector; }

class TsmProducerTest : public ::testing::TestWithParam<TsmCase> {};

// The kernel bumps `generation` once per write; the fake does it from the hook.
TsmTestHooks bumping_hooks(const std::string& entry, int bump = 1) {
  TsmTestHooks hooks;
  hooks.entry_name = entry;
  hooks.after_inblob_write = [bump](const std::string& dir) {
    std::ofstream(dir + "/generation", std::ios::trunc) << bump << "\n";
  };
  return hooks;
}

TEST_P(TsmProducerTest, ServesTheRecordedQuote) {
  const TsmCase& c = GetParam();
  TempDir root;
  const Bytes quote = read_vector(c.vector);
  const std::string entry = testing::write_fake_tsm(root, "fixed", quote, c.provider);
  auto p = make_tsm_producer(root.path(), c.mode, bumping_hooks("fixed"));
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ((*p)->format(), c.mode == Mode::tdx ? "tdx" : "snp");

  const auto rd = to_rd(sidecar_hex(c.sidecar, "report_data"));
  auto q = (*p)->quote(rd);
  ASSERT_TRUE(q.ok()) << q.error();
  EXPECT_EQ(*q, quote);
  EXPECT_EQ(testing::read_vector_at(entry + "/inblob"), Bytes(rd.begin(), rd.end()));
  auto f = quote_fields((*p)->format(), *q);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->measurement, sidecar_hex(c.sidecar, c.measurement_field));
  EXPECT_TRUE(fs::exists(entry));  // a fixed entry is not removed

  // Any other report data: the quote does not carry it.
  std::ofstream(entry + "/generation", std::ios::trunc) << "0\n";
  std::array<std::uint8_t, 64> other{};
  auto bad = (*p)->quote(other);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::internal);
  EXPECT_NE(bad.error().message().find("carries other report_data"), std::string::npos)
      << bad.error().message();
}

TEST_P(TsmProducerTest, DetectsConcurrentWriters) {
  const TsmCase& c = GetParam();
  TempDir root;
  testing::write_fake_tsm(root, "fixed", read_vector(c.vector), c.provider);
  auto p = make_tsm_producer(root.path(), c.mode, bumping_hooks("fixed", 2));
  ASSERT_TRUE(p.ok());
  auto q = (*p)->quote(to_rd(sidecar_hex(c.sidecar, "report_data")));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code(), ErrorCode::unavailable);
  EXPECT_NE(q.error().message().find("generation 0 -> 2"), std::string::npos)
      << q.error().message();
}

TEST_P(TsmProducerTest, QuotingFailureIsUnavailable) {
  const TsmCase& c = GetParam();
  TempDir root;
  const std::string entry =
      testing::write_fake_tsm(root, "fixed", read_vector(c.vector), c.provider);
  fs::remove(entry + "/outblob");
  auto p = make_tsm_producer(root.path(), c.mode, bumping_hooks("fixed"));
  ASSERT_TRUE(p.ok());
  auto q = (*p)->quote(to_rd(sidecar_hex(c.sidecar, "report_data")));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code(), ErrorCode::unavailable);
}

TEST_P(TsmProducerTest, ChecksTheProvider) {
  const TsmCase& c = GetParam();
  TempDir root;
  testing::write_fake_tsm(root, "fixed", read_vector(c.vector),
                          std::string(c.provider) == "tdx_guest" ? "sev_guest" : "tdx_guest");
  auto p = make_tsm_producer(root.path(), c.mode, bumping_hooks("fixed"));
  ASSERT_TRUE(p.ok());
  auto q = (*p)->quote(to_rd(sidecar_hex(c.sidecar, "report_data")));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code(), ErrorCode::failed_precondition);
}

INSTANTIATE_TEST_SUITE_P(Recorded, TsmProducerTest,
                         ::testing::Values(TsmCase{Mode::tdx, "tdx_v4_phala.bin",
                                                   "tdx_v4_phala.json", "tdx_guest", "mrtd"},
                                           TsmCase{Mode::snp, "sev_snp/snp_milan_google.bin",
                                                   "sev_snp/snp_milan_google.json", "sev_guest",
                                                   "measurement"}),
                         [](const auto& p) { return p.param.mode == Mode::tdx ? "tdx" : "snp"; });

TEST(TsmProducer, FreshEntryIsCreatedAndRemoved) {
  // On a plain directory mkdir works, but the new entry has no attribute files: the producer must
  // fail cleanly and still remove the entry it made.
  TempDir root;
  ASSERT_TRUE(fs::create_directories(root.path() + "/sys/kernel/config/tsm/report"));
  auto p = make_tsm_producer(root.path(), Mode::tdx);
  ASSERT_TRUE(p.ok()) << p.error();
  auto q = (*p)->quote({});
  ASSERT_FALSE(q.ok());
  EXPECT_TRUE(fs::is_empty(root.path() + "/sys/kernel/config/tsm/report"));
}

TEST(TsmProducer, MissingConfigfs) {
  TempDir root;
  auto p = make_tsm_producer(root.path(), Mode::snp);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), ErrorCode::failed_precondition);
  EXPECT_NE(p.error().message().find("sev_guest"), std::string::npos);
}

}  // namespace
}  // namespace nsl::enclave::trusted
