// attest/internal/x509.hpp — the OpenSSL 3 side of quote verification: certificates, chains, CRLs,
// the PCK certificate's SGX extension, ECDSA-P256 r||s verification under a certificate key.
// Internal to the attest module (includes OpenSSL headers; never include from a public header).
#pragma once

#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::attest::internal {

using crypto::Bytes;
using crypto::ByteSpan;

struct X509Free {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct X509CrlFree {
  void operator()(X509_CRL* p) const noexcept { X509_CRL_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509CrlPtr = std::unique_ptr<X509_CRL, X509CrlFree>;
using CertChain = std::vector<X509Ptr>;

// Every certificate of a PEM text, put leaf first (each followed by its issuer, by name; root-first
// input is reordered); garbage between blocks is ignored. Empty when none.
CertChain parse_pem_chain(std::string_view pem);
// One certificate, DER or PEM.
Result<X509Ptr> parse_certificate(ByteSpan der_or_pem);
// One CRL, DER or PEM.
Result<X509CrlPtr> parse_crl(ByteSpan der_or_pem);

// ECDSA P-256 / SHA-256 verification of a raw r||s signature under a certificate's public key.
bool verify_rs_with_cert(X509* cert, ByteSpan message, ByteSpan signature_rs);

std::int64_t asn1_time_to_unix(const ASN1_TIME* t);  // INT64_MIN when unparseable
std::string name_of(const X509_NAME* name);           // "CN=..., O=..." (RFC 2253-ish, one line)
std::string subject_cn(X509* cert);
std::string sha256_hex(X509* cert);                  // of the DER encoding
std::string format_unix(std::int64_t t);              // "2025-06-19T10:56:11Z"
bool same_certificate(X509* a, X509* b);

struct ChainCheck {
  bool signatures_ok = false;
  std::string signatures_reason;
  bool trusted_ok = false;  // path validation to `root` (time ignored)
  std::string trusted_reason;
  bool time_ok = false;     // every certificate (and the root) valid at `now`
  std::string time_reason;
  std::int64_t not_before = 0, not_after = 0;  // intersection of the validity periods
};

// Checks a leaf-first chain: each certificate signed by the next (the last one self-signed, or
// issued by `root`), the path to `root` under OpenSSL's verifier, and validity at `now`.
ChainCheck check_chain(const CertChain& chain, X509* root, std::int64_t now);

struct CrlCheck {
  bool signature_ok = false;
  std::string reason;
};
// The CRL's signature verifies under `issuer` and its issuer name is the issuer's subject.
CrlCheck check_crl_signature(X509_CRL* crl, X509* issuer);
// True when `cert`'s serial is listed in `crl` (issuer names are not compared).
bool crl_lists(X509_CRL* crl, X509* cert);
std::int64_t crl_this_update(X509_CRL* crl);
std::int64_t crl_next_update(X509_CRL* crl);  // INT64_MIN when absent

// The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1).
struct SgxExtension {
  Bytes ppid;
  std::array<int, 16> comp_svn{};
  int pcesvn = 0;
  Bytes cpusvn;
  Bytes pceid;  // 2 bytes
  Bytes fmspc;  // 6 bytes
  std::optional<int> sgx_type;
};
// invalid_argument when absent or malformed.
Result<SgxExtension> parse_sgx_extension(X509* pck);

}  // namespace nsl::attest::internal
