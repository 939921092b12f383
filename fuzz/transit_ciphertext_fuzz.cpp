// Fuzz target `transit_ciphertext`: the input as text -> nsl::transit::parse_ciphertext (the
// "nsl:v1:<key version>:<base64>" form callers send to decrypt and rewrap), and as a key name ->
// validate_key_name (services/transit/ciphertext.hpp, service.hpp).
//
// Invariants (a violation aborts, so libFuzzer records the input):
//   - parse ok => key version 1..2^32-1, at least 45 ciphertext bytes (the enclave's overhead), and
//     format_ciphertext(version, bytes) == text (one spelling per ciphertext: no leading zeros,
//     canonical padded base64, nothing before or after);
//   - parse ok => the text starts with "nsl:v1:" and is at most kMaxCiphertextText bytes;
//   - every parse error is invalid_argument;
//   - validate_key_name ok <=> the text matches ^[a-z0-9][a-z0-9._-]{0,63}$;
//   - no exception escapes.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "fuzz_check.hpp"
#include "services/transit/ciphertext.hpp"
#include "services/transit/service.hpp"

namespace {

using nsl::fuzz::check;
constexpr const char* kName = "transit_ciphertext";

bool name_regex(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (i == 0 ? !alnum : !(alnum || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto parsed = nsl::transit::parse_ciphertext(text);
    if (parsed.ok()) {
      check(parsed->key_version >= 1, kName, "key version 0 accepted");
      check(parsed->ciphertext.size() >= 45, kName, "ciphertext shorter than the enclave overhead");
      check(text.size() <= nsl::transit::kMaxCiphertextText, kName, "over-long text accepted");
      check(text.substr(0, 7) == "nsl:v1:", kName, "accepted without the nsl:v1: prefix");
      check(nsl::transit::format_ciphertext(parsed->key_version, parsed->ciphertext) == text, kName,
            "format_ciphertext(parse_ciphertext(s)) != s");
    } else {
      check(parsed.error().code() == nsl::ErrorCode::invalid_argument, kName,
            "error is not invalid_argument", parsed.error().message());
    }
    const bool ok_name = nsl::transit::validate_key_name(text).ok();
    check(ok_name == name_regex(text), kName, "validate_key_name disagrees with the name rule");
  } catch (const std::exception& e) {
    nsl::fuzz::fail(kName, "exception escaped", e.what());
  }
  return 0;
}
