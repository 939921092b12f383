// nsl/enclave/trusted/platform.hpp — what each backend supplies: the sealing secret (the platform
// root), the enclave's identity values, and quotes.
//
//   sim          secret: <data_dir>/enclave/sealing.secret (32 bytes, 0600)
//                measurement: SHA-256(/proc/self/exe); signer id: SHA-256("nsl-sim-signer-v1")
//   gramine-sgx  secret: <fs_root>/dev/attestation/keys/_sgx_mrenclave or _sgx_mrsigner per seal
//                policy (16 bytes, EGETKEY); measurement: MRENCLAVE, signer id: MRSIGNER (both from
//                <fs_root>/dev/attestation/report)
//   tdx, snp     secret: the same 0600 file as sim; measurement: MRTD / MEASUREMENT (from a probe
//                quote at start); signer id: SHA-256("nsl-cvm-signer-v1")
// TDX and SNP guests have no sealing key they can derive from hardware; the file's protection is
// the confidential VM's encrypted disk (docs/enclave.md says what that does and does not cover).
//
// Quote producers (QuoteProducer):
//   sim          attest::sim_quote_create; Ed25519 key from HKDF(sealing secret, "",
//                "nsl-sim-quoting-key-v1")
//   gramine-sgx  write <fs_root>/dev/attestation/user_report_data (64 bytes), read .../quote;
//                requires .../attestation_type = "dcap"
//   tdx, snp     Linux configfs-tsm: mkdir <fs_root>/sys/kernel/config/tsm/report/<fresh>, write
//                inblob, read outblob, provider ("tdx_guest" | "sev_guest") and generation, rmdir
// Every producer parses the quote it got back and fails unless it carries the requested
// report_data.
//
// fs_root ("/" in production) lets tests point the hardware backends at a fake tree of recorded
// quotes. Thread-safety: producers may be called concurrently (the Gramine one serialises its
// two-step exchange).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "enclave/enclave.hpp"
#include "enclave/trusted/sealing.hpp"

namespace nsl::enclave::trusted {

inline constexpr std::size_t kSealingSecretSize = 32;
inline constexpr std::size_t kGramineSealKeySize = 16;
inline constexpr std::size_t kMaxQuoteSize = 64 * 1024;

// <data_dir>/enclave/sealing.secret: read it, or create it (32 random bytes, O_EXCL, mode 0600, the
// folder 0700) when absent. failed_precondition, naming the path, when the file is not a regular
// file, is group/other accessible, is owned by someone else or has the wrong size, and when the
// folder is group/other accessible. It is never re-created over a damaged file: that would strand
// every sealed key.
Result<SecretBytes> load_or_create_sealing_secret(const std::string& data_dir);

// <fs_root>/dev/attestation/keys/_sgx_mrenclave (policy measurement) or _sgx_mrsigner (policy
// signer).
Result<SecretBytes> read_gramine_sealing_key(const std::string& fs_root, SealPolicy policy);

struct SgxIdentity {
  Bytes mrenclave;  // 32 bytes
  Bytes mrsigner;   // 32 bytes
};
// From Gramine's <fs_root>/dev/attestation/report (an SGX report: the 384-byte body first).
Result<SgxIdentity> read_gramine_identity(const std::string& fs_root);

// SHA-256 of /proc/self/exe.
Result<Bytes> self_measurement();
Bytes sim_signer_id();  // SHA-256("nsl-sim-signer-v1")
Bytes cvm_signer_id();  // SHA-256("nsl-cvm-signer-v1")

// The Ed25519 seed of the simulated quoting key: HKDF-SHA256(sealing secret, "",
// "nsl-sim-quoting-key-v1").
Result<SecretBytes> sim_quoting_seed(const SecretBytes& sealing_secret);

// What a producer needs from a quote it received. format: "sim" | "sgx-dcap" | "tdx" | "snp".
struct QuoteFields {
  std::array<std::uint8_t, 64> report_data{};
  Bytes measurement;  // sim: 32; sgx-dcap: MRENCLAVE (32); tdx: MRTD (48); snp: MEASUREMENT (48)
  Bytes signer;       // sgx-dcap: MRSIGNER (32); empty for the others
};
Result<QuoteFields> quote_fields(std::string_view format, ByteView quote);

class QuoteProducer {
 public:
  virtual ~QuoteProducer() = default;
  // A quote over exactly `report_data`, checked to carry it.
  virtual Result<Bytes> quote(const std::array<std::uint8_t, 64>& report_data) = 0;
  virtual std::string format() const = 0;  // as in enclave::Quote::format
};

// measurement: 32 bytes; quoting_seed: 32 bytes.
std::unique_ptr<QuoteProducer> make_sim_producer(SecretBytes quoting_seed, Bytes measurement);
// failed_precondition unless <fs_root>/dev/attestation/attestation_type reads "dcap".
Result<std::unique_ptr<QuoteProducer>> make_gramine_producer(const std::string& fs_root);

// Test seam for configfs-tsm, whose fake tree cannot react to mkdir or to writes: use a pre-created
// entry, and run a callback where the kernel would bump `generation`.
struct TsmTestHooks {
  std::string entry_name;  // non-empty: use this existing entry; neither mkdir nor rmdir it
  std::function<void(const std::string& entry_dir)> after_inblob_write;
};
// mode: tdx or snp.
Result<std::unique_ptr<QuoteProducer>> make_tsm_producer(const std::string& fs_root, Mode mode,
                                                         TsmTestHooks hooks = {});

}  // namespace nsl::enclave::trusted
