#include "attest/sim_quote.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace nsl::attest {
namespace {

constexpr char kMagic[8] = {'N', 'S', 'L', 'S', 'I', 'M', 'Q', 'T'};

}  // namespace

bool is_sim_quote(crypto::ByteSpan quote) noexcept {
  return quote.size() >= sizeof(kMagic) && std::memcmp(quote.data(), kMagic, sizeof(kMagic)) == 0;
}

Result<crypto::Bytes> sim_quote_create(const crypto::Ed25519KeyPair& quoting_key,
                                       crypto::ByteSpan measurement, crypto::ByteSpan report_data) {
  if (measurement.size() != 32) {
    return err::invalid_argument("sim quote: measurement must be 32 bytes, got " +
                                 std::to_string(measurement.size()));
  }
  if (report_data.size() != 64) {
    return err::invalid_argument("sim quote: report_data must be 64 bytes, got " +
                                 std::to_string(report_data.size()));
  }
  crypto::Bytes q(kSimQuoteSize, 0);
  std::memcpy(q.data(), kMagic, sizeof(kMagic));
  q[8] = static_cast<std::uint8_t>(kSimQuoteVersion & 0xff);
  q[9] = static_cast<std::uint8_t>(kSimQuoteVersion >> 8);
  std::copy(measurement.begin(), measurement.end(), q.begin() + 12);
  std::copy(report_data.begin(), report_data.end(), q.begin() + 44);
  std::copy(quoting_key.public_key.begin(), quoting_key.public_key.end(), q.begin() + 108);
  NSL_TRY_ASSIGN(auto sig, crypto::ed25519_sign(quoting_key.secret_key,
                                                crypto::ByteSpan(q).first(kSimQuoteSignedSize)));
  std::copy(sig.begin(), sig.end(), q.begin() + kSimQuoteSignedSize);
  // A secret key whose public half differs from quoting_key.public_key would make an unverifiable
  // quote; refuse to hand one out.
  if (!sim_quote_signature_valid(q)) {
    return err::invalid_argument("sim quote: the quoting key pair is inconsistent");
  }
  return q;
}

Result<crypto::Bytes> sim_quote_create(const SecretBytes& ed25519_seed,
                                       crypto::ByteSpan measurement, crypto::ByteSpan report_data) {
  if (ed25519_seed.size() != crypto::kEd25519SeedSize) {
    return err::invalid_argument("sim quote: the quoting key must be a 32-byte Ed25519 seed, got " +
                                 std::to_string(ed25519_seed.size()) + " bytes");
  }
  NSL_TRY_ASSIGN(auto kp, crypto::ed25519_from_seed(ed25519_seed));
  return sim_quote_create(kp, measurement, report_data);
}

Result<SimQuote> sim_quote_decode(crypto::ByteSpan q) {
  if (!is_sim_quote(q)) return err::invalid_argument("sim quote: bad magic (expected NSLSIMQT)");
  if (q.size() != kSimQuoteSize) {
    return err::invalid_argument("sim quote: must be exactly 204 bytes, got " +
                                 std::to_string(q.size()));
  }
  SimQuote s;
  s.version = static_cast<std::uint16_t>(q[8] | (q[9] << 8));
  if (s.version != kSimQuoteVersion) {
    return err::invalid_argument("sim quote: unsupported version " + std::to_string(s.version));
  }
  if (q[10] != 0 || q[11] != 0) return err::invalid_argument("sim quote: reserved field is not zero");
  std::memcpy(s.measurement.data(), q.data() + 12, 32);
  std::memcpy(s.report_data.data(), q.data() + 44, 64);
  std::memcpy(s.quoting_key.data(), q.data() + 108, 32);
  std::memcpy(s.signature.data(), q.data() + 140, 64);
  return s;
}

bool sim_quote_signature_valid(crypto::ByteSpan q) noexcept {
  if (q.size() != kSimQuoteSize) return false;
  return crypto::ed25519_verify(q.subspan(108, 32), q.first(kSimQuoteSignedSize),
                                q.subspan(kSimQuoteSignedSize, 64));
}

Result<SimQuote> sim_quote_parse(crypto::ByteSpan q) {
  NSL_TRY_ASSIGN(SimQuote s, sim_quote_decode(q));
  if (!sim_quote_signature_valid(q)) {
    return err::unauthenticated("sim quote: Ed25519 signature does not verify");
  }
  return s;
}

}  // namespace nsl::attest
