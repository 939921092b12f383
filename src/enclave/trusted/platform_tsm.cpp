// TDX and SEV-SNP quotes through Linux configfs-tsm
// (Documentation/ABI/testing/configfs-tsm-report): one fresh report entry per quote, so concurrent
// requests never share state; `generation` counts the writes to the entry and must have moved by
// exactly our one inblob write when outblob is read.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "core/random.hpp"
#include "core/strings.hpp"
#include "enclave/trusted/internal/fs.hpp"
#include "enclave/trusted/platform.hpp"

namespace nsl::enclave::trusted {
namespace {

Result<std::uint64_t> read_generation(const std::string& entry) {
  const std::string path = entry + "/generation";
  NSL_TRY_ASSIGN(std::string text, internal::read_text(path));
  const auto v = parse_u64(text);
  if (!v) return err::unavailable("configfs-tsm: " + path + " does not hold a number");
  return *v;
}

class TsmProducer final : public QuoteProducer {
 public:
  TsmProducer(std::string base, Mode mode, TsmTestHooks hooks)
      : base_(std::move(base)),
        provider_(mode == Mode::tdx ? "tdx_guest" : "sev_guest"),
        format_(mode == Mode::tdx ? "tdx" : "snp"),
        hooks_(std::move(hooks)) {}

  Result<Bytes> quote(const std::array<std::uint8_t, 64>& report_data) override {
    const bool fixed = !hooks_.entry_name.empty();
    const std::string entry = base_ + "/" +
                              (fixed ? hooks_.entry_name
                                     : "nsl-" + std::to_string(::getpid()) + "-" +
                                           std::to_string(++counter_) + "-" + random_hex(4));
    if (!fixed && ::mkdir(entry.c_str(), 0700) != 0) {
      return err::unavailable("configfs-tsm: cannot create " + entry + ": " +
                              internal::errno_text(errno));
    }
    auto q = produce(entry, report_data);
    if (!fixed) ::rmdir(entry.c_str());
    return q;
  }
  std::string format() const override { return format_; }

 private:
  Result<Bytes> produce(const std::string& entry, const std::array<std::uint8_t, 64>& report_data) {
    NSL_TRY_ASSIGN(const std::uint64_t gen_before, read_generation(entry));
    NSL_TRY(internal::write_existing(entry + "/inblob", report_data));
    if (hooks_.after_inblob_write) hooks_.after_inblob_write(entry);
    // Reading outblob makes the kernel fetch the quote (TDX: from the host's quote generation
    // service), so its failures are the platform's, and worth a retry.
    auto read = internal::read_file(entry + "/outblob", kMaxQuoteSize);
    if (!read.ok()) return err::unavailable("configfs-tsm: no quote: " + read.error().message());
    Bytes q = std::move(read).value();
    NSL_TRY_ASSIGN(std::string provider, internal::read_text(entry + "/provider"));
    NSL_TRY_ASSIGN(const std::uint64_t gen_after, read_generation(entry));
    if (gen_after != gen_before + 1) {
      return err::unavailable("configfs-tsm: " + entry +
                              " was written by someone else (generation " +
                              std::to_string(gen_before) + " -> " + std::to_string(gen_after) +
                              ", expected one write); retry");
    }
    if (provider != provider_) {
      return err::failed_precondition("configfs-tsm: provider is '" + provider + "', expected '" +
                                      provider_ + "' for " + format_);
    }
    if (q.empty()) return err::unavailable("configfs-tsm: " + entry + "/outblob is empty");
    NSL_TRY_ASSIGN(auto f, quote_fields(format_, q));
    if (f.report_data != report_data) {
      return err::internal("configfs-tsm: the " + format_ +
                           " quote carries other report_data than was written to inblob");
    }
    return q;
  }

  const std::string base_;
  const std::string provider_;
  const std::string format_;
  const TsmTestHooks hooks_;
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace

Result<std::unique_ptr<QuoteProducer>> make_tsm_producer(const std::string& fs_root, Mode mode,
                                                         TsmTestHooks hooks) {
  if (mode != Mode::tdx && mode != Mode::snp)
    return err::internal("configfs-tsm: mode must be tdx or snp");
  const std::string base = internal::under_root(fs_root, "/sys/kernel/config/tsm/report");
  struct stat st {};
  if (::stat(base.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return err::failed_precondition(
        base + " is not there: needs Linux >= 6.7 with configfs mounted and the " +
        (mode == Mode::tdx ? "tdx_guest" : "sev_guest") + " driver loaded");
  }
  return std::unique_ptr<QuoteProducer>(
      std::make_unique<TsmProducer>(base, mode, std::move(hooks)));
}

}  // namespace nsl::enclave::trusted
