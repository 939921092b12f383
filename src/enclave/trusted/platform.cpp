// The backend-independent half of platform.hpp: the sealing-secret file, identity values, quote
// field extraction and the simulated quote producer.
#include "enclave/trusted/platform.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "attest/quote.hpp"
#include "attest/sim_quote.hpp"
#include "core/random.hpp"
#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"
#include "crypto/mac.hpp"
#include "enclave/trusted/internal/fs.hpp"

namespace nsl::enclave::trusted {
namespace {

using internal::errno_text;
using internal::Fd;

std::string mode_text(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

// The enclave folder: created 0700, refused when group or others may enter it.
Status ensure_private_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return err::failed_precondition("cannot create " + dir + ": " + errno_text(errno));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return err::failed_precondition("cannot stat " + dir + ": " + errno_text(errno));
  }
  if (!S_ISDIR(st.st_mode)) return err::failed_precondition(dir + " is not a directory");
  if ((st.st_mode & 077) != 0) {
    return err::failed_precondition(dir + " has mode " + mode_text(st.st_mode) +
                                    ": group and others must have no access (chmod 700)");
  }
  return {};
}

Status write_all(int fd, std::span<const std::uint8_t> data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return err::failed_precondition("cannot write " + path + ": " + errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

// Writes a fresh secret to a private temporary file and links it into place: link(2) never replaces
// an existing file, so a concurrent creator wins cleanly and a crash never leaves a short secret
// behind.
Status create_sealing_secret(const std::string& dir, const std::string& path) {
  const std::string tmp = dir + "/.sealing.secret." + random_hex(8);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0)
    return err::failed_precondition("cannot create " + tmp + ": " + errno_text(errno));
  const SecretBytes secret = SecretBytes::random(kSealingSecretSize);
  Status st = write_all(fd.get(), secret.reveal(SecretAccess::grant()), tmp);
  if (st.ok() && ::fsync(fd.get()) != 0) {
    st = err::failed_precondition("cannot fsync " + tmp + ": " + errno_text(errno));
  }
  if (st.ok() && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    st = err::failed_precondition("cannot link " + path + ": " + errno_text(errno));
  }
  ::unlink(tmp.c_str());
  if (!st.ok()) return st;
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
  return {};
}

}  // namespace

Result<SecretBytes> load_or_create_sealing_secret(const std::string& data_dir) {
  if (data_dir.empty()) return err::invalid_argument("enclave data_dir is empty");
  const std::string dir = data_dir + "/enclave";
  const std::string path = dir + "/sealing.secret";
  NSL_TRY(ensure_private_dir(dir));

  int raw = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0 && errno == ENOENT) {
    NSL_TRY(create_sealing_secret(dir, path));
    raw = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (raw < 0) {
    if (errno == ELOOP) return err::failed_precondition(path + " is a symbolic link; refusing it");
    return err::failed_precondition("cannot open " + path + ": " + errno_text(errno));
  }
  Fd fd(raw);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return err::failed_precondition("cannot stat " + path + ": " + errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) return err::failed_precondition(path + " is not a regular file");
  if ((st.st_mode & 07177) != 0) {
    return err::failed_precondition(
        path + " has mode " + mode_text(st.st_mode) +
        ", wider than 0600: anyone who can read it can open every sealed key; "
        "check who read it, then chmod 600");
  }
  if (st.st_uid != ::geteuid()) {
    return err::failed_precondition(path + " is owned by uid " + std::to_string(st.st_uid) +
                                    ", not by this process (uid " + std::to_string(::geteuid()) +
                                    ")");
  }
  if (st.st_size != static_cast<off_t>(kSealingSecretSize)) {
    return err::failed_precondition(
        path + " has " + std::to_string(st.st_size) + " bytes, expected " +
        std::to_string(kSealingSecretSize) +
        ": it is damaged; restore it from backup (a new one would not open "
        "existing sealed blobs)");
  }
  SecretBytes secret(kSealingSecretSize);
  auto buf = secret.reveal_mut(SecretAccess::grant());
  std::size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return err::failed_precondition("cannot read " + path);
    got += static_cast<std::size_t>(n);
  }
  return secret;
}

Result<SecretBytes> read_gramine_sealing_key(const std::string& fs_root, SealPolicy policy) {
  const std::string path = internal::under_root(
      fs_root, policy == SealPolicy::measurement ? "/dev/attestation/keys/_sgx_mrenclave"
                                                 : "/dev/attestation/keys/_sgx_mrsigner");
  return internal::read_secret_file(path, kGramineSealKeySize);
}

Result<SgxIdentity> read_gramine_identity(const std::string& fs_root) {
  const std::string path = internal::under_root(fs_root, "/dev/attestation/report");
  NSL_TRY_ASSIGN(Bytes report, internal::read_file(path, 4096));
  if (report.size() < attest::kSgxReportBodySize) {
    return err::failed_precondition(path + " has " + std::to_string(report.size()) +
                                    " bytes, less than an SGX report body");
  }
  NSL_TRY_ASSIGN(auto body, attest::parse_sgx_report_body(
                                crypto::ByteSpan(report).first(attest::kSgxReportBodySize)));
  return SgxIdentity{Bytes(body.mrenclave.begin(), body.mrenclave.end()),
                     Bytes(body.mrsigner.begin(), body.mrsigner.end())};
}

Result<Bytes> self_measurement() {
  Fd fd(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return err::failed_precondition("cannot open /proc/self/exe: " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || st.st_size <= 0) {
    return err::failed_precondition("cannot stat /proc/self/exe");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (map == MAP_FAILED)
    return err::failed_precondition("cannot map /proc/self/exe: " + errno_text(errno));
  const auto digest = crypto::sha256(crypto::ByteSpan(static_cast<const std::uint8_t*>(map), size));
  ::munmap(map, size);
  return Bytes(digest.begin(), digest.end());
}

Bytes sim_signer_id() {
  const auto d = crypto::sha256(crypto::as_bytes("nsl-sim-signer-v1"));
  return Bytes(d.begin(), d.end());
}

Bytes cvm_signer_id() {
  const auto d = crypto::sha256(crypto::as_bytes("nsl-cvm-signer-v1"));
  return Bytes(d.begin(), d.end());
}

Result<SecretBytes> sim_quoting_seed(const SecretBytes& sealing_secret) {
  return crypto::hkdf_sha256(sealing_secret, {}, crypto::as_bytes("nsl-sim-quoting-key-v1"), 32);
}

// ---- quote fields -------------------------------------------------------------------------------

namespace {

// AMD SEV-SNP attestation report (SEV-SNP ABI spec, table "ATTESTATION_REPORT"): 0x4A0 bytes.
constexpr std::size_t kSnpReportSize = 0x4A0;
constexpr std::size_t kSnpReportDataOffset = 0x50;
constexpr std::size_t kSnpMeasurementOffset = 0x90;
constexpr std::size_t kSnpMeasurementSize = 48;

}  // namespace

Result<QuoteFields> quote_fields(std::string_view format, ByteView quote) {
  QuoteFields f;
  if (format == "sim") {
    NSL_TRY_ASSIGN(auto sq, attest::sim_quote_decode(quote));
    f.report_data = sq.report_data;
    f.measurement.assign(sq.measurement.begin(), sq.measurement.end());
    return f;
  }
  if (format == "sgx-dcap" || format == "tdx") {
    NSL_TRY_ASSIGN(auto q, attest::parse_quote(quote));
    if (format == "tdx") {
      if (!q.td) return err::invalid_argument("quote: expected a TDX quote, got an SGX one");
      f.report_data = q.td->report_data;
      f.measurement.assign(q.td->mrtd.begin(), q.td->mrtd.end());
    } else {
      if (!q.sgx) return err::invalid_argument("quote: expected an SGX quote, got a TDX one");
      f.report_data = q.sgx->report_data;
      f.measurement.assign(q.sgx->mrenclave.begin(), q.sgx->mrenclave.end());
      f.signer.assign(q.sgx->mrsigner.begin(), q.sgx->mrsigner.end());
    }
    return f;
  }
  if (format == "snp") {
    if (quote.size() < kSnpReportSize) {
      return err::invalid_argument("snp report: " + std::to_string(quote.size()) +
                                   " bytes, expected " + std::to_string(kSnpReportSize));
    }
    std::copy_n(quote.begin() + kSnpReportDataOffset, 64, f.report_data.begin());
    f.measurement.assign(quote.begin() + kSnpMeasurementOffset,
                         quote.begin() + kSnpMeasurementOffset + kSnpMeasurementSize);
    return f;
  }
  return err::internal("quote_fields: unknown format " + std::string(format));
}

// ---- sim producer -------------------------------------------------------------------------------

namespace {

class SimProducer final : public QuoteProducer {
 public:
  SimProducer(SecretBytes seed, Bytes measurement)
      : seed_(std::move(seed)), measurement_(std::move(measurement)) {}

  Result<Bytes> quote(const std::array<std::uint8_t, 64>& report_data) override {
    NSL_TRY_ASSIGN(Bytes q, attest::sim_quote_create(seed_, measurement_, report_data));
    NSL_TRY_ASSIGN(auto f, quote_fields("sim", q));
    if (f.report_data != report_data) return err::internal("sim quote: report_data mismatch");
    return q;
  }
  std::string format() const override { return "sim"; }

 private:
  const SecretBytes seed_;
  const Bytes measurement_;
};

}  // namespace

std::unique_ptr<QuoteProducer> make_sim_producer(SecretBytes quoting_seed, Bytes measurement) {
  return std::make_unique<SimProducer>(std::move(quoting_seed), std::move(measurement));
}

}  // namespace nsl::enclave::trusted
