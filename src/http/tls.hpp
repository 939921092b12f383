// nsl/http/tls.hpp — the server's TLS configuration, swappable at run time (SIGHUP).
//
//   TlsSettings s{.cert_file = "...", .key_file = "...", .client_ca_file = "", .min_version = "1.2"};
//   auto tls = TlsContext::create(s);           // Result<std::shared_ptr<TlsContext>>
//   auto ctx = tls->current();                   // shared_ptr<ssl::context> for a new connection
//   tls->reload(s);                              // new connections use the new certificate; old ones keep theirs
//
// TLS 1.2 minimum (1.3 preferred, or 1.3 only), AEAD ECDHE suites only for 1.2, no compression, no
// renegotiation. With a client CA bundle the server requires and verifies a client certificate (mTLS).
// Thread-safety: current() and reload() are safe from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.hpp"

namespace boost::asio::ssl {
class context;
}

namespace nsl::http {

struct TlsSettings {
  std::string cert_file;       // PEM chain, leaf first
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // non-empty: mTLS
  std::string min_version = "1.2";
};

class TlsContext {
 public:
  static Result<std::shared_ptr<TlsContext>> create(const TlsSettings& s);

  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Builds a new context from `s`; on failure the current one stays in use.
  Status reload(const TlsSettings& s);
  // notAfter of the current leaf certificate (seconds since the epoch).
  double not_after_unix() const;
  bool mutual() const;

 private:
  TlsContext() = default;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  double not_after_ = 0;
  bool mutual_ = false;
};

// Creates (or reuses, while valid for at least 7 more days) a self-signed P-256 development certificate for
// localhost / 127.0.0.1 / ::1 in `dir` (dev-cert.pem 0644, dev-key.pem 0600). Returns the settings pointing at
// them and sets `generated` when a new one was written.
Result<TlsSettings> ensure_dev_certificate(const std::string& dir, bool& generated);

// SHA-256 fingerprint (hex, colon-separated) of the first certificate in a PEM file.
Result<std::string> certificate_fingerprint(const std::string& pem_file);

}  // namespace nsl::http
