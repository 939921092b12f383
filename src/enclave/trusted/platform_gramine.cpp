// Gramine SGX quotes through /dev/attestation (Gramine docs, "Attestation and secret provisioning",
// low-level interface): write the 64-byte report data to user_report_data, then read quote.
#include <mutex>

#include "enclave/trusted/internal/fs.hpp"
#include "enclave/trusted/platform.hpp"

namespace nsl::enclave::trusted {
namespace {

class GramineProducer final : public QuoteProducer {
 public:
  explicit GramineProducer(const std::string& fs_root)
      : user_report_data_(internal::under_root(fs_root, "/dev/attestation/user_report_data")),
        quote_(internal::under_root(fs_root, "/dev/attestation/quote")) {}

  Result<Bytes> quote(const std::array<std::uint8_t, 64>& report_data) override {
    Bytes q;
    {
      // user_report_data is process-wide state read back when the quote file is opened: two threads
      // interleaving would each get the other's quote.
      std::lock_guard lock(mu_);
      NSL_TRY(internal::write_existing(user_report_data_, report_data));
      // Gramine asks the quoting enclave when the file is opened: a failure there (AESM or the
      // DCAP quote provider down) surfaces as an open or read error.
      auto read = internal::read_file(quote_, kMaxQuoteSize);
      if (!read.ok()) {
        return err::unavailable("gramine: no quote: " + read.error().message() +
                                " (is AESM with the DCAP quote provider running?)");
      }
      q = std::move(read).value();
    }
    if (q.empty())
      return err::unavailable("gramine: " + quote_ + " returned no quote (is AESM running?)");
    NSL_TRY_ASSIGN(auto f, quote_fields("sgx-dcap", q));
    if (f.report_data != report_data) {
      return err::internal("gramine: the quote from " + quote_ +
                           " carries other report_data than was written to user_report_data");
    }
    return q;
  }
  std::string format() const override { return "sgx-dcap"; }

 private:
  const std::string user_report_data_;
  const std::string quote_;
  std::mutex mu_;
};

}  // namespace

Result<std::unique_ptr<QuoteProducer>> make_gramine_producer(const std::string& fs_root) {
  const std::string type_path = internal::under_root(fs_root, "/dev/attestation/attestation_type");
  auto type = internal::read_text(type_path);
  if (!type.ok()) {
    return err::failed_precondition(type.error().message() + " (not running under gramine-sgx?)");
  }
  if (*type != "dcap") {
    return err::failed_precondition(
        "gramine: attestation_type is '" + *type +
        "', expected 'dcap': set sgx.remote_attestation = \"dcap\" in the "
        "manifest");
  }
  return std::unique_ptr<QuoteProducer>(std::make_unique<GramineProducer>(fs_root));
}

}  // namespace nsl::enclave::trusted
