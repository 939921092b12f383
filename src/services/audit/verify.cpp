#include "services/audit/verify.hpp"

#include <algorithm>
#include <deque>
#include <optional>

#include "core/strings.hpp"
#include "services/audit/internal/repo.hpp"

namespace nsl::audit {
namespace {

using internal::StoredCheckpoint;
using internal::StoredRecord;

constexpr int kPage = 1000;
constexpr std::int64_t kMoveWindow = 16;

// A run of consecutive records that verify only at another seq.
struct MisplacedRun {
  std::uint64_t start = 0;
  std::vector<std::int64_t> offsets;  // position - true seq
  std::vector<std::string> hashes;
  bool empty() const { return offsets.empty(); }
};

class Verifier {
 public:
  Verifier(store::Database& db, const store::TenantId& tenant, const CheckpointVerifier* v)
      : db_(db), tenant_(tenant), verifier_(v), report_{.tenant = tenant} {}

  Result<VerifyReport> run() {
    NSL_TRY_ASSIGN(const auto head, db_.with_tenant(tenant_, [this](store::Tx& tx) {
      return internal::read_head(tx, tenant_);
    }));
    report_.head_seq = head.seq;
    std::uint64_t after = 0;
    for (;;) {
      NSL_TRY_ASSIGN(auto page, db_.with_tenant(tenant_, [this, after](store::Tx& tx) {
        return internal::records_after(tx, tenant_, after, kPage);
      }));
      for (const StoredRecord& r : page) NSL_TRY(check(r));
      if (page.size() < static_cast<std::size_t>(kPage)) break;
      after = page.back().seq;
    }
    flush_run();
    report_.last_seq = expected_ - 1;
    std::uint64_t claimed = report_.head_seq;
    // Checkpoints beyond the last record.
    for (;;) {
      NSL_TRY(fill_checkpoints());
      if (cps_.empty()) break;
      claimed = std::max(claimed, cps_.front().seq);
      cps_.pop_front();
    }
    if (claimed > report_.last_seq) {
      add(FindingKind::removed, report_.last_seq + 1,
          "records " + std::to_string(report_.last_seq + 1) + ".." + std::to_string(claimed) +
              " are missing (head or checkpoint beyond the last record: truncated tail)");
    }
    std::stable_sort(report_.findings.begin(), report_.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
    return std::move(report_);
  }

 private:
  void add(FindingKind k, std::uint64_t seq, std::string msg) {
    report_.findings.push_back({.kind = k, .seq = seq, .message = std::move(msg)});
  }

  // Keeps at least one checkpoint buffered while any remain (signatures checked on arrival).
  Status fill_checkpoints() {
    if (!cps_.empty() || cps_done_) return {};
    NSL_TRY_ASSIGN(auto page, db_.with_tenant(tenant_, [this](store::Tx& tx) {
      return internal::checkpoints_after(tx, tenant_, cp_after_, kPage);
    }));
    if (page.size() < static_cast<std::size_t>(kPage)) cps_done_ = true;
    for (StoredCheckpoint& cp : page) {
      cp_after_ = cp.seq;
      ++report_.checkpoints_checked;
      if (verifier_) {
        const auto msg = checkpoint_message(tenant_.str(), cp.seq, cp.hash, cp.created_at);
        const auto sig = from_hex(cp.signature);
        if (!sig || !verifier_->verify(cp.key_id, cp.alg, msg, *sig)) {
          add(FindingKind::bad_checkpoint, cp.seq,
              "checkpoint signature does not verify (key " + cp.key_id + ", " + cp.alg + ")");
        }
      }
      cps_.push_back(std::move(cp));
    }
    return {};
  }

  std::optional<std::uint64_t> true_seq(const StoredRecord& r) const {
    const auto pos = static_cast<std::int64_t>(r.seq);
    for (std::int64_t d = 1; d <= kMoveWindow; ++d) {
      for (std::int64_t q : {pos - d, pos + d}) {
        if (q < 1) continue;
        StoredRecord probe = r;
        probe.seq = static_cast<std::uint64_t>(q);
        if (record_hash(probe.fields(tenant_.str())) == r.hash) {
          return static_cast<std::uint64_t>(q);
        }
      }
    }
    return std::nullopt;
  }

  void flush_run() {
    if (run_.empty()) return;
    const std::int64_t d = run_.offsets.front();
    const bool uniform = std::all_of(run_.offsets.begin(), run_.offsets.end(),
                                     [d](std::int64_t x) { return x == d; });
    const std::string range =
        std::to_string(run_.start) + ".." + std::to_string(run_.start + run_.offsets.size() - 1);
    if (uniform && d > 0) {
      add(FindingKind::inserted, run_.start - static_cast<std::uint64_t>(d),
          std::to_string(d) + " record(s) inserted before seq " + std::to_string(run_.start) +
              " (records " + range + " were renumbered by +" + std::to_string(d) + ")");
    } else if (uniform) {
      add(FindingKind::removed, run_.start,
          std::to_string(-d) + " record(s) removed before seq " + std::to_string(run_.start) +
              " (records " + range + " were renumbered by " + std::to_string(d) + ")");
    } else {
      add(FindingKind::reordered, run_.start, "records " + range + " are out of order");
    }
    run_ = {};
  }

  Status check(const StoredRecord& r) {
    ++report_.records_checked;
    bool link_known = have_prev_;
    if (r.seq != expected_) {
      flush_run();
      add(FindingKind::removed, expected_,
          "records " + std::to_string(expected_) + ".." + std::to_string(r.seq - 1) +
              " are missing");
      link_known = false;  // the gap explains the broken link
    }
    const bool intact = record_hash(r.fields(tenant_.str())) == r.hash;
    if (intact) {
      const bool linked = r.seq == 1 ? r.prev_hash == kZeroHash
                                     : (!link_known || r.prev_hash == prev_hash_ ||
                                        std::find(run_.hashes.begin(), run_.hashes.end(),
                                                  r.prev_hash) != run_.hashes.end());
      flush_run();
      if (!linked) {
        add(FindingKind::inserted, r.seq > 1 ? r.seq - 1 : 1,
            "seq " + std::to_string(r.seq) +
                " does not link to its predecessor (a record was inserted or replaced)");
      }
    } else if (const auto q = true_seq(r)) {
      if (run_.empty()) run_.start = r.seq;
      run_.offsets.push_back(static_cast<std::int64_t>(r.seq) - static_cast<std::int64_t>(*q));
      run_.hashes.push_back(r.hash);
    } else {
      flush_run();
      add(FindingKind::altered, r.seq, "content does not match its hash");
    }
    NSL_TRY(check_checkpoints(r, intact));
    // The stored hash is what the next record links to, even when this record was altered.
    prev_hash_ = r.hash;
    have_prev_ = true;
    expected_ = r.seq + 1;
    return {};
  }

  Status check_checkpoints(const StoredRecord& r, bool intact) {
    for (;;) {
      NSL_TRY(fill_checkpoints());
      if (cps_.empty() || cps_.front().seq > r.seq) return {};
      const StoredCheckpoint cp = std::move(cps_.front());
      cps_.pop_front();
      if (cp.seq < r.seq) {
        add(FindingKind::bad_checkpoint, cp.seq, "checkpoint refers to a missing record");
      } else if (cp.hash != r.hash || !intact) {
        add(FindingKind::bad_checkpoint, cp.seq, "checkpoint hash does not match the record");
      }
    }
  }

  store::Database& db_;
  const store::TenantId& tenant_;
  const CheckpointVerifier* verifier_;
  VerifyReport report_;
  std::uint64_t expected_ = 1;
  std::string prev_hash_;
  bool have_prev_ = false;
  MisplacedRun run_;
  std::deque<StoredCheckpoint> cps_;
  std::uint64_t cp_after_ = 0;
  bool cps_done_ = false;
};

}  // namespace

std::string_view finding_kind_name(FindingKind k) noexcept {
  switch (k) {
    case FindingKind::altered:
      return "altered";
    case FindingKind::removed:
      return "removed";
    case FindingKind::inserted:
      return "inserted";
    case FindingKind::reordered:
      return "reordered";
    case FindingKind::bad_checkpoint:
      return "bad_checkpoint";
  }
  return "unknown";
}

Result<VerifyReport> verify_tenant(store::Database& db, const store::TenantId& tenant,
                                   const CheckpointVerifier* verifier) {
  return Verifier(db, tenant, verifier).run();
}

Result<std::vector<store::TenantId>> list_tenants(store::Database& db) {
  NSL_TRY_ASSIGN(auto rows, db.with_system([](store::Tx& tx) {
    return tx.query("SELECT id FROM tenants ORDER BY id");
  }));
  std::vector<store::TenantId> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    NSL_TRY_ASSIGN(auto t, store::TenantId::parse(row.at(0).value_or("")));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace nsl::audit
