#include "enclave/trusted/core.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "chain/neo/account.hpp"

#include "core/random.hpp"
#include "crypto/aead.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/mac.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/x25519.hpp"
#include "chain/neo/nep2.hpp"
#include "enclave/protocol/import_wrap.hpp"
#include "signing/evaluate.hpp"
#include "signing/formats.hpp"
#include "signing/inspect.hpp"
#include "signing/policy.hpp"

namespace nsl::enclave::trusted {
namespace {

bool valid_curve(KeyCurve c) {
  return c == KeyCurve::secp256r1 || c == KeyCurve::secp256k1 || c == KeyCurve::ed25519;
}

crypto::Curve ec_curve(KeyCurve c) {
  return c == KeyCurve::secp256r1 ? crypto::Curve::secp256r1 : crypto::Curve::secp256k1;
}

std::string curve_str(KeyCurve c) { return std::string(key_curve_name(c)); }

// The signing form of a 32-byte private key (EC scalar or Ed25519 seed) and its public key. The
// scalar is checked to lie in [1, n): a sealed or imported key is only as good as this check.
// for_signing: also import a secp256r1 key into OpenSSL once (the key cache keeps it for signing).
Result<CachedKey> materialize(KeyCurve curve, SecretBytes key, bool for_signing) {
  CachedKey out;
  out.curve = curve;
  if (curve == KeyCurve::ed25519) {
    NSL_TRY_ASSIGN(auto kp, crypto::ed25519_from_seed(key));
    out.private_key = std::move(kp.secret_key);
    out.public_key.assign(kp.public_key.begin(), kp.public_key.end());
    return out;
  }
  const crypto::Curve c = ec_curve(curve);
  if (!crypto::ec_check_private_key(c, key).ok()) {
    return err::invalid_argument("not a valid " + curve_str(curve) + " private key");
  }
  NSL_TRY_ASSIGN(auto pub, crypto::ec_public_key(c, key));
  // secp256r1 signs through OpenSSL: import the key once here, not on every signature.
  if (for_signing && curve == KeyCurve::secp256r1) {
    NSL_TRY_ASSIGN(out.signing_key, crypto::prepare_signing_key(c, key));
  }
  out.private_key = std::move(key);
  out.public_key.assign(pub.begin(), pub.end());
  if (curve == KeyCurve::secp256r1 && out.public_key.size() == neo::PublicKey{}.size()) {
    neo::PublicKey own{};
    std::copy(out.public_key.begin(), out.public_key.end(), own.begin());
    // Derived from the private key just now: a valid point.
    out.neo_account = neo::script_hash(neo::signature_redeem_script_unchecked(own));
  }
  return out;
}

// The account a neo_tx is signed for must be a signer of it: the key's own single-signature
// account, or (account_script non-empty) an m-of-n multisig account that lists the key.
Status check_neo_account(const CachedKey& key, const neo::Transaction& tx, ByteView account_script) {
  if (key.public_key.size() != 33) return err::internal("secp256r1 key without a compressed public key");
  neo::PublicKey own{};
  std::copy(key.public_key.begin(), key.public_key.end(), own.begin());
  neo::UInt160 account;
  if (account_script.empty()) {
    account = key.neo_account;
  } else {
    auto multisig = neo::parse_multisig_contract(account_script);
    if (!multisig) return err::invalid_argument("neo_account_script is not an m-of-n multisig contract");
    if (multisig->keys.size() > kMaxSignMultisigKeys) {
      return err::invalid_argument("neo_account_script: at most " + std::to_string(kMaxSignMultisigKeys) + " keys");
    }
    if (std::find(multisig->keys.begin(), multisig->keys.end(), own) == multisig->keys.end()) {
      return err::invalid_argument("the multisig account does not list this key");
    }
    account = neo::script_hash(account_script);
  }
  if (std::none_of(tx.signers.begin(), tx.signers.end(), [&](const neo::Signer& s) { return s.account == account; })) {
    return err::invalid_argument(account_script.empty() ? "the key's account is not a signer of this transaction"
                                                        : "the multisig account is not a signer of this transaction");
  }
  return {};
}

// signing::Format mirrors SignFormat value for value, so a cast converts.
static_assert(static_cast<int>(signing::Format::raw_digest) == static_cast<int>(SignFormat::raw_digest));
static_assert(static_cast<int>(signing::Format::neo_message) == static_cast<int>(SignFormat::neo_message));
static_assert(static_cast<int>(signing::Format::eip191) == static_cast<int>(SignFormat::eip191));
static_assert(static_cast<int>(signing::Format::eip712) == static_cast<int>(SignFormat::eip712));
static_assert(static_cast<int>(signing::Format::neo_tx) == static_cast<int>(SignFormat::neo_tx));
static_assert(static_cast<int>(signing::Format::evm_tx) == static_cast<int>(SignFormat::evm_tx));

// The key curve a format needs (see core.hpp); ok or invalid_argument.
Status check_format_curve(SignFormat f, KeyCurve curve) {
  const std::string name(sign_format_name(f));
  if (curve == KeyCurve::ed25519) {
    return err::invalid_argument("an ed25519 key cannot sign " + name +
                                 " payloads: the typed formats are ECDSA (secp256r1 or secp256k1)");
  }
  switch (f) {
    case SignFormat::raw_digest: return ok_status();
    case SignFormat::neo_message:
    case SignFormat::neo_tx:
      if (curve != KeyCurve::secp256r1) {
        return err::invalid_argument(name + " needs a secp256r1 key, not a " + curve_str(curve) + " key");
      }
      return ok_status();
    case SignFormat::eip191:
    case SignFormat::eip712:
    case SignFormat::evm_tx:
      if (curve != KeyCurve::secp256k1) {
        return err::invalid_argument(name + " needs a secp256k1 key, not a " + curve_str(curve) + " key");
      }
      return ok_status();
  }
  return err::invalid_argument("unknown signing format");
}

Result<signing::Moves> parse_spent(const std::vector<AssetAmount>& spent) {
  if (spent.size() > 4 * signing::kMaxPolicyListSize) {
    return err::invalid_argument("spent_24h: at most " + std::to_string(4 * signing::kMaxPolicyListSize) +
                                 " assets");
  }
  signing::Moves out;
  for (const AssetAmount& a : spent) {
    auto asset = signing::canonical_asset(a.asset);
    if (!asset.ok()) return err::invalid_argument("spent_24h: " + asset.error().message());
    auto amount = evm::U256::from_decimal(a.amount);
    if (!amount.ok()) {
      return err::invalid_argument("spent_24h: the amount of " + *asset +
                                   " must be a non-negative decimal integer below 2^256");
    }
    NSL_TRY(signing::add_move(out, *asset, *amount));
  }
  return out;
}

}  // namespace

struct TrustedCore::Parts {
  Mode mode;
  Sealer sealer;
  Bytes measurement;
  SealPolicy policy;
  crypto::X25519KeyPair transport;
  std::unique_ptr<QuoteProducer> producer;
  std::size_t cache_capacity;
};

TrustedCore::TrustedCore(Parts parts)
    : mode_(parts.mode),
      sealer_(std::move(parts.sealer)),
      measurement_(std::move(parts.measurement)),
      policy_(parts.policy),
      transport_private_(std::move(parts.transport.private_key)),
      transport_public_(parts.transport.public_key),
      producer_(std::move(parts.producer)),
      cache_(parts.cache_capacity),
      policies_(parts.cache_capacity) {}

TrustedCore::~TrustedCore() = default;

Result<std::unique_ptr<TrustedCore>> TrustedCore::open(CoreOptions options) {
  NSL_TRY_ASSIGN(const SealPolicy policy, parse_seal_policy(options.seal_policy));
  const bool cvm = options.mode == Mode::tdx || options.mode == Mode::snp;
  if (options.mode != Mode::sim && options.mode != Mode::gramine_sgx && !cvm) {
    return err::invalid_argument("unknown enclave mode");
  }
  const std::size_t measurement_size = cvm ? 48 : 32;
  if (options.measurement_override && options.measurement_override->size() != measurement_size) {
    return err::invalid_argument("measurement override must be " +
                                 std::to_string(measurement_size) + " bytes in " +
                                 std::string(mode_name(options.mode)) + " mode");
  }

  SecretBytes root;
  Bytes measurement;
  Bytes signer;
  std::unique_ptr<QuoteProducer> producer;
  switch (options.mode) {
    case Mode::sim: {
      NSL_TRY_ASSIGN(root, load_or_create_sealing_secret(options.data_dir));
      if (options.measurement_override) {
        measurement = *options.measurement_override;
      } else {
        NSL_TRY_ASSIGN(measurement, self_measurement());
      }
      signer = sim_signer_id();
      NSL_TRY_ASSIGN(SecretBytes seed, sim_quoting_seed(root));
      producer = make_sim_producer(std::move(seed), measurement);
      break;
    }
    case Mode::gramine_sgx: {
      NSL_TRY_ASSIGN(producer, make_gramine_producer(options.fs_root));
      NSL_TRY_ASSIGN(root, read_gramine_sealing_key(options.fs_root, policy));
      NSL_TRY_ASSIGN(SgxIdentity id, read_gramine_identity(options.fs_root));
      measurement = options.measurement_override ? *options.measurement_override : id.mrenclave;
      signer = std::move(id.mrsigner);
      break;
    }
    case Mode::tdx:
    case Mode::snp: {
      NSL_TRY_ASSIGN(root, load_or_create_sealing_secret(options.data_dir));
      NSL_TRY_ASSIGN(producer, make_tsm_producer(options.fs_root, options.mode, options.tsm_hooks));
      if (options.measurement_override) {
        measurement = *options.measurement_override;
      } else {
        // The guest cannot read its own launch measurement any other way: quote once and parse it.
        std::array<std::uint8_t, 64> probe{};
        random_bytes(probe);
        NSL_TRY_ASSIGN(Bytes q, producer->quote(probe));
        NSL_TRY_ASSIGN(QuoteFields f, quote_fields(producer->format(), q));
        measurement = std::move(f.measurement);
      }
      signer = cvm_signer_id();
      break;
    }
  }

  const Bytes& identity_value = policy == SealPolicy::measurement ? measurement : signer;
  NSL_TRY_ASSIGN(Sealer sealer, Sealer::create(root, policy, identity_value));
  Parts parts{options.mode,
              std::move(sealer),
              std::move(measurement),
              policy,
              crypto::x25519_generate(),
              std::move(producer),
              options.key_cache_capacity};
  return std::unique_ptr<TrustedCore>(new TrustedCore(std::move(parts)));
}

// ---- keys ---------------------------------------------------------------------------------------

Result<SealedKey> TrustedCore::generate_key(const Binding& binding, KeyCurve curve) {
  NSL_TRY(check_binding(binding));
  if (!valid_curve(curve)) return err::invalid_argument("unknown curve");
  SecretBytes key = curve == KeyCurve::ed25519 ? SecretBytes::random(crypto::kEd25519SeedSize)
                                               : crypto::ec_generate_private_key(ec_curve(curve));
  NSL_TRY_ASSIGN(Bytes sealed, sealer_.seal_key(binding, curve, key));
  NSL_TRY_ASSIGN(CachedKey k, materialize(curve, std::move(key), false));
  return SealedKey{curve, std::move(k.public_key), std::move(sealed)};
}

Result<SealedKey> TrustedCore::import_key(const Binding& binding, KeyCurve curve,
                                          ByteView wrapped) {
  NSL_TRY(check_binding(binding));
  if (!valid_curve(curve)) return err::invalid_argument("unknown curve");
  NSL_TRY_ASSIGN(ImportWrapView view, parse_import_wrap(wrapped));
  if (view.recipient_public_key != transport_public_) {
    return err::failed_precondition(
        "wrapped to a different transport key; fetch the enclave's current key with identity()");
  }
  if (view.curve != curve) {
    return err::invalid_argument("the wrapped key is a " + curve_str(view.curve) + " key, not " +
                                 curve_str(curve));
  }
  auto shared = crypto::x25519(transport_private_, view.ephemeral_public_key);
  if (!shared.ok()) return err::invalid_argument("import wrap: invalid ephemeral public key");
  NSL_TRY_ASSIGN(SecretBytes k,
                 import_wrap_key(*shared, view.ephemeral_public_key, view.recipient_public_key));
  auto key = crypto::aes256gcm_open_secret(k, view.sealed, import_wrap_aad(view.header, binding));
  if (!key.ok()) {
    return err::permission_denied(
        "wrapped key does not match this binding (tenant, object, version, purpose) or is corrupt");
  }
  if (key->size() != kImportKeySize)
    return err::invalid_argument("import wrap: the key must be 32 bytes");
  // Validate (and derive the public key) before sealing: an invalid scalar is never sealed.
  const SecretBytes& plain = *key;
  if (curve != KeyCurve::ed25519 && !crypto::ec_check_private_key(ec_curve(curve), plain).ok()) {
    return err::invalid_argument("the imported key is not a valid " + curve_str(curve) +
                                 " private key");
  }
  NSL_TRY_ASSIGN(Bytes sealed, sealer_.seal_key(binding, curve, plain));
  NSL_TRY_ASSIGN(CachedKey material, materialize(curve, std::move(key).value(), false));
  return SealedKey{curve, std::move(material.public_key), std::move(sealed)};
}

Result<ExportedKeyBlob> TrustedCore::export_key(const Binding& binding, ByteView sealed,
                                                const ExportRequest& request) {
  NSL_TRY(check_binding(binding));
  NSL_TRY_ASSIGN(OpenedKey opened, sealer_.open_key(binding, sealed));
  ExportedKeyBlob out;
  out.format = request.format;
  if (request.format == ExportRequest::Format::nep2) {
    if (opened.curve != KeyCurve::secp256r1)
      return err::invalid_argument("export: NEP-2 holds secp256r1 (N3) keys only; use a wrapped export");
    if (request.passphrase.empty()) return err::invalid_argument("export: the NEP-2 passphrase is empty");
    NSL_TRY_ASSIGN(out.nep2, neo::nep2_encrypt(opened.private_key, request.passphrase.reveal(),
                                               SecretAccess::grant()));
    return out;
  }
  if (request.format != ExportRequest::Format::wrapped) return err::invalid_argument("export: unknown format");
  NSL_TRY_ASSIGN(out.wrapped, wrap_for_export(request.recipient_public_key, opened.curve, binding,
                                              opened.private_key));
  return out;
}

Result<std::shared_ptr<const CachedKey>> TrustedCore::unsealed_key(const Binding& binding,
                                                                   ByteView sealed) {
  const KeyCache::Digest ck = KeyCache::cache_key(sealed, binding);
  if (auto hit = cache_.get(ck)) return hit;
  NSL_TRY_ASSIGN(OpenedKey opened, sealer_.open_key(binding, sealed));
  auto material = materialize(opened.curve, std::move(opened.private_key), true);
  if (!material.ok()) {
    // Authenticated, so sealed by this enclave: an invalid key inside is a bug, not bad input.
    return err::internal("sealed blob holds an invalid " + curve_str(opened.curve) + " key");
  }
  return cache_.put(ck, std::make_shared<const CachedKey>(std::move(material).value()));
}

Result<std::shared_ptr<const signing::Policy>> TrustedCore::opened_policy(const Binding& binding, ByteView sealed) {
  const auto ck = decltype(policies_)::cache_key(sealed, binding);
  if (auto hit = policies_.get(ck)) return hit;
  auto plain = sealer_.open_secret(binding, sealed, {});
  if (!plain.ok()) {
    return err::permission_denied("the signing policy does not open under this key's binding (policy_version " +
                                  std::to_string(binding.version) + ")");
  }
  const auto text = plain->reveal(SecretAccess::grant());
  auto policy = signing::parse_policy(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  if (!policy.ok()) {
    return err::failed_precondition("the key's sealed signing policy is not valid: " + policy.error().message());
  }
  return policies_.put(ck, std::make_shared<const signing::Policy>(std::move(policy).value()));
}

Result<TypedSignature> TrustedCore::sign_typed(const Binding& binding, ByteView sealed,
                                               const TypedSignRequest& request) {
  NSL_TRY(check_binding(binding));
  const auto format = static_cast<signing::Format>(request.format);
  if (!signing::valid_format(format)) return err::invalid_argument("unknown signing format");
  if (request.payload.size() > kMaxTypedPayload) {
    return err::invalid_argument("payload too large: at most " + std::to_string(kMaxTypedPayload) + " bytes");
  }
  NSL_TRY_ASSIGN(signing::Moves spent, parse_spent(request.spent_24h));
  NSL_TRY_ASSIGN(auto key, unsealed_key(binding, sealed));
  NSL_TRY(check_format_curve(request.format, key->curve));
  if (request.format == SignFormat::neo_tx && request.network_magic == 0) {
    return err::invalid_argument("neo_tx: network_magic is required");
  }
  if (request.format == SignFormat::evm_tx && request.chain_id == 0) {
    return err::invalid_argument("evm_tx: chain_id is required");
  }

  // Decode what is signed; the policy and the digest work on this, never on a caller's summary.
  NSL_TRY_ASSIGN(signing::Decoded decoded,
                 signing::inspect(format, request.payload, {.network_magic = request.network_magic}));
  if (decoded.evm && decoded.evm->tx.chain_id != request.chain_id) {
    return err::invalid_argument("evm_tx: the transaction is for chain id " +
                                 std::to_string(decoded.evm->tx.chain_id) + ", the request says " +
                                 std::to_string(request.chain_id));
  }
  if (!request.neo_account_script.empty() && !decoded.neo) {
    return err::invalid_argument("neo_account_script goes only with neo_tx");
  }
  if (decoded.neo) NSL_TRY(check_neo_account(*key, decoded.neo->tx, request.neo_account_script));

  signing::Moves moves;
  if (!request.policy_sealed.empty()) {
    const Binding policy_binding{binding.tenant_id, binding.object_id, request.policy_version, "policy"};
    NSL_TRY_ASSIGN(const auto policy, opened_policy(policy_binding, request.policy_sealed));
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    NSL_TRY_ASSIGN(moves, signing::evaluate(*policy, decoded,
                                            {.now_unix = static_cast<std::int64_t>(now),
                                             .network_magic = request.network_magic,
                                             .spent_24h = std::move(spent)}));
  } else {
    NSL_TRY_ASSIGN(moves, signing::moves_of(decoded));
  }

  TypedSignature out;
  out.digest = decoded.digest;
  if (key->curve == KeyCurve::secp256k1) {
    NSL_TRY_ASSIGN(const crypto::RecoverableSignature sig,
                   crypto::secp256k1_sign_recoverable(key->private_key, decoded.digest));
    if (sig.recovery_id > 1) return err::internal("signature recovery id is not an EVM y parity (R.x >= n)");
    // Self-check: the signature recovers to this key (also guards the recovery id the EVM v depends on).
    NSL_TRY_ASSIGN(const auto recovered, crypto::secp256k1_recover(decoded.digest, sig.rs, sig.recovery_id));
    NSL_TRY_ASSIGN(const auto own, crypto::ec_decompress(crypto::Curve::secp256k1, key->public_key));
    if (recovered != own) return err::internal("signature does not recover to the key");
    out.signature.assign(sig.rs.begin(), sig.rs.end());
    out.recovery_id = sig.recovery_id;
  } else {
    NSL_TRY_ASSIGN(const auto sig, crypto::ecdsa_sign(key->signing_key, decoded.digest));
    out.signature.assign(sig.begin(), sig.end());
  }
  for (const auto& [asset, amount] : moves) out.moves.push_back(AssetAmount{asset, amount.to_decimal()});
  return out;
}

Result<Signature> TrustedCore::sign(const Binding& binding, ByteView sealed,
                                    const SignPayload& payload) {
  NSL_TRY(check_binding(binding));
  NSL_TRY_ASSIGN(auto key, unsealed_key(binding, sealed));
  if (key->curve == KeyCurve::ed25519) {
    if (payload.kind != SignPayload::Kind::message) {
      return err::invalid_argument(
          "ed25519 signs the message itself: send a message payload, not a digest");
    }
    if (payload.data.size() > kMaxSignMessage) {
      return err::invalid_argument("ed25519 message too large: at most " +
                                   std::to_string(kMaxSignMessage) + " bytes");
    }
    NSL_TRY_ASSIGN(auto sig, crypto::ed25519_sign(key->private_key, payload.data));
    return sig;
  }
  if (payload.kind != SignPayload::Kind::digest) {
    return err::invalid_argument(curve_str(key->curve) +
                                 " signs a 32-byte digest: send a digest payload, not a message");
  }
  if (payload.data.size() != crypto::kEcDigestSize) {
    return err::invalid_argument(curve_str(key->curve) + " digest must be exactly 32 bytes, got " +
                                 std::to_string(payload.data.size()));
  }
  NSL_TRY_ASSIGN(auto sig,
                 key->curve == KeyCurve::secp256r1
                     ? crypto::ecdsa_sign(key->signing_key, payload.data)
                     : crypto::ecdsa_sign(ec_curve(key->curve), key->private_key, payload.data));
  return sig;
}

Result<SealedKey> TrustedCore::public_key(const Binding& binding, ByteView sealed) {
  NSL_TRY(check_binding(binding));
  NSL_TRY_ASSIGN(auto key, unsealed_key(binding, sealed));
  return SealedKey{key->curve, key->public_key, Bytes(sealed.begin(), sealed.end())};
}

// ---- secrets and data keys ----------------------------------------------------------------------

Result<Bytes> TrustedCore::seal(const Binding& binding, ByteView plaintext, ByteView aad) {
  NSL_TRY(check_binding(binding));
  return sealer_.seal_secret(binding, plaintext, aad);
}

Result<SecretString> TrustedCore::unseal(const Binding& binding, ByteView sealed, ByteView aad) {
  NSL_TRY(check_binding(binding));
  NSL_TRY_ASSIGN(SecretBytes plain, sealer_.open_secret(binding, sealed, aad));
  const auto p = plain.reveal(SecretAccess::grant());
  return SecretString(std::string_view(reinterpret_cast<const char*>(p.data()), p.size()));
}

Result<SecretBytes> TrustedCore::derive_data_key(const Binding& binding) {
  NSL_TRY(check_binding(binding));
  return sealer_.derive_data_key(binding);
}

// ---- symmetric data keys -------------------------------------------------------------------------

namespace {

constexpr std::uint8_t kDataFormat = 1;
constexpr std::size_t kDataSalt = 16;
constexpr std::string_view kDataInfo = "nsl-data-v1";

// The per-message key K = HKDF-SHA256(data key, salt, "nsl-data-v1") (enclave.hpp).
Result<SecretBytes> message_key(const SecretBytes& data_key, ByteView salt) {
  return crypto::hkdf_sha256(data_key, salt,
                             ByteView(reinterpret_cast<const std::uint8_t*>(kDataInfo.data()), kDataInfo.size()), 32);
}

Result<Bytes> encrypt_with(const SecretBytes& data_key, ByteView aad, ByteView plaintext) {
  if (plaintext.size() > kMaxDataPlaintext) {
    return err::invalid_argument("plaintext too large: at most " + std::to_string(kMaxDataPlaintext) + " bytes");
  }
  Bytes out(1 + kDataSalt);
  out[0] = kDataFormat;
  random_bytes(std::span<std::uint8_t>(out.data() + 1, kDataSalt));
  NSL_TRY_ASSIGN(const SecretBytes k, message_key(data_key, ByteView(out.data() + 1, kDataSalt)));
  NSL_TRY_ASSIGN(const Bytes sealed, crypto::aes256gcm_seal(k, plaintext, aad));
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

Result<SecretBytes> decrypt_with(const SecretBytes& data_key, ByteView aad, ByteView ciphertext) {
  if (ciphertext.size() < kDataCiphertextOverhead) return err::invalid_argument("ciphertext: too short");
  if (ciphertext[0] != kDataFormat) {
    return err::invalid_argument("ciphertext: unknown format " + std::to_string(ciphertext[0]));
  }
  NSL_TRY_ASSIGN(const SecretBytes k, message_key(data_key, ciphertext.subspan(1, kDataSalt)));
  auto plain = crypto::aes256gcm_open_secret(k, ciphertext.subspan(1 + kDataSalt), aad);
  if (!plain.ok()) {
    return err::permission_denied("ciphertext does not open under this key and aad (another key, aad or altered)");
  }
  return std::move(plain).value();
}

Status check_aad(ByteView aad) {
  if (aad.size() > kMaxDataAad) return err::invalid_argument("aad too large: at most " + std::to_string(kMaxDataAad) + " bytes");
  return {};
}

}  // namespace

Result<Bytes> TrustedCore::generate_data_key(const Binding& binding) {
  NSL_TRY(check_binding(binding));
  return sealer_.seal_data_key(binding, SecretBytes::random(32));
}

Result<Bytes> TrustedCore::data_encrypt(const Binding& binding, ByteView sealed_key, ByteView aad,
                                        ByteView plaintext) {
  NSL_TRY(check_binding(binding));
  NSL_TRY(check_aad(aad));
  NSL_TRY_ASSIGN(const SecretBytes key, sealer_.open_data_key(binding, sealed_key));
  return encrypt_with(key, aad, plaintext);
}

std::vector<Result<Bytes>> TrustedCore::data_encrypt_many(const Binding& binding, ByteView sealed_key,
                                                          std::span<const DataEncryptItem> items) {
  std::vector<Result<Bytes>> out;
  out.reserve(items.size());
  Result<SecretBytes> key = [&]() -> Result<SecretBytes> {
    NSL_TRY(check_binding(binding));
    return sealer_.open_data_key(binding, sealed_key);
  }();
  for (const DataEncryptItem& item : items) {
    if (!key.ok()) {
      out.emplace_back(key.error());
    } else if (Status st = check_aad(item.aad); !st.ok()) {
      out.emplace_back(std::move(st).error());
    } else {
      out.push_back(encrypt_with(*key, item.aad, item.plaintext));
    }
  }
  return out;
}

Result<SecretBytes> TrustedCore::data_decrypt(const Binding& binding, ByteView sealed_key, ByteView aad,
                                              ByteView ciphertext) {
  NSL_TRY(check_binding(binding));
  NSL_TRY(check_aad(aad));
  NSL_TRY_ASSIGN(const SecretBytes key, sealer_.open_data_key(binding, sealed_key));
  return decrypt_with(key, aad, ciphertext);
}

Result<Enclave::GeneratedData> TrustedCore::data_generate(const Binding& binding, ByteView sealed_key, ByteView aad,
                                                          std::uint32_t size, bool with_plaintext) {
  NSL_TRY(check_binding(binding));
  NSL_TRY(check_aad(aad));
  if (size != 16 && size != 32 && size != 64) {
    return err::invalid_argument("data_generate: size must be 16, 32 or 64 bytes");
  }
  NSL_TRY_ASSIGN(const SecretBytes key, sealer_.open_data_key(binding, sealed_key));
  SecretBytes fresh = SecretBytes::random(size);
  GeneratedData out;
  NSL_TRY_ASSIGN(out.ciphertext, encrypt_with(key, aad, fresh.reveal(SecretAccess::grant())));
  if (with_plaintext) out.plaintext = std::move(fresh);
  return out;
}

Result<Bytes> TrustedCore::data_rewrap(const Binding& from, ByteView from_key, const Binding& to, ByteView to_key,
                                       ByteView aad, ByteView ciphertext) {
  NSL_TRY(check_binding(from));
  NSL_TRY(check_binding(to));
  NSL_TRY(check_aad(aad));
  NSL_TRY_ASSIGN(const SecretBytes old_key, sealer_.open_data_key(from, from_key));
  NSL_TRY_ASSIGN(const SecretBytes new_key, sealer_.open_data_key(to, to_key));
  NSL_TRY_ASSIGN(const SecretBytes plain, decrypt_with(old_key, aad, ciphertext));
  return encrypt_with(new_key, aad, plain.reveal(SecretAccess::grant()));
}

// ---- attestation and identity -------------------------------------------------------------------

Result<Quote> TrustedCore::attest(AttestPurpose purpose, ByteView subject, ByteView nonce) {
  if (nonce.size() > kMaxAttestNonce) {
    return err::invalid_argument("attest nonce too long: at most " +
                                 std::to_string(kMaxAttestNonce) + " bytes");
  }
  std::array<std::uint8_t, 64> report_data{};
  switch (purpose) {
    case AttestPurpose::transport_key:
      if (!subject.empty()) {
        return err::invalid_argument(
            "attest transport_key: leave the subject empty; the enclave attests its own transport "
            "key");
      }
      report_data = attest_report_data(purpose, transport_public_, nonce);
      break;
    case AttestPurpose::user:
      if (subject.size() > kMaxAttestSubject) {
        return err::invalid_argument("attest subject too long: at most " +
                                     std::to_string(kMaxAttestSubject) + " bytes");
      }
      report_data = attest_report_data(purpose, subject, nonce);
      break;
    default:
      return err::invalid_argument("unknown attestation purpose");
  }
  NSL_TRY_ASSIGN(Bytes q, producer_->quote(report_data));
  return Quote{producer_->format(), std::move(q), report_data};
}

Result<Identity> TrustedCore::identity() {
  Identity id;
  id.mode = mode_;
  id.simulated = mode_ == Mode::sim;
  id.measurement = measurement_;
  id.seal_policy = std::string(seal_policy_name(policy_));
  id.transport_public_key = transport_public_;
  id.version = std::string(kEnclaveVersion);
  return id;
}

}  // namespace nsl::enclave::trusted
