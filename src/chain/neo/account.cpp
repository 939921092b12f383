#include "chain/neo/account.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "chain/neo/base58.hpp"
#include "chain/neo/internal/wipe.hpp"
#include "chain/neo/script.hpp"
#include "crypto/hash.hpp"

namespace nsl::neo {
namespace {

constexpr auto kCurve = crypto::Curve::secp256r1;

std::string hex_byte(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

Error prefixed(std::string_view prefix, const Error& e) {
  return err::invalid_argument(std::string(prefix) + ": " + e.message());
}

std::uint32_t read_u32le(ByteSpan s) {
  return static_cast<std::uint32_t>(s[0]) | static_cast<std::uint32_t>(s[1]) << 8 |
         static_cast<std::uint32_t>(s[2]) << 16 | static_cast<std::uint32_t>(s[3]) << 24;
}

// Reads the PUSH m / PUSH n operand of a multisig script at `i` (PUSHINT8, PUSHINT16 or
// PUSH1..PUSH16, read unsigned as N3 does); advances `i`.
std::optional<std::size_t> read_small_int(ByteSpan s, std::size_t& i) {
  if (i >= s.size()) return std::nullopt;
  const std::uint8_t op = s[i];
  if (op == static_cast<std::uint8_t>(OpCode::PUSHINT8)) {
    if (i + 2 > s.size()) return std::nullopt;
    const std::size_t v = s[i + 1];
    i += 2;
    return v;
  }
  if (op == static_cast<std::uint8_t>(OpCode::PUSHINT16)) {
    if (i + 3 > s.size()) return std::nullopt;
    const std::size_t v = static_cast<std::size_t>(s[i + 1]) | static_cast<std::size_t>(s[i + 2])
                                                                   << 8;
    i += 3;
    return v;
  }
  if (op >= static_cast<std::uint8_t>(OpCode::PUSH1) &&
      op <= static_cast<std::uint8_t>(OpCode::PUSH16)) {
    ++i;
    return static_cast<std::size_t>(op - static_cast<std::uint8_t>(OpCode::PUSH0));
  }
  return std::nullopt;
}

}  // namespace

// --- WIF -----------------------------------------------------------------------------------------

Result<SecretString> wif_encode(const SecretBytes& private_key, SecretAccess access) {
  if (!crypto::ec_check_private_key(kCurve, private_key).ok()) {
    return err::invalid_argument("WIF: not a valid secp256r1 private key");
  }
  const ByteSpan key = private_key.reveal(access);
  Bytes payload;
  payload.reserve(34);
  internal::WipeOnExit guard(payload);
  payload.push_back(kWifVersion);
  payload.insert(payload.end(), key.begin(), key.end());
  payload.push_back(kWifCompressedFlag);
  std::string wif = base58check_encode(payload);
  return SecretString::take(wif);
}

Result<SecretBytes> wif_decode(std::string_view wif) {
  auto decoded = base58check_decode(wif);
  if (!decoded) return prefixed("WIF", decoded.error());
  Bytes payload = std::move(decoded).value();
  internal::WipeOnExit guard(payload);
  if (payload.size() != 34) {
    std::string msg = "WIF: decoded payload is " + std::to_string(payload.size()) +
                      " bytes, expected 34 (0x80 || 32-byte key || 0x01)";
    if (payload.size() == 33) msg += "; uncompressed-key WIFs are not used by N3";
    return err::invalid_argument(msg);
  }
  if (payload[0] != kWifVersion) {
    return err::invalid_argument("WIF: version byte " + hex_byte(payload[0]) + " is not 0x80");
  }
  if (payload[33] != kWifCompressedFlag) {
    return err::invalid_argument("WIF: compression flag " + hex_byte(payload[33]) + " is not 0x01");
  }
  SecretBytes key = SecretBytes::copy_of(ByteSpan(payload).subspan(1, 32));
  if (!crypto::ec_check_private_key(kCurve, key).ok()) {
    return err::invalid_argument("WIF: key is not a valid secp256r1 private key (0 or >= n)");
  }
  return key;
}

// --- verification scripts ------------------------------------------------------------------------

Result<Bytes> signature_redeem_script(ByteSpan public_key) {
  auto compressed = crypto::ec_compress(kCurve, public_key);
  if (!compressed) return prefixed("public key", compressed.error());
  ScriptBuilder sb;
  sb.push_bytes(*compressed).syscall("System.Crypto.CheckSig");
  return std::move(sb).take();
}

Bytes signature_redeem_script_unchecked(const PublicKey& compressed) {
  ScriptBuilder sb;
  sb.push_bytes(compressed).syscall("System.Crypto.CheckSig");
  return std::move(sb).take();
}

int compare_public_keys(const PublicKey& a, const PublicKey& b) {
  const int x = std::memcmp(a.data() + 1, b.data() + 1, 32);
  if (x != 0) return x < 0 ? -1 : 1;
  if (a[0] == b[0]) return 0;
  // Same X, opposite points: compare the Y integers (the parity prefix does not order them).
  auto ya = crypto::ec_decompress(kCurve, a);
  auto yb = crypto::ec_decompress(kCurve, b);
  if (!ya || !yb) return a[0] < b[0] ? -1 : 1;  // not points; any consistent order will do
  const int y = std::memcmp(ya->data() + 33, yb->data() + 33, 32);
  return y < 0 ? -1 : (y > 0 ? 1 : 0);
}

Result<Bytes> multisig_redeem_script(std::size_t m, std::span<const PublicKey> public_keys) {
  const std::size_t n = public_keys.size();
  if (n == 0 || n > kMaxMultisigKeys) {
    return err::invalid_argument("multisig: need 1..1024 public keys, got " + std::to_string(n));
  }
  if (m < 1 || m > n) {
    return err::invalid_argument("multisig: m = " + std::to_string(m) + " is outside 1.." +
                                 std::to_string(n));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!crypto::ec_check_public_key(kCurve, public_keys[i]).ok()) {
      return err::invalid_argument("multisig: public key " + std::to_string(i) +
                                   " is not a valid secp256r1 point");
    }
  }
  std::vector<PublicKey> sorted(public_keys.begin(), public_keys.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const PublicKey& a, const PublicKey& b) { return compare_public_keys(a, b) < 0; });
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return err::invalid_argument("multisig: duplicate public key");
  }
  ScriptBuilder sb;
  sb.push_int(static_cast<std::int64_t>(m));
  for (const auto& k : sorted) sb.push_bytes(k);
  sb.push_int(static_cast<std::int64_t>(n)).syscall("System.Crypto.CheckMultisig");
  return std::move(sb).take();
}

std::optional<PublicKey> parse_signature_contract(ByteSpan s) {
  if (s.size() != kSignatureRedeemScriptSize ||
      s[0] != static_cast<std::uint8_t>(OpCode::PUSHDATA1) || s[1] != 33 ||
      s[35] != static_cast<std::uint8_t>(OpCode::SYSCALL) ||
      read_u32le(s.subspan(36)) != kSyscallCheckSig) {
    return std::nullopt;
  }
  PublicKey k;
  std::copy(s.begin() + 2, s.begin() + 35, k.begin());
  return k;
}

std::optional<MultisigContract> parse_multisig_contract(ByteSpan s) {
  if (s.size() < 42) return std::nullopt;
  std::size_t i = 0;
  const auto m = read_small_int(s, i);
  if (!m || *m < 1 || *m > kMaxMultisigKeys) return std::nullopt;
  MultisigContract c;
  c.m = *m;
  while (i < s.size() && s[i] == static_cast<std::uint8_t>(OpCode::PUSHDATA1)) {
    if (s.size() <= i + 35 || s[i + 1] != 33) return std::nullopt;
    PublicKey k;
    std::copy(s.begin() + static_cast<std::ptrdiff_t>(i + 2),
              s.begin() + static_cast<std::ptrdiff_t>(i + 35), k.begin());
    c.keys.push_back(k);
    if (c.keys.size() > kMaxMultisigKeys) return std::nullopt;
    i += 35;
  }
  if (c.keys.size() < c.m) return std::nullopt;
  const auto n = read_small_int(s, i);
  if (!n || *n != c.keys.size()) return std::nullopt;
  if (s.size() != i + 5 || s[i] != static_cast<std::uint8_t>(OpCode::SYSCALL) ||
      read_u32le(s.subspan(i + 1)) != kSyscallCheckMultisig) {
    return std::nullopt;
  }
  return c;
}

// --- script hashes and addresses -----------------------------------------------------------------

UInt160 script_hash(ByteSpan script) { return UInt160{crypto::hash160(script)}; }

std::string to_address(const UInt160& h, std::uint8_t version) {
  std::array<std::uint8_t, 21> payload{};
  payload[0] = version;
  std::copy(h.bytes.begin(), h.bytes.end(), payload.begin() + 1);
  return base58check_encode(payload);
}

Result<UInt160> address_to_script_hash(std::string_view address, std::uint8_t version) {
  auto decoded = base58check_decode(address);
  if (!decoded) return prefixed("address", decoded.error());
  const Bytes& p = *decoded;
  if (p.size() != 21) {
    return err::invalid_argument("address: decoded payload is " + std::to_string(p.size()) +
                                 " bytes, expected 21 (version byte + 20-byte script hash)");
  }
  if (p[0] != version) {
    return err::invalid_argument("address: version byte " + hex_byte(p[0]) + " is not " +
                                 hex_byte(version) + " (N3 addresses use 0x35)");
  }
  return UInt160::from_raw(ByteSpan(p).subspan(1));
}

Result<std::string> public_key_to_address(ByteSpan public_key, std::uint8_t version) {
  NSL_TRY_ASSIGN(Bytes script, signature_redeem_script(public_key));
  return to_address(script_hash(script), version);
}

}  // namespace nsl::neo
