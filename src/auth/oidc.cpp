#include "auth/oidc.hpp"

#include <curl/curl.h>

#include "core/base64.hpp"
#include "core/json_strict.hpp"
#include "obs/log.hpp"

namespace nsl::auth {
namespace {

constexpr std::size_t kMaxJwksBytes = 256 * 1024;

struct Body {
  std::string data;
  bool too_large = false;
};

std::size_t on_data(char* p, std::size_t size, std::size_t n, void* user) {
  auto* b = static_cast<Body*>(user);
  if (b->data.size() + size * n > kMaxJwksBytes) {
    b->too_large = true;
    return 0;  // aborts the transfer
  }
  b->data.append(p, size * n);
  return size * n;
}

class CurlJwksSource final : public JwksSource {
 public:
  Result<std::string> fetch(const std::string& url) override {
    static const bool init = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
    if (!init) return err::internal("libcurl failed to initialise");
    CURL* c = curl_easy_init();
    if (c == nullptr) return err::unavailable("cannot fetch the issuer's JWKS");
    Body body;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (body.too_large) return err::unavailable("the issuer's JWKS is larger than 256 KiB");
    if (rc != CURLE_OK) return err::unavailable(std::string("cannot fetch the issuer's JWKS: ") + curl_easy_strerror(rc));
    if (status != 200) return err::unavailable("the issuer's JWKS answered HTTP " + std::to_string(status));
    return std::move(body.data);
  }
};

}  // namespace

std::unique_ptr<JwksSource> make_curl_jwks_source() { return std::make_unique<CurlJwksSource>(); }

Status check_jwks_url(std::string_view url) {
  if (url.rfind("https://", 0) == 0 && url.size() > 8) return {};
  for (std::string_view loop : {"http://127.0.0.1:", "http://127.0.0.1/", "http://[::1]:", "http://[::1]/",
                                "http://localhost:", "http://localhost/"}) {
    if (url.rfind(loop, 0) == 0) return {};
  }
  return err::invalid_argument("the JWKS URL must be https:// (http:// only to a loopback address)");
}

std::optional<std::string> unverified_issuer(std::string_view token) {
  const auto a = token.find('.');
  if (a == std::string_view::npos || token.size() > 16 * 1024) return std::nullopt;
  const auto b = token.find('.', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto payload = base64url_decode(token.substr(a + 1, b - a - 1));
  if (!payload) return std::nullopt;
  auto j = parse_json_strict(std::string_view(reinterpret_cast<const char*>(payload->data()), payload->size()), 8);
  if (!j.ok() || !j->contains("iss") || !(*j)["iss"].is_string()) return std::nullopt;
  return (*j)["iss"].get<std::string>();
}

OidcVerifier::OidcVerifier(OidcIssuerConfig config, std::unique_ptr<JwksSource> source, const Clock& clock)
    : cfg_(std::move(config)), source_(std::move(source)), clock_(clock) {}

std::shared_ptr<const KeySet> OidcVerifier::keys() const {
  std::lock_guard lk(mu_);
  return keys_;
}

Status OidcVerifier::refresh() {
  std::lock_guard fetch_lock(fetch_mu_);
  {
    std::lock_guard lk(mu_);
    attempted_at_ = clock_.steady_now();
  }
  NSL_TRY_ASSIGN(std::string body, source_->fetch(cfg_.jwks_url));
  NSL_TRY_ASSIGN(std::vector<VerificationKey> parsed, parse_jwks(body));
  NSL_TRY_ASSIGN(KeySet set, KeySet::create(std::move(parsed)));
  auto shared = std::make_shared<const KeySet>(std::move(set));
  std::lock_guard lk(mu_);
  keys_ = std::move(shared);
  fetched_at_ = clock_.steady_now();
  return {};
}

void OidcVerifier::maybe_refresh(bool unknown_kid) {
  const auto now = clock_.steady_now();
  bool due = false;
  {
    std::lock_guard lk(mu_);
    const bool allowed = !attempted_at_ || now - *attempted_at_ >= cfg_.min_refresh;
    const bool stale = !fetched_at_ || now - *fetched_at_ >= cfg_.max_age;
    due = allowed && (unknown_kid || stale);
  }
  if (!due) return;
  if (Status st = refresh(); !st.ok()) {
    obs::log_warn("external issuer JWKS refresh failed; keeping the previous keys",
                  {{"issuer", cfg_.issuer}, {"error", st.error().message()}});
  }
}

Result<Principal> OidcVerifier::verify(std::string_view token, std::string* why) {
  const JwtPolicy policy{.issuers = {cfg_.issuer}, .audiences = {cfg_.audience}, .leeway = cfg_.leeway};
  maybe_refresh(false);
  JwtFailure failure{};
  auto v = jwt_verify(token, *keys(), policy, clock_.system_now(), &failure);
  if (!v.ok() && failure == JwtFailure::unknown_kid) {
    maybe_refresh(true);
    v = jwt_verify(token, *keys(), policy, clock_.system_now(), &failure);
  }
  if (!v.ok()) {
    if (why != nullptr) *why = failure == JwtFailure::expired ? "expired" : "invalid";
    return std::move(v).error();
  }
  const auto& c = v->claims;
  if (v->subject().empty()) {
    if (why != nullptr) *why = "invalid";
    return err::unauthenticated("the access token has no subject");
  }
  Principal p{.tenant = cfg_.tenant};
  p.subject = "oidc:" + std::string(v->subject());
  p.method = AuthMethod::access_token;
  p.expires_at_ms = v->exp.value_or(0) * 1000;
  if (c.contains("jti") && c["jti"].is_string()) p.token_id = "oidc:" + c["jti"].get<std::string>();
  if (c.contains(cfg_.roles_claim) && c[cfg_.roles_claim].is_array()) {
    for (const auto& r : c[cfg_.roles_claim]) {
      if (!r.is_string()) continue;
      if (auto b = binding_from_string(r.get<std::string>())) p.bindings.push_back(std::move(*b));
    }
  }
  if (c.contains("scope") && c["scope"].is_string()) {
    const std::string s = c["scope"].get<std::string>();
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t j = s.find(' ', i);
      if (j == std::string::npos) j = s.size();
      if (j > i) p.scopes.push_back(s.substr(i, j - i));
      i = j + 1;
    }
    if (p.scopes.empty()) p.scopes.push_back("none:none");  // an empty scope must not widen access
  }
  return p;
}

}  // namespace nsl::auth
