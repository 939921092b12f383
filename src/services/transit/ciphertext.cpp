// Transit ciphertext text form and associated data (ciphertext.hpp).
#include "services/transit/ciphertext.hpp"

#include "core/base64.hpp"
#include "enclave/enclave.hpp"

namespace nsl::transit {
namespace {
constexpr std::string_view kAadLabel = "nsl-transit-v1";
constexpr std::string_view kAnyPrefix = "nsl:";
constexpr std::size_t kMaxVersionDigits = 10;  // 4294967295
}  // namespace

Result<ParsedCiphertext> parse_ciphertext(std::string_view text) {
  if (text.empty()) return err::invalid_argument("ciphertext is empty");
  if (text.size() > kMaxCiphertextText)
    return err::invalid_argument("ciphertext is longer than any transit ciphertext");
  if (text.substr(0, kAnyPrefix.size()) != kAnyPrefix)
    return err::invalid_argument("ciphertext must start with \"nsl:v1:\"");
  if (text.substr(0, kCiphertextPrefix.size()) != kCiphertextPrefix)
    return err::invalid_argument("unsupported ciphertext format version (expected \"nsl:v1:\")");
  std::string_view rest = text.substr(kCiphertextPrefix.size());
  const std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos)
    return err::invalid_argument("ciphertext must be nsl:v1:<key version>:<base64>");
  const std::string_view digits = rest.substr(0, colon);
  if (digits.empty() || digits.size() > kMaxVersionDigits)
    return err::invalid_argument("ciphertext key version must be 1..4294967295");
  std::uint64_t version = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return err::invalid_argument("ciphertext key version must be a decimal number");
    version = version * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (digits.size() > 1 && digits.front() == '0')
    return err::invalid_argument("ciphertext key version must not have leading zeros");
  if (version == 0 || version > UINT32_MAX)
    return err::invalid_argument("ciphertext key version must be 1..4294967295");
  const std::string_view b64 = rest.substr(colon + 1);
  auto bytes = base64_decode(b64);
  if (!bytes) return err::invalid_argument("ciphertext body is not canonical padded base64");
  if (bytes->size() < enclave::kDataCiphertextOverhead)
    return err::invalid_argument("ciphertext body is too short");
  return ParsedCiphertext{.key_version = static_cast<std::uint32_t>(version),
                          .ciphertext = std::move(*bytes)};
}

std::string format_ciphertext(std::uint32_t key_version, std::span<const std::uint8_t> ciphertext) {
  std::string out(kCiphertextPrefix);
  out += std::to_string(key_version);
  out += ':';
  out += base64_encode(ciphertext);
  return out;
}

std::vector<std::uint8_t> transit_aad(std::string_view tenant_id, std::string_view name,
                                      std::span<const std::uint8_t> associated_data) {
  std::vector<std::uint8_t> out;
  out.reserve(kAadLabel.size() + tenant_id.size() + name.size() + 3 + associated_data.size());
  auto put = [&out](std::string_view s) { out.insert(out.end(), s.begin(), s.end()); };
  put(kAadLabel);
  out.push_back(0);
  put(tenant_id);
  out.push_back(0);
  put(name);
  out.push_back(0);
  out.insert(out.end(), associated_data.begin(), associated_data.end());
  return out;
}

}  // namespace nsl::transit
