// attest/internal/collateral.hpp — Intel PCS collateral documents: the byte-exact signed body of
// TCB info / QE identity JSON, their parsed contents, and TCB level matching (Intel QVL
// TcbLevelCheck / EnclaveReportVerifier rules). Internal to the attest module.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/quote.hpp"
#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::attest::internal {

struct SgxExtension;

// The exact text of the value of the top-level member `key` of the JSON object `json` (no
// re-serialisation: a signature over it must verify byte for byte). nullopt when `json` is not an
// object, the member is missing or the text is malformed.
std::optional<std::string_view> raw_member(std::string_view json, std::string_view key);

struct SignedJson {
  std::string body;  // the exact inner text, e.g. {"id":"TDX",...}
  Bytes signature;   // 64 bytes r || s
};
// {"<key>":{...},"signature":"<hex>"}
Result<SignedJson> split_signed_json(std::string_view text, std::string_view key);

struct TcbLevel {
  std::array<int, 16> sgx_svn{};
  int pcesvn = 0;
  bool has_tdx = false;
  std::array<int, 16> tdx_svn{};
  std::string status;
  std::string date;
  std::vector<std::string> advisories;
};

struct IsvLevel {  // QE identity and TDX module levels
  int isvsvn = 0;
  std::string status;
  std::string date;
  std::vector<std::string> advisories;
};

struct ModuleIdentity {
  std::string id;  // "TDX_01"
  std::vector<IsvLevel> levels;
};

struct TcbInfo {
  std::string id;  // "SGX" or "TDX" ("SGX" when absent, as in version 2)
  int version = 0;
  std::int64_t issue_date = 0;
  std::int64_t next_update = 0;
  std::string fmspc;  // lowercase hex
  std::string pceid;  // lowercase hex
  std::vector<TcbLevel> levels;
  std::vector<ModuleIdentity> modules;
};

struct QeIdentity {
  std::string id;  // "QE", "TD_QE" ("QE" when absent)
  int version = 0;
  std::int64_t issue_date = 0;
  std::int64_t next_update = 0;
  Bytes miscselect, miscselect_mask, attributes, attributes_mask, mrsigner;
  int isvprodid = 0;
  std::vector<IsvLevel> levels;
};

Result<TcbInfo> parse_tcb_info(std::string_view body);
Result<QeIdentity> parse_qe_identity(std::string_view body);

// The first level whose SVNs are all <= the platform's; nullptr when none (Unmatched).
const TcbLevel* match_tcb_level(const TcbInfo& info, const SgxExtension& pck, const TdReportBody* td);
// The first level with isvsvn <= `isvsvn`; nullptr when none.
const IsvLevel* match_isv_level(const std::vector<IsvLevel>& levels, int isvsvn);

struct QeMatch {
  bool ok = false;
  std::string reason;
};
// mrsigner and isvprodid equal; (report & mask) == identity for miscselect and attributes, byte-wise
// on the raw report bytes.
QeMatch match_qe_identity(const QeIdentity& id, const SgxReportBody& qe_report);

}  // namespace nsl::attest::internal
