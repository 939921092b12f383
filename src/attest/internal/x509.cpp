#include "attest/internal/x509.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <climits>
#include <cstdio>
#include <ctime>
#include <limits>

#include "core/strings.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/hash.hpp"

namespace nsl::attest::internal {
namespace {

struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * p) const noexcept { sk_X509_free(p); }
};
struct AsnSeqFree {
  void operator()(STACK_OF(ASN1_TYPE) * p) const noexcept { sk_ASN1_TYPE_pop_free(p, ASN1_TYPE_free); }
};
struct ObjFree {
  void operator()(ASN1_OBJECT* p) const noexcept { ASN1_OBJECT_free(p); }
};
using SeqPtr = std::unique_ptr<STACK_OF(ASN1_TYPE), AsnSeqFree>;

bool looks_like_pem(ByteSpan b) {
  static constexpr std::string_view kBegin = "-----BEGIN";
  std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
  return s.find(kBegin) != std::string_view::npos;
}

std::unique_ptr<BIO, BioFree> mem_bio(const void* data, std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) return nullptr;
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(data, static_cast<int>(n)));
}

std::int64_t days_secs_to_unix(int days, int secs, std::int64_t base) {
  return base + static_cast<std::int64_t>(days) * 86400 + secs;
}

// Parses a DER SEQUENCE held by `s` (which must be exactly one SEQUENCE, nothing after it).
SeqPtr decode_sequence(const unsigned char* data, long len) {
  if (data == nullptr || len <= 0) return nullptr;
  const unsigned char* p = data;
  SeqPtr seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, len));
  if (!seq || p != data + len) return nullptr;
  return seq;
}

std::string oid_text(const ASN1_OBJECT* o) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof(buf), o, 1);
  if (n <= 0 || n >= static_cast<int>(sizeof(buf))) return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

// One {OID, value} pair of the SGX extension.
struct Entry {
  std::string oid;
  const ASN1_TYPE* value = nullptr;
};

// The elements of a SEQUENCE OF SEQUENCE {OID, ANY}; nullopt when the shape is different.
std::optional<std::vector<Entry>> entries(const STACK_OF(ASN1_TYPE) * seq, std::vector<SeqPtr>& keep) {
  std::vector<Entry> out;
  const int n = sk_ASN1_TYPE_num(seq);
  for (int i = 0; i < n; ++i) {
    const ASN1_TYPE* t = sk_ASN1_TYPE_value(seq, i);
    if (t == nullptr || t->type != V_ASN1_SEQUENCE || t->value.sequence == nullptr) return std::nullopt;
    SeqPtr pair = decode_sequence(t->value.sequence->data, t->value.sequence->length);
    if (!pair || sk_ASN1_TYPE_num(pair.get()) != 2) return std::nullopt;
    const ASN1_TYPE* k = sk_ASN1_TYPE_value(pair.get(), 0);
    const ASN1_TYPE* v = sk_ASN1_TYPE_value(pair.get(), 1);
    if (k == nullptr || k->type != V_ASN1_OBJECT || v == nullptr) return std::nullopt;
    std::string oid = oid_text(k->value.object);
    if (oid.empty()) return std::nullopt;
    out.push_back({std::move(oid), v});
    keep.push_back(std::move(pair));
  }
  return out;
}

std::optional<Bytes> octets(const ASN1_TYPE* v) {
  if (v->type != V_ASN1_OCTET_STRING || v->value.octet_string == nullptr) return std::nullopt;
  const ASN1_STRING* s = v->value.octet_string;
  if (s->length < 0) return std::nullopt;
  return Bytes(s->data, s->data + s->length);
}

std::optional<int> small_int(const ASN1_TYPE* v) {
  std::int64_t x = 0;
  if (v->type == V_ASN1_INTEGER && v->value.integer != nullptr) {
    if (ASN1_INTEGER_get_int64(&x, v->value.integer) != 1) return std::nullopt;
  } else if (v->type == V_ASN1_ENUMERATED && v->value.enumerated != nullptr) {
    if (ASN1_ENUMERATED_get_int64(&x, v->value.enumerated) != 1) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (x < 0 || x > 65535) return std::nullopt;
  return static_cast<int>(x);
}

bool issues(X509* issuer, X509* subject) {
  return issuer != subject && X509_NAME_cmp(X509_get_subject_name(issuer), X509_get_issuer_name(subject)) == 0;
}

bool self_issued(X509* c) { return X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)) == 0; }

// Leaf first, each certificate followed by its issuer (by name). Some published chains are root
// first (Intel's QVL sample data); certificates that fit nowhere stay at the end, where the
// signature check reports them.
CertChain leaf_first(CertChain in) {
  if (in.size() < 2) return in;
  std::optional<std::size_t> leaf;
  for (std::size_t i = 0; i < in.size(); ++i) {
    bool issues_another = false;
    for (std::size_t j = 0; j < in.size() && !issues_another; ++j) {
      issues_another = j != i && !self_issued(in[j].get()) && issues(in[i].get(), in[j].get());
    }
    if (!issues_another) {
      if (leaf) return in;  // two candidate leaves: not a chain, keep the given order
      leaf = i;
    }
  }
  if (!leaf) return in;
  CertChain out;
  std::vector<bool> used(in.size(), false);
  std::size_t cur = *leaf;
  while (true) {
    used[cur] = true;
    out.push_back(std::move(in[cur]));
    X509* last = out.back().get();
    if (self_issued(last)) break;
    std::optional<std::size_t> next;
    for (std::size_t j = 0; j < in.size() && !next; ++j) {
      if (!used[j] && issues(in[j].get(), last)) next = j;
    }
    if (!next) break;
    cur = *next;
  }
  for (std::size_t j = 0; j < in.size(); ++j) {
    if (!used[j]) out.push_back(std::move(in[j]));
  }
  return out;
}

}  // namespace

CertChain parse_pem_chain(std::string_view pem) {
  CertChain out;
  auto bio = mem_bio(pem.data(), pem.size());
  if (!bio) return out;
  while (true) {
    X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (c == nullptr) break;
    out.emplace_back(c);
    if (out.size() > 16) break;  // no real chain is this long
  }
  ERR_clear_error();
  return leaf_first(std::move(out));
}

Result<X509Ptr> parse_certificate(ByteSpan in) {
  X509* c = nullptr;
  if (looks_like_pem(in)) {
    auto bio = mem_bio(in.data(), in.size());
    if (bio) c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  } else if (in.size() <= static_cast<std::size_t>(LONG_MAX)) {
    const unsigned char* p = in.data();
    c = d2i_X509(nullptr, &p, static_cast<long>(in.size()));
    if (c != nullptr && p != in.data() + in.size()) {
      X509_free(c);
      c = nullptr;
    }
  }
  ERR_clear_error();
  if (c == nullptr) return err::invalid_argument("not an X.509 certificate (DER or PEM)");
  return X509Ptr(c);
}

Result<X509CrlPtr> parse_crl(ByteSpan in) {
  X509_CRL* c = nullptr;
  if (looks_like_pem(in)) {
    auto bio = mem_bio(in.data(), in.size());
    if (bio) c = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
  } else if (in.size() <= static_cast<std::size_t>(LONG_MAX)) {
    const unsigned char* p = in.data();
    c = d2i_X509_CRL(nullptr, &p, static_cast<long>(in.size()));
    if (c != nullptr && p != in.data() + in.size()) {
      X509_CRL_free(c);
      c = nullptr;
    }
  }
  ERR_clear_error();
  if (c == nullptr) return err::invalid_argument("not an X.509 CRL (DER or PEM)");
  return X509CrlPtr(c);
}

bool verify_rs_with_cert(X509* cert, ByteSpan message, ByteSpan signature_rs) {
  if (cert == nullptr || signature_rs.size() != 64) return false;
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
    ERR_clear_error();
    return false;
  }
  auto der = crypto::ecdsa_p1363_to_der(signature_rs);
  if (!der.ok()) return false;
  std::unique_ptr<EVP_MD_CTX, PkeyCtxFree> ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), der->data(), der->size(), message.data(), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::int64_t asn1_time_to_unix(const ASN1_TIME* t) {
  if (t == nullptr) return std::numeric_limits<std::int64_t>::min();
  // Difference from the epoch avoids timegm's dependence on the platform's time_t range.
  int days = 0;
  int secs = 0;
  ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
  const int rc = epoch != nullptr ? ASN1_TIME_diff(&days, &secs, epoch, t) : 0;
  ASN1_TIME_free(epoch);
  ERR_clear_error();
  if (rc != 1) return std::numeric_limits<std::int64_t>::min();
  return days_secs_to_unix(days, secs, 0);
}

std::string name_of(const X509_NAME* name) {
  if (name == nullptr) return {};
  auto bio = std::unique_ptr<BIO, BioFree>(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  ERR_clear_error();
  return n > 0 && data != nullptr ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string subject_cn(X509* cert) {
  if (cert == nullptr) return {};
  char buf[256];
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  ERR_clear_error();
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : name_of(X509_get_subject_name(cert));
}

std::string sha256_hex(X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  if (n <= 0 || der == nullptr) return {};
  auto h = crypto::sha256(ByteSpan(der, static_cast<std::size_t>(n)));
  OPENSSL_free(der);
  return to_hex(h);
}

std::string format_unix(std::int64_t t) {
  if (t == std::numeric_limits<std::int64_t>::min()) return "(invalid time)";
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return std::to_string(t);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

bool same_certificate(X509* a, X509* b) { return a != nullptr && b != nullptr && X509_cmp(a, b) == 0; }

ChainCheck check_chain(const CertChain& chain, X509* root, std::int64_t now) {
  ChainCheck r;
  if (chain.empty()) {
    r.signatures_reason = r.trusted_reason = r.time_reason = "no certificate chain";
    return r;
  }
  // 1. Each certificate signed by the next one; the last self-signed or issued by the root.
  r.signatures_ok = true;
  for (std::size_t i = 0; i < chain.size() && r.signatures_ok; ++i) {
    X509* c = chain[i].get();
    X509* issuer = i + 1 < chain.size() ? chain[i + 1].get() : nullptr;
    if (issuer == nullptr) {
      const bool self_issued = X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)) == 0;
      issuer = self_issued ? c : root;
    }
    if (issuer == nullptr ||
        X509_NAME_cmp(X509_get_subject_name(issuer), X509_get_issuer_name(c)) != 0) {
      r.signatures_ok = false;
      r.signatures_reason = "certificate " + std::to_string(i) + " (" + subject_cn(c) +
                            ") is not issued by the next certificate of the chain";
      break;
    }
    EVP_PKEY* key = X509_get0_pubkey(issuer);
    if (key == nullptr || X509_verify(c, key) != 1) {
      r.signatures_ok = false;
      r.signatures_reason = "signature of certificate " + std::to_string(i) + " (" + subject_cn(c) +
                            ") does not verify under " + subject_cn(issuer);
    }
  }
  ERR_clear_error();
  if (r.signatures_ok) r.signatures_reason = std::to_string(chain.size()) + " certificates";

  // 2. Path validation to the trusted root (OpenSSL's verifier; time is checked separately below).
  if (root == nullptr) {
    r.trusted_reason = "no trusted root";
  } else {
    std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
    std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
    std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
    bool setup = store && ctx && untrusted && X509_STORE_add_cert(store.get(), root) == 1;
    for (std::size_t i = 1; setup && i < chain.size(); ++i) {
      setup = sk_X509_push(untrusted.get(), chain[i].get()) > 0;
    }
    if (setup) {
      setup = X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get()) == 1;
    }
    if (!setup) {
      r.trusted_reason = "OpenSSL could not set up chain verification";
    } else {
      X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
      if (X509_verify_cert(ctx.get()) == 1) {
        r.trusted_ok = true;
        r.trusted_reason = "ends at " + subject_cn(root);
      } else {
        const int e = X509_STORE_CTX_get_error(ctx.get());
        X509* top = chain.back().get();
        r.trusted_reason = std::string("chain does not lead to the trusted root (") +
                           X509_verify_cert_error_string(e) + "); chain root: " + subject_cn(top) +
                           " sha256 " + sha256_hex(top).substr(0, 16) + "…, trusted root sha256 " +
                           sha256_hex(root).substr(0, 16) + "…";
      }
    }
    ERR_clear_error();
  }

  // 3. Validity at `now` of every certificate and the root.
  r.time_ok = true;
  r.not_before = std::numeric_limits<std::int64_t>::min();
  r.not_after = std::numeric_limits<std::int64_t>::max();
  std::vector<X509*> all;
  for (const auto& c : chain) all.push_back(c.get());
  if (root != nullptr) all.push_back(root);
  for (X509* c : all) {
    const std::int64_t nb = asn1_time_to_unix(X509_get0_notBefore(c));
    const std::int64_t na = asn1_time_to_unix(X509_get0_notAfter(c));
    if (nb == std::numeric_limits<std::int64_t>::min() || na == std::numeric_limits<std::int64_t>::min()) {
      r.time_ok = false;
      r.time_reason = subject_cn(c) + " has an unreadable validity period";
      break;
    }
    r.not_before = std::max(r.not_before, nb);
    r.not_after = std::min(r.not_after, na);
    if (now < nb || now > na) {
      r.time_ok = false;
      r.time_reason = subject_cn(c) + " is valid " + format_unix(nb) + " to " + format_unix(na) +
                      ", not at " + format_unix(now);
      break;
    }
  }
  if (r.time_ok) r.time_reason = "valid at " + format_unix(now);
  return r;
}

CrlCheck check_crl_signature(X509_CRL* crl, X509* issuer) {
  CrlCheck r;
  if (crl == nullptr || issuer == nullptr) {
    r.reason = "no CRL or no issuer certificate";
    return r;
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
    r.reason = "CRL issuer " + name_of(X509_CRL_get_issuer(crl)) + " is not " + subject_cn(issuer);
    return r;
  }
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  r.signature_ok = key != nullptr && X509_CRL_verify(crl, key) == 1;
  ERR_clear_error();
  r.reason = r.signature_ok ? "signed by " + subject_cn(issuer)
                            : "CRL signature does not verify under " + subject_cn(issuer);
  return r;
}

bool crl_lists(X509_CRL* crl, X509* cert) {
  if (crl == nullptr || cert == nullptr) return false;
  X509_REVOKED* rev = nullptr;
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  const int rc = X509_CRL_get0_by_serial(crl, &rev, serial);
  ERR_clear_error();
  return rc == 1;
}

std::int64_t crl_this_update(X509_CRL* crl) { return asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl)); }
std::int64_t crl_next_update(X509_CRL* crl) { return asn1_time_to_unix(X509_CRL_get0_nextUpdate(crl)); }

Result<SgxExtension> parse_sgx_extension(X509* pck) {
  static constexpr const char* kSgxOid = "1.2.840.113741.1.13.1";
  std::unique_ptr<ASN1_OBJECT, ObjFree> oid(OBJ_txt2obj(kSgxOid, 1));
  if (!oid) return err::internal("OpenSSL cannot encode the SGX extension OID");
  const int idx = X509_get_ext_by_OBJ(pck, oid.get(), -1);
  if (idx < 0) return err::invalid_argument("PCK certificate has no SGX extension (" + std::string(kSgxOid) + ")");
  X509_EXTENSION* ext = X509_get_ext(pck, idx);
  const ASN1_OCTET_STRING* data = ext != nullptr ? X509_EXTENSION_get_data(ext) : nullptr;
  if (data == nullptr) return err::invalid_argument("SGX extension: no value");

  std::vector<SeqPtr> keep;
  SeqPtr top = decode_sequence(data->data, data->length);
  if (!top) return err::invalid_argument("SGX extension: value is not a DER SEQUENCE");
  auto items = entries(top.get(), keep);
  if (!items) return err::invalid_argument("SGX extension: malformed {OID, value} list");

  SgxExtension x;
  bool have_tcb = false;
  std::array<bool, 16> have_comp{};
  bool have_pcesvn = false;
  const std::string base = std::string(kSgxOid) + ".";
  for (const Entry& e : *items) {
    if (e.oid == base + "1") {
      auto v = octets(e.value);
      if (!v) return err::invalid_argument("SGX extension: PPID is not an OCTET STRING");
      x.ppid = std::move(*v);
    } else if (e.oid == base + "2") {
      if (e.value->type != V_ASN1_SEQUENCE || e.value->value.sequence == nullptr) {
        return err::invalid_argument("SGX extension: TCB is not a SEQUENCE");
      }
      SeqPtr tcb = decode_sequence(e.value->value.sequence->data, e.value->value.sequence->length);
      if (!tcb) return err::invalid_argument("SGX extension: TCB is not a DER SEQUENCE");
      auto comps = entries(tcb.get(), keep);
      keep.push_back(std::move(tcb));
      if (!comps) return err::invalid_argument("SGX extension: malformed TCB list");
      const std::string tcb_base = base + "2.";
      for (const Entry& c : *comps) {
        if (c.oid.rfind(tcb_base, 0) != 0) continue;
        const auto n = parse_u64(std::string_view(c.oid).substr(tcb_base.size()));
        if (!n) continue;
        if (*n >= 1 && *n <= 16) {
          auto v = small_int(c.value);
          if (!v || *v > 255) return err::invalid_argument("SGX extension: bad TCB component SVN");
          x.comp_svn[*n - 1] = *v;
          have_comp[*n - 1] = true;
        } else if (*n == 17) {
          auto v = small_int(c.value);
          if (!v) return err::invalid_argument("SGX extension: bad PCESVN");
          x.pcesvn = *v;
          have_pcesvn = true;
        } else if (*n == 18) {
          auto v = octets(c.value);
          if (!v || v->size() != 16) return err::invalid_argument("SGX extension: bad CPUSVN");
          x.cpusvn = std::move(*v);
        }
      }
      have_tcb = true;
    } else if (e.oid == base + "3") {
      auto v = octets(e.value);
      if (!v || v->size() != 2) return err::invalid_argument("SGX extension: PCE-ID is not 2 bytes");
      x.pceid = std::move(*v);
    } else if (e.oid == base + "4") {
      auto v = octets(e.value);
      if (!v || v->size() != 6) return err::invalid_argument("SGX extension: FMSPC is not 6 bytes");
      x.fmspc = std::move(*v);
    } else if (e.oid == base + "5") {
      auto v = small_int(e.value);
      if (v) x.sgx_type = *v;
    }
  }
  if (!have_tcb || !have_pcesvn) return err::invalid_argument("SGX extension: TCB or PCESVN missing");
  for (bool b : have_comp) {
    if (!b) return err::invalid_argument("SGX extension: a TCB component SVN is missing");
  }
  if (x.fmspc.empty()) return err::invalid_argument("SGX extension: FMSPC missing");
  if (x.pceid.empty()) return err::invalid_argument("SGX extension: PCE-ID missing");
  return x;
}

}  // namespace nsl::attest::internal
