#include "http/tls.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>

namespace nsl::http {
namespace ssl = boost::asio::ssl;
namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using PKeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Result<X509Ptr> read_first_cert(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) return err::invalid_argument("cannot open certificate file " + path);
  X509* x = PEM_read_X509(f.get(), nullptr, nullptr, nullptr);
  if (x == nullptr) return err::invalid_argument("no PEM certificate in " + path + ": " + openssl_error());
  return X509Ptr(x, X509_free);
}

double asn1_time_to_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<double>(timegm(&tm));
}

Result<std::shared_ptr<ssl::context>> build(const TlsSettings& s, double& not_after) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* raw = ctx->native_handle();
  int min = s.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  SSL_CTX_set_min_proto_version(raw, min);
  SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2: forward-secret AEAD suites only. TLS 1.3 suites are all AEAD (OpenSSL defaults).
  if (SSL_CTX_set_cipher_list(raw, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    return err::internal("TLS cipher list rejected: " + openssl_error());
  }
  if (SSL_CTX_use_certificate_chain_file(raw, s.cert_file.c_str()) != 1) {
    return err::invalid_argument("cannot load TLS certificate " + s.cert_file + ": " + openssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(raw, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return err::invalid_argument("cannot load TLS key " + s.key_file + ": " + openssl_error());
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    return err::invalid_argument("TLS key " + s.key_file + " does not match certificate " + s.cert_file);
  }
  if (!s.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(raw, s.client_ca_file.c_str(), nullptr) != 1) {
      return err::invalid_argument("cannot load client CA bundle " + s.client_ca_file + ": " + openssl_error());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(raw, names);
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_verify_depth(raw, 4);
  }
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_select_cb(
      raw,
      [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
         void*) -> int {
        unsigned char* sel = nullptr;
        if (SSL_select_next_proto(&sel, outlen, kAlpn, sizeof kAlpn, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
          return SSL_TLSEXT_ERR_NOACK;
        }
        *out = sel;
        return SSL_TLSEXT_ERR_OK;
      },
      nullptr);
  X509* leaf = SSL_CTX_get0_certificate(raw);
  not_after = leaf ? asn1_time_to_unix(X509_get0_notAfter(leaf)) : 0;
  return ctx;
}

Status write_pem(const std::string& path, mode_t mode, const std::function<int(FILE*)>& writer) {
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return err::internal("cannot write " + tmp);
  FilePtr f(::fdopen(fd, "wb"));
  if (!f) {
    ::close(fd);
    return err::internal("cannot write " + tmp);
  }
  if (writer(f.get()) != 1) return err::internal("PEM write failed for " + path + ": " + openssl_error());
  if (std::fflush(f.get()) != 0) return err::internal("cannot write " + tmp);
  f.reset();
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return err::internal("cannot rename " + tmp + ": " + ec.message());
  return {};
}

Status generate_self_signed(const std::string& cert_path, const std::string& key_path) {
  PKeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) return err::internal("EC key generation failed: " + openssl_error());
  X509Ptr x(X509_new(), X509_free);
  X509_set_version(x.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return err::internal("RAND_bytes failed");
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 90L * 24 * 3600);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("nsl development"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                             -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
  const char* exts[][2] = {{"subjectAltName", "DNS:localhost,IP:127.0.0.1,IP:::1"},
                           {"basicConstraints", "critical,CA:FALSE"},
                           {"keyUsage", "critical,digitalSignature"},
                           {"extendedKeyUsage", "serverAuth"}};
  for (auto& e : exts) {
    X509_EXTENSION* ext = X509V3_EXT_conf(nullptr, &v3, e[0], e[1]);
    if (ext == nullptr) return err::internal(std::string("X509 extension failed: ") + e[0]);
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(x.get(), key.get(), EVP_sha256()) == 0) return err::internal("X509_sign: " + openssl_error());
  NSL_TRY(write_pem(key_path, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }));
  NSL_TRY(write_pem(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, x.get()); }));
  return {};
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::create(const TlsSettings& s) {
  std::shared_ptr<TlsContext> t(new TlsContext());
  NSL_TRY(t->reload(s));
  return t;
}

std::shared_ptr<ssl::context> TlsContext::current() const {
  std::lock_guard lk(mu_);
  return ctx_;
}

Status TlsContext::reload(const TlsSettings& s) {
  double not_after = 0;
  NSL_TRY_ASSIGN(auto ctx, build(s, not_after));
  std::lock_guard lk(mu_);
  ctx_ = std::move(ctx);
  not_after_ = not_after;
  mutual_ = !s.client_ca_file.empty();
  return {};
}

double TlsContext::not_after_unix() const {
  std::lock_guard lk(mu_);
  return not_after_;
}

bool TlsContext::mutual() const {
  std::lock_guard lk(mu_);
  return mutual_;
}

Result<TlsSettings> ensure_dev_certificate(const std::string& dir, bool& generated) {
  generated = false;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return err::internal("cannot create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  TlsSettings s;
  s.cert_file = dir + "/dev-cert.pem";
  s.key_file = dir + "/dev-key.pem";
  if (std::filesystem::exists(s.cert_file) && std::filesystem::exists(s.key_file)) {
    auto cert = read_first_cert(s.cert_file);
    if (cert.ok()) {
      time_t soon = time(nullptr) + 7 * 24 * 3600;
      if (X509_cmp_time(X509_get0_notAfter(cert->get()), &soon) > 0) return s;
    }
  }
  NSL_TRY(generate_self_signed(s.cert_file, s.key_file));
  generated = true;
  return s;
}

Result<std::string> certificate_fingerprint(const std::string& pem_file) {
  NSL_TRY_ASSIGN(auto cert, read_first_cert(pem_file));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &n) != 1) return err::internal("X509_digest failed");
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    if (i) out += ':';
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

}  // namespace nsl::http
