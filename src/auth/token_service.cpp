#include "auth/token_service.hpp"

#include <map>

#include "core/random.hpp"
#include "core/strings.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/hash.hpp"
#include "enclave/enclave.hpp"
#include "obs/log.hpp"

namespace nsl::auth {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kPurpose = "jwt";

enclave::Binding key_binding(const std::string& kid) {
  return enclave::Binding{
      .tenant_id = "system", .object_id = kid, .version = 1, .purpose = "jwt-signing"};
}

std::string alg_lower(JwsAlg a) { return ascii_lower(jws_alg_name(a)); }

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

Result<std::int64_t> int_col(const std::optional<std::string>& v) {
  auto u = v ? parse_u64(*v) : std::nullopt;
  if (!u || *u > static_cast<std::uint64_t>(INT64_MAX))
    return err::internal("malformed integer in system_keys");
  return static_cast<std::int64_t>(*u);
}

crypto::ByteSpan bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// ES256 and EdDSA keys live inside the enclave: each signature is one enclave call.
class EnclaveJwsSigner final : public JwsSigner {
 public:
  EnclaveJwsSigner(enclave::Enclave& e, std::string kid, JwsAlg alg, Bytes sealed)
      : enclave_(e), kid_(std::move(kid)), alg_(alg), sealed_(std::move(sealed)) {}
  const std::string& kid() const override { return kid_; }
  JwsAlg alg() const override { return alg_; }
  Result<Bytes> sign(ByteSpan input) override {
    enclave::SignPayload payload;
    if (alg_ == JwsAlg::ES256) {
      auto d = crypto::sha256(input);
      payload = enclave::SignPayload::of_digest(enclave::ByteView(d.data(), d.size()));
    } else {
      payload = enclave::SignPayload::of_message(enclave::ByteView(input.data(), input.size()));
    }
    NSL_TRY_ASSIGN(enclave::Signature sig,
                   enclave_.sign(key_binding(kid_),
                                 enclave::ByteView(sealed_.data(), sealed_.size()), payload));
    return Bytes(sig.begin(), sig.end());
  }

 private:
  enclave::Enclave& enclave_;
  std::string kid_;
  JwsAlg alg_;
  Bytes sealed_;
};

// RS256 signer shared between snapshots (unsealing costs an enclave call).
class SharedLocalSigner final : public JwsSigner {
 public:
  explicit SharedLocalSigner(LocalJwsSigner s) : s_(std::move(s)) {}
  const std::string& kid() const override { return s_.kid(); }
  JwsAlg alg() const override { return s_.alg(); }
  Result<Bytes> sign(ByteSpan input) override { return s_.sign(input); }

 private:
  LocalJwsSigner s_;
};

}  // namespace

struct TokenService::Loaded {
  std::shared_ptr<const KeySet> keys = std::make_shared<KeySet>();
  std::vector<VerificationKey> published;
  std::map<std::string, std::shared_ptr<JwsSigner>, std::less<>>
      signers;  // kid → signer (not retired)
};

TokenService::TokenService(store::Database& db, enclave::Enclave& enclave, TokenOptions opts,
                           const Clock& clock)
    : db_(db),
      enclave_(enclave),
      opts_(std::move(opts)),
      clock_(clock),
      loaded_(std::make_shared<Loaded>()) {}

TokenService::~TokenService() = default;

std::int64_t TokenService::period_of(std::chrono::system_clock::time_point t) const {
  return duration_cast<seconds>(t.time_since_epoch()).count() / opts_.rotation.count();
}

std::shared_ptr<const TokenService::Loaded> TokenService::snapshot() const {
  std::lock_guard lk(mu_);
  return loaded_;
}

Status TokenService::ensure_key(std::int64_t period) {
  const std::string kid = alg_lower(opts_.alg) + "-" + std::to_string(period);
  NSL_TRY_ASSIGN(store::Rows rows, db_.with_system([&](store::Tx& tx) {
    return tx.query("SELECT id FROM system_keys WHERE id = $1", {kid});
  }));
  if (!rows.empty()) return {};

  const enclave::Binding binding = key_binding(kid);
  Bytes sealed;
  std::optional<VerificationKey> vk;
  switch (opts_.alg) {
    case JwsAlg::ES256: {
      NSL_TRY_ASSIGN(enclave::SealedKey k,
                     enclave_.generate_key(binding, enclave::KeyCurve::secp256r1));
      NSL_TRY_ASSIGN(
          crypto::UncompressedPublicKey pub,
          crypto::ec_decompress(crypto::Curve::secp256r1,
                                crypto::ByteSpan(k.public_key.data(), k.public_key.size())));
      NSL_TRY_ASSIGN(vk, make_verification_key(kid, JwsAlg::ES256, JwsPublicKey(pub)));
      sealed = std::move(k.sealed);
      break;
    }
    case JwsAlg::EdDSA: {
      NSL_TRY_ASSIGN(enclave::SealedKey k,
                     enclave_.generate_key(binding, enclave::KeyCurve::ed25519));
      crypto::Ed25519PublicKey pub{};
      if (k.public_key.size() != pub.size())
        return err::internal("enclave returned a malformed Ed25519 key");
      std::copy(k.public_key.begin(), k.public_key.end(), pub.begin());
      NSL_TRY_ASSIGN(vk, make_verification_key(kid, JwsAlg::EdDSA, JwsPublicKey(pub)));
      sealed = std::move(k.sealed);
      break;
    }
    case JwsAlg::RS256: {
      NSL_TRY_ASSIGN(LocalJwsSigner s, LocalJwsSigner::generate(JwsAlg::RS256, kid));
      SecretBytes priv = s.export_private();
      NSL_TRY_ASSIGN(sealed,
                     enclave_.seal(binding, priv.reveal(SecretAccess::grant()), bytes_of(kid)));
      vk = s.verification_key();
      break;
    }
  }
  const std::int64_t r_ms = opts_.rotation.count() * 1000;
  const std::int64_t created = period * r_ms;
  const std::int64_t retire = created + r_ms;
  const std::int64_t expire = retire + (opts_.access_ttl + opts_.leeway).count() * 1000;
  Status inserted = db_.with_system([&](store::Tx& tx) -> Status {
    NSL_TRY(
        tx.exec("INSERT INTO system_keys (id, purpose, alg, public_key, sealed_private, "
                "created_at, retire_at, "
                "expire_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
                {kid, kPurpose, std::string(jws_alg_name(opts_.alg)), to_public_jwk(*vk).dump(),
                 to_hex(sealed), created, retire, expire}));
    return {};
  });
  NSL_TRY(inserted);
  obs::log_info("token signing key ready",
                {{"kid", kid}, {"alg", std::string(jws_alg_name(opts_.alg))}});
  return {};
}

Result<std::shared_ptr<const TokenService::Loaded>> TokenService::reload() {
  const std::int64_t now = to_ms(clock_.system_now());
  NSL_TRY_ASSIGN(store::Rows rows, db_.with_system([&](store::Tx& tx) {
    return tx.query(
        "SELECT id, alg, public_key, sealed_private, retire_at FROM system_keys "
        "WHERE purpose = $1 AND expire_at > $2 ORDER BY created_at",
        {kPurpose, now});
  }));
  auto previous = snapshot();
  auto next = std::make_shared<Loaded>();
  KeySet set;
  for (const auto& r : rows) {
    if (r.size() != 5) return err::internal("unexpected system_keys row shape");
    const std::string kid = r[0].value_or("");
    auto alg = jws_alg_from_name(r[1].value_or(""));
    nlohmann::json jwk =
        nlohmann::json::parse(r[2].value_or(""), nullptr, /*allow_exceptions=*/false);
    auto vk =
        jwk.is_discarded() ? Result<VerificationKey>(err::internal("bad JWK")) : parse_jwk(jwk);
    if (!alg || !vk.ok() || vk->alg != *alg || vk->kid != kid) {
      obs::log_error("skipping an unreadable token signing key", {{"kid", kid}});
      continue;
    }
    NSL_TRY_ASSIGN(std::int64_t retire, int_col(r[4]));
    if (!opts_.verify_only && retire > now) {
      if (auto it = previous->signers.find(kid); it != previous->signers.end()) {
        next->signers.emplace(kid, it->second);
      } else {
        auto sealed = from_hex(r[3].value_or(""));
        if (!sealed) return err::internal("malformed sealed key in system_keys");
        if (*alg == JwsAlg::RS256) {
          NSL_TRY_ASSIGN(
              SecretString plain,
              enclave_.unseal(key_binding(kid), enclave::ByteView(sealed->data(), sealed->size()),
                              bytes_of(kid)));
          SecretBytes priv = SecretBytes::copy_of(bytes_of(plain.reveal()));
          NSL_TRY_ASSIGN(LocalJwsSigner s, LocalJwsSigner::from_private(JwsAlg::RS256, kid, priv));
          next->signers.emplace(kid, std::make_shared<SharedLocalSigner>(std::move(s)));
        } else {
          next->signers.emplace(
              kid, std::make_shared<EnclaveJwsSigner>(enclave_, kid, *alg, std::move(*sealed)));
        }
      }
    }
    next->published.push_back(*vk);
    NSL_TRY(set.add(std::move(*vk)));
  }
  next->keys = std::make_shared<const KeySet>(std::move(set));
  std::shared_ptr<const Loaded> out = next;
  {
    std::lock_guard lk(mu_);
    loaded_ = out;
  }
  return out;
}

Status TokenService::maintain() {
  std::lock_guard lk(reload_mu_);
  if (!opts_.verify_only) {
    const std::int64_t period = period_of(clock_.system_now());
    NSL_TRY(ensure_key(period));
    NSL_TRY(ensure_key(period + 1));
  }
  NSL_TRY(reload());
  return {};
}

Result<IssuedToken> TokenService::issue(const Principal& p,
                                        std::optional<std::chrono::seconds> ttl) {
  if (opts_.verify_only) {
    return err::unavailable("this nsl is a read-only secondary: get access tokens from the primary region");
  }
  const auto now = clock_.system_now();
  const std::string kid = alg_lower(opts_.alg) + "-" + std::to_string(period_of(now));
  auto loaded = snapshot();
  auto it = loaded->signers.find(kid);
  if (it == loaded->signers.end()) {
    NSL_TRY(maintain());
    loaded = snapshot();
    it = loaded->signers.find(kid);
    if (it == loaded->signers.end()) return err::unavailable("no token signing key is available");
  }
  const std::int64_t iat = duration_cast<seconds>(now.time_since_epoch()).count();
  std::int64_t life = std::min(ttl.value_or(opts_.access_ttl), opts_.access_ttl).count();
  if (p.expires_at_ms > 0) {
    // A token never outlives the credential it was issued for.
    life = std::min<std::int64_t>(life, p.expires_at_ms / 1000 - iat);
    if (life <= 0) return err::unauthenticated("the credential has expired");
  }
  IssuedToken out;
  out.jti = random_hex(16);
  out.exp = iat + life;
  out.expires_in = life;
  nlohmann::json roles = nlohmann::json::array();
  for (const auto& b : p.bindings) roles.push_back(binding_to_string(b));
  nlohmann::json claims{{"iss", opts_.issuer}, {"aud", opts_.audience},
                        {"sub", p.subject},    {"tid", p.tenant.str()},
                        {"iat", iat},          {"nbf", iat},
                        {"exp", out.exp},      {"jti", out.jti},
                        {"roles", roles}};
  if (!p.scopes.empty()) {
    std::string scope;
    for (const auto& s : p.scopes) scope += (scope.empty() ? "" : " ") + s;
    claims["scope"] = scope;
  }
  NSL_TRY_ASSIGN(out.token, jwt_sign(*it->second, claims));
  return out;
}

Result<Principal> TokenService::verify(std::string_view token, std::string* why) {
  JwtPolicy policy{.issuers = {opts_.issuer},
                   .audiences = {opts_.audience},
                   .leeway = opts_.leeway,
                   .max_lifetime = opts_.access_ttl};
  const auto now = clock_.system_now();
  JwtFailure failure{};
  auto loaded = snapshot();
  auto v = jwt_verify(token, *loaded->keys, policy, now, &failure);
  if (!v.ok() && failure == JwtFailure::unknown_kid) {
    // Another replica may have made a key this one has not loaded yet; look at most every 10 s.
    bool retry = false;
    {
      std::lock_guard lk(reload_mu_);
      const auto t = clock_.steady_now();
      if (t - last_unknown_kid_reload_ > std::chrono::seconds(10)) {
        last_unknown_kid_reload_ = t;
        retry = reload().ok();
      }
    }
    if (retry) v = jwt_verify(token, *snapshot()->keys, policy, now, &failure);
  }
  if (!v.ok()) {
    if (why != nullptr) *why = failure == JwtFailure::expired ? "expired" : "invalid";
    return std::move(v).error();
  }
  const auto& c = v->claims;
  auto bad = [&]() -> Error {
    if (why != nullptr) *why = "invalid";
    return err::unauthenticated("the access token is missing required claims");
  };
  if (!c.contains("tid") || !c["tid"].is_string() || !c.contains("sub") || !c["sub"].is_string() ||
      !c.contains("jti") || !c["jti"].is_string() || !c.contains("roles") ||
      !c["roles"].is_array()) {
    return bad();
  }
  auto tenant = store::TenantId::parse(c["tid"].get<std::string>());
  if (!tenant.ok()) return bad();
  Principal p{.tenant = *tenant};
  p.subject = c["sub"].get<std::string>();
  p.method = AuthMethod::access_token;
  p.token_id = c["jti"].get<std::string>();
  p.expires_at_ms = v->exp.value_or(0) * 1000;
  for (const auto& r : c["roles"]) {
    if (!r.is_string()) return bad();
    auto b = binding_from_string(r.get<std::string>());
    if (b) p.bindings.push_back(std::move(*b));  // a role this binary does not know grants nothing
  }
  if (c.contains("scope")) {
    if (!c["scope"].is_string()) return bad();
    const std::string s = c["scope"].get<std::string>();
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t j = s.find(' ', i);
      if (j == std::string::npos) j = s.size();
      if (j > i) p.scopes.push_back(s.substr(i, j - i));
      i = j + 1;
    }
    if (p.scopes.empty()) return bad();  // an empty scope must not widen to "no restriction"
  }
  return p;
}

nlohmann::json TokenService::jwks() const {
  auto loaded = snapshot();
  return jwks_json(loaded->published);
}

}  // namespace nsl::auth
