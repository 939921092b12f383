// The trusted side of the protocol: a decoded Request -> the Enclave operation -> a Response.
#include "enclave/trusted/dispatch.hpp"

#include <exception>
#include <string>

#include "core/secret_string.hpp"
#include "enclave/protocol/codec.hpp"

namespace nsl::enclave::trusted {

using namespace ::nsl::enclave::protocol;  // NOLINT(google-build-using-namespace): protocol vocabulary

namespace {

void set_key(v1::Response& out, const SealedKey& k) {
  auto* key = out.mutable_key();
  key->set_curve(to_proto(k.curve));
  key->set_public_key(bytes_string(k.public_key));
  key->set_sealed(bytes_string(k.sealed));
}

// One case per operation; a failed Result turns into the error field.
Status dispatch(Enclave& enclave, const v1::Request& req, v1::Response& out) {
  switch (req.op_case()) {
    case v1::Request::kGenerateKey: {
      const auto& op = req.generate_key();
      NSL_TRY_ASSIGN(KeyCurve curve, from_proto(op.curve()));
      NSL_TRY_ASSIGN(SealedKey k, enclave.generate_key(from_proto(op.binding()), curve));
      set_key(out, k);
      return {};
    }
    case v1::Request::kImportKey: {
      const auto& op = req.import_key();
      NSL_TRY_ASSIGN(KeyCurve curve, from_proto(op.curve()));
      NSL_TRY_ASSIGN(SealedKey k, enclave.import_key(from_proto(op.binding()), curve, bytes_view(op.wrapped())));
      set_key(out, k);
      return {};
    }
    case v1::Request::kSign: {
      const auto& op = req.sign();
      SignPayload payload;
      switch (op.payload_case()) {
        case v1::Sign::kDigest: payload = SignPayload::of_digest(bytes_view(op.digest())); break;
        case v1::Sign::kMessage: payload = SignPayload::of_message(bytes_view(op.message())); break;
        default: return err::invalid_argument("sign: no payload (digest or message) set");
      }
      NSL_TRY_ASSIGN(Signature sig, enclave.sign(from_proto(op.binding()), bytes_view(op.sealed()), payload));
      out.mutable_signature()->set_signature(bytes_string(sig));
      return {};
    }
    case v1::Request::kSignTyped: {
      const auto& op = req.sign_typed();
      TypedSignRequest request;
      NSL_TRY_ASSIGN(request.format, from_proto(op.format()));
      request.payload.assign(op.payload().begin(), op.payload().end());
      request.network_magic = op.network_magic();
      request.chain_id = op.chain_id();
      request.policy_sealed.assign(op.policy_sealed().begin(), op.policy_sealed().end());
      request.policy_version = op.policy_version();
      request.neo_account_script.assign(op.neo_account_script().begin(), op.neo_account_script().end());
      request.spent_24h.reserve(static_cast<std::size_t>(op.spent_24h_size()));
      for (const auto& a : op.spent_24h()) request.spent_24h.push_back(AssetAmount{a.asset(), a.amount()});
      NSL_TRY_ASSIGN(TypedSignature sig,
                     enclave.sign_typed(from_proto(op.binding()), bytes_view(op.sealed()), request));
      auto* r = out.mutable_typed_signature();
      r->set_signature(bytes_string(sig.signature));
      r->set_recovery_id(sig.recovery_id);
      r->set_digest(bytes_string(sig.digest));
      for (const auto& m : sig.moves) {
        auto* a = r->add_moves();
        a->set_asset(m.asset);
        a->set_amount(m.amount);
      }
      return {};
    }
    case v1::Request::kExportKey: {
      const auto& op = req.export_key();
      ExportRequest request;
      switch (op.format_case()) {
        case v1::ExportKey::kNep2Passphrase:
          request.format = ExportRequest::Format::nep2;
          request.passphrase = SecretString(op.nep2_passphrase());
          break;
        case v1::ExportKey::kRecipientPublicKey:
          request.format = ExportRequest::Format::wrapped;
          if (op.recipient_public_key().size() != request.recipient_public_key.size())
            return err::invalid_argument("export: the recipient public key must be 32 bytes");
          std::copy(op.recipient_public_key().begin(), op.recipient_public_key().end(),
                    request.recipient_public_key.begin());
          break;
        default: return err::invalid_argument("export: no format (nep2_passphrase or recipient_public_key) set");
      }
      NSL_TRY_ASSIGN(ExportedKeyBlob e,
                     enclave.export_key(from_proto(op.binding()), bytes_view(op.sealed()), request));
      auto* r = out.mutable_exported();
      if (e.format == ExportRequest::Format::nep2) {
        r->set_nep2(e.nep2);
      } else {
        r->set_wrapped(bytes_string(e.wrapped));
      }
      return {};
    }
    case v1::Request::kPublicKey: {
      const auto& op = req.public_key();
      NSL_TRY_ASSIGN(SealedKey k, enclave.public_key(from_proto(op.binding()), bytes_view(op.sealed())));
      set_key(out, k);
      return {};
    }
    case v1::Request::kSeal: {
      const auto& op = req.seal();
      NSL_TRY_ASSIGN(Bytes sealed, enclave.seal(from_proto(op.binding()), bytes_view(op.plaintext()), bytes_view(op.aad())));
      out.mutable_sealed()->set_sealed(bytes_string(sealed));
      return {};
    }
    case v1::Request::kUnseal: {
      const auto& op = req.unseal();
      NSL_TRY_ASSIGN(SecretString plain, enclave.unseal(from_proto(op.binding()), bytes_view(op.sealed()), bytes_view(op.aad())));
      out.mutable_secret()->set_secret(std::string(plain.reveal()));
      return {};
    }
    case v1::Request::kDeriveDataKey: {
      NSL_TRY_ASSIGN(SecretBytes key, enclave.derive_data_key(from_proto(req.derive_data_key().binding())));
      // The one place a data key is copied into a message; the server wipes the message after sending.
      auto bytes = key.reveal(SecretAccess::grant());
      out.mutable_secret()->set_secret(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      return {};
    }
    case v1::Request::kGenerateDataKey: {
      NSL_TRY_ASSIGN(Bytes sealed, enclave.generate_data_key(from_proto(req.generate_data_key().binding())));
      out.mutable_sealed()->set_sealed(bytes_string(sealed));
      return {};
    }
    case v1::Request::kDataEncrypt: {
      const auto& op = req.data_encrypt();
      NSL_TRY_ASSIGN(Bytes ct, enclave.data_encrypt(from_proto(op.binding()), bytes_view(op.sealed_key()),
                                                    bytes_view(op.aad()), bytes_view(op.plaintext())));
      out.mutable_sealed()->set_sealed(bytes_string(ct));
      return {};
    }
    case v1::Request::kDataEncryptMany: {
      const auto& op = req.data_encrypt_many();
      if (op.items_size() < 1 || static_cast<std::size_t>(op.items_size()) > protocol::kMaxDataItems) {
        return err::invalid_argument("data_encrypt_many: 1.." + std::to_string(protocol::kMaxDataItems) +
                                     " items");
      }
      std::vector<Enclave::DataEncryptItem> items;
      items.reserve(static_cast<std::size_t>(op.items_size()));
      for (const v1::DataItem& item : op.items()) {
        items.push_back({.aad = bytes_view(item.aad()), .plaintext = bytes_view(item.plaintext())});
      }
      const std::vector<Result<Bytes>> cts =
          enclave.data_encrypt_many(from_proto(op.binding()), bytes_view(op.sealed_key()), items);
      if (cts.size() != items.size()) return err::internal("data_encrypt_many answered another count");
      auto* many = out.mutable_sealed_many();
      for (const Result<Bytes>& ct : cts) {
        v1::SealedItem* item = many->add_items();
        if (ct.ok()) {
          item->set_sealed(bytes_string(*ct));
        } else {
          protocol::set_error(*item->mutable_error(), ct.error());
        }
      }
      return {};
    }
    case v1::Request::kDataDecrypt: {
      const auto& op = req.data_decrypt();
      NSL_TRY_ASSIGN(SecretBytes plain, enclave.data_decrypt(from_proto(op.binding()), bytes_view(op.sealed_key()),
                                                             bytes_view(op.aad()), bytes_view(op.ciphertext())));
      // Copied into the answer, which the server wipes after sending.
      auto bytes = plain.reveal(SecretAccess::grant());
      out.mutable_secret()->set_secret(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      return {};
    }
    case v1::Request::kDataGenerate: {
      const auto& op = req.data_generate();
      NSL_TRY_ASSIGN(Enclave::GeneratedData g,
                     enclave.data_generate(from_proto(op.binding()), bytes_view(op.sealed_key()), bytes_view(op.aad()),
                                           op.size(), op.with_plaintext()));
      auto* r = out.mutable_generated();
      r->set_ciphertext(bytes_string(g.ciphertext));
      if (g.plaintext) {
        // Copied into the answer, which the server wipes after sending.
        auto bytes = g.plaintext->reveal(SecretAccess::grant());
        r->set_plaintext(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      }
      return {};
    }
    case v1::Request::kDataRewrap: {
      const auto& op = req.data_rewrap();
      NSL_TRY_ASSIGN(Bytes ct, enclave.data_rewrap(from_proto(op.from_binding()), bytes_view(op.from_key()),
                                                   from_proto(op.to_binding()), bytes_view(op.to_key()),
                                                   bytes_view(op.aad()), bytes_view(op.ciphertext())));
      out.mutable_sealed()->set_sealed(bytes_string(ct));
      return {};
    }
    case v1::Request::kAttest: {
      const auto& op = req.attest();
      AttestPurpose purpose{};
      switch (op.purpose()) {
        case v1::TRANSPORT_KEY: purpose = AttestPurpose::transport_key; break;
        case v1::USER: purpose = AttestPurpose::user; break;
        default: return err::invalid_argument("attest: purpose must be transport_key or user");
      }
      NSL_TRY_ASSIGN(Quote q, enclave.attest(purpose, bytes_view(op.subject()), bytes_view(op.nonce())));
      auto* r = out.mutable_quote();
      r->set_format(q.format);
      r->set_quote(bytes_string(q.quote));
      r->set_report_data(bytes_string(q.report_data));
      return {};
    }
    case v1::Request::kIdentity: {
      NSL_TRY_ASSIGN(Identity id, enclave.identity());
      auto* r = out.mutable_identity();
      r->set_mode(std::string(mode_name(id.mode)));
      r->set_simulated(id.simulated);
      r->set_measurement(bytes_string(id.measurement));
      r->set_seal_policy(id.seal_policy);
      r->set_transport_public_key(bytes_string(id.transport_public_key));
      r->set_version(id.version);
      return {};
    }
    case v1::Request::kPing: out.mutable_pong(); return {};
    case v1::Request::kHello: out.mutable_pong(); return {};  // checked by the server before dispatch
    case v1::Request::OP_NOT_SET: break;
  }
  return err::invalid_argument("enclave request: no operation set");
}

}  // namespace

v1::Response serve_request(Enclave& enclave, const v1::Request& request) {
  v1::Response out;
  out.set_version(kProtocolVersion);
  out.set_id(request.id());
  Status st = check_request(request);
  if (st.ok()) {
    try {
      st = dispatch(enclave, request, out);
    } catch (const std::bad_alloc&) {
      st = err::unavailable("enclave: out of memory");
    } catch (const std::exception&) {
      st = err::internal("enclave: operation failed unexpectedly");
    }
  }
  if (!st.ok()) {
    wipe_secrets(out);
    set_error(out, st.error());
  }
  return out;
}


}  // namespace nsl::enclave::trusted
