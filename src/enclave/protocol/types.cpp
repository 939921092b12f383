// The vocabulary of enclave/enclave.hpp. It lives in the protocol module because both sides of the socket
// share it (the untrusted client and the trusted process), and neither may depend on the other.
#include <algorithm>
#include <cstring>

#include "crypto/hash.hpp"
#include "enclave/enclave.hpp"

namespace nsl::enclave {

std::string_view key_curve_name(KeyCurve c) noexcept {
  switch (c) {
    case KeyCurve::secp256r1: return "secp256r1";
    case KeyCurve::secp256k1: return "secp256k1";
    case KeyCurve::ed25519: return "ed25519";
  }
  return "unknown";
}

Result<KeyCurve> parse_key_curve(std::string_view name) {
  for (KeyCurve c : {KeyCurve::secp256r1, KeyCurve::secp256k1, KeyCurve::ed25519}) {
    if (key_curve_name(c) == name) return c;
  }
  return err::invalid_argument("unknown curve '" + std::string(name) +
                               "' (expected secp256r1, secp256k1 or ed25519)");
}

std::string_view sign_format_name(SignFormat f) noexcept {
  switch (f) {
    case SignFormat::raw_digest: return "raw_digest";
    case SignFormat::neo_message: return "neo_message";
    case SignFormat::eip191: return "eip191";
    case SignFormat::eip712: return "eip712";
    case SignFormat::neo_tx: return "neo_tx";
    case SignFormat::evm_tx: return "evm_tx";
  }
  return "unknown";
}

Result<SignFormat> parse_sign_format(std::string_view name) {
  for (SignFormat f : {SignFormat::raw_digest, SignFormat::neo_message, SignFormat::eip191, SignFormat::eip712,
                       SignFormat::neo_tx, SignFormat::evm_tx}) {
    if (sign_format_name(f) == name) return f;
  }
  return err::invalid_argument("unknown signing format '" + std::string(name) +
                               "' (expected raw_digest, neo_message, eip191, eip712, neo_tx or evm_tx)");
}

std::string_view mode_name(Mode m) noexcept {
  switch (m) {
    case Mode::sim: return "sim";
    case Mode::gramine_sgx: return "gramine-sgx";
    case Mode::tdx: return "tdx";
    case Mode::snp: return "snp";
  }
  return "unknown";
}

Result<Mode> parse_mode(std::string_view name) {
  for (Mode m : {Mode::sim, Mode::gramine_sgx, Mode::tdx, Mode::snp}) {
    if (mode_name(m) == name) return m;
  }
  return err::invalid_argument("unknown enclave mode '" + std::string(name) +
                               "' (expected sim, gramine-sgx, tdx or snp)");
}

namespace {

constexpr std::size_t kMaxBindingField = 128;

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

Status check_field(std::string_view name, std::string_view value, bool printable) {
  if (value.empty() || value.size() > kMaxBindingField) {
    return err::invalid_argument("binding " + std::string(name) + " must be 1.." +
                                 std::to_string(kMaxBindingField) + " bytes");
  }
  if (printable && !printable_ascii(value)) {
    return err::invalid_argument("binding " + std::string(name) +
                                 " must be printable ASCII without spaces");
  }
  return {};
}

}  // namespace

Status check_binding(const Binding& b) {
  NSL_TRY(check_field("tenant_id", b.tenant_id, true));
  NSL_TRY(check_field("object_id", b.object_id, true));
  NSL_TRY(check_field("purpose", b.purpose, true));
  return {};
}

std::array<std::uint8_t, 64> attest_report_data(AttestPurpose purpose, ByteView subject, ByteView nonce) {
  static constexpr char kTransport[] = "nsl-attest-v1/transport-key";  // + its NUL terminator
  static constexpr char kUser[] = "nsl-attest-v1/user";
  std::vector<std::uint8_t> in;
  const char* label = purpose == AttestPurpose::transport_key ? kTransport : kUser;
  const std::size_t label_len = std::strlen(label) + 1;
  in.reserve(label_len + 4 + subject.size() + nonce.size());
  in.insert(in.end(), label, label + label_len);
  const auto n = static_cast<std::uint32_t>(subject.size());
  for (int shift = 24; shift >= 0; shift -= 8) in.push_back(static_cast<std::uint8_t>(n >> shift));
  in.insert(in.end(), subject.begin(), subject.end());
  in.insert(in.end(), nonce.begin(), nonce.end());
  return crypto::sha512(in);
}

}  // namespace nsl::enclave
