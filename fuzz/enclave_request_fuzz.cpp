// Fuzz target `enclave_request`: bytes arriving at nsl-enclave's socket -> FrameReader -> decode_request ->
// serve_request on a real sim TrustedCore (so sealed blobs, import wraps, bindings and payloads from the wire
// reach the enclave's own parsers).
//
// The core's sealing secret is fixed, so seeds can hold sealed blobs that open (set NSL_FUZZ_ENCLAVE_SEEDS=DIR to
// have the target write a fresh seed set there: one valid frame per operation, and the enclave's answer to each
// into DIR/../enclave_response/ when that folder exists). Import seeds are wrapped to the transport key of the run
// that wrote them, so later runs refuse them (failed_precondition): still useful, they exercise the wrap parser.
//
// Invariants (a violation aborts): the reader either yields frames or fails for good; every decoded request gets a
// response with its id and version 1 holding exactly one of error or result; error codes are known and messages
// non-empty; the response frames (or refuses with payload_too_large); no exception escapes.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "crypto/hash.hpp"
#include "enclave/protocol/codec.hpp"
#include "enclave/protocol/import_wrap.hpp"
#include "enclave/trusted/core.hpp"
#include "enclave/trusted/dispatch.hpp"
#include "fuzz_check.hpp"
#include "obs/log.hpp"

namespace {

namespace enc = nsl::enclave;
namespace v1 = nsl::enclave::v1;
using nsl::fuzz::check;
constexpr const char* kName = "enclave_request";

enc::trusted::TrustedCore* g_core = nullptr;

void write_seed(const std::string& dir, const std::string& name, v1::Request req, std::uint64_t id) {
  req.set_version(1);
  req.set_id(id);
  std::string frame;
  if (!enc::protocol::append_message(frame, req).ok()) std::abort();
  std::ofstream(dir + "/" + name, std::ios::binary) << frame;
  // The enclave's answer seeds the other end's target (fuzz/corpus/enclave_response/).
  const std::string responses = dir + "/../enclave_response";
  if (std::filesystem::is_directory(responses)) {
    v1::Response resp = enc::trusted::serve_request(*g_core, req);
    std::string answer;
    if (!enc::protocol::append_message(answer, resp).ok()) std::abort();
    std::ofstream(responses + "/" + name, std::ios::binary) << answer;
  }
}

void write_seeds(const std::string& dir) {
  const enc::Binding b{.tenant_id = "tenant", .object_id = "key", .version = 1, .purpose = "signing"};
  std::uint64_t id = 1;
  for (enc::KeyCurve curve : {enc::KeyCurve::secp256r1, enc::KeyCurve::secp256k1, enc::KeyCurve::ed25519}) {
    auto key = g_core->generate_key(b, curve);
    if (!key.ok()) std::abort();
    const std::string c(enc::key_curve_name(curve));
    v1::Request gen;
    *gen.mutable_generate_key()->mutable_binding() = enc::protocol::to_proto(b);
    gen.mutable_generate_key()->set_curve(enc::protocol::to_proto(curve));
    write_seed(dir, "generate_" + c, gen, id++);
    v1::Request sign;
    *sign.mutable_sign()->mutable_binding() = enc::protocol::to_proto(b);
    sign.mutable_sign()->set_sealed(enc::protocol::bytes_string(key->sealed));
    const auto digest = nsl::crypto::sha256(nsl::crypto::as_bytes("m"));
    if (curve == enc::KeyCurve::ed25519) {
      sign.mutable_sign()->set_message("message");
    } else {
      sign.mutable_sign()->set_digest(enc::protocol::bytes_string(digest));
    }
    write_seed(dir, "sign_" + c, sign, id++);
    v1::Request pub;
    *pub.mutable_public_key()->mutable_binding() = enc::protocol::to_proto(b);
    pub.mutable_public_key()->set_sealed(enc::protocol::bytes_string(key->sealed));
    write_seed(dir, "public_key_" + c, pub, id++);
    // sign_typed: a raw digest (ECDSA keys), a message in the curve's own format, and one under a policy.
    if (curve != enc::KeyCurve::ed25519) {
      const auto typed = [&](enc::SignFormat f, std::string payload) {
        v1::Request r;
        auto* op = r.mutable_sign_typed();
        *op->mutable_binding() = enc::protocol::to_proto(b);
        op->set_sealed(enc::protocol::bytes_string(key->sealed));
        op->set_format(enc::protocol::to_proto(f));
        op->set_payload(std::move(payload));
        op->set_network_magic(860833102);
        op->set_chain_id(47763);
        return r;
      };
      write_seed(dir, "sign_typed_raw_" + c, typed(enc::SignFormat::raw_digest, std::string(32, '\x11')), id++);
      const bool k1 = curve == enc::KeyCurve::secp256k1;
      auto msg = typed(k1 ? enc::SignFormat::eip191 : enc::SignFormat::neo_message, "hello");
      write_seed(dir, "sign_typed_message_" + c, msg, id++);
      const std::string policy = R"({"allow_raw_digest":true,"max_value_per_24h":{"evm:native":"10"}})";
      auto policy_sealed = g_core->seal({b.tenant_id, b.object_id, 1, "policy"}, nsl::crypto::as_bytes(policy), {});
      if (!policy_sealed.ok()) std::abort();
      auto with_policy = typed(enc::SignFormat::raw_digest, std::string(32, '\x22'));
      with_policy.mutable_sign_typed()->set_policy_sealed(enc::protocol::bytes_string(*policy_sealed));
      with_policy.mutable_sign_typed()->set_policy_version(1);
      auto* spent = with_policy.mutable_sign_typed()->add_spent_24h();
      spent->set_asset("evm:native");
      spent->set_amount("3");
      write_seed(dir, "sign_typed_policy_" + c, with_policy, id++);
    }
    auto identity = g_core->identity();
    auto fresh = nsl::SecretBytes::random(32);
    if (curve != enc::KeyCurve::ed25519 && identity.ok()) {
      auto wrapped = enc::wrap_for_import(identity->transport_public_key, curve, b, fresh);
      if (wrapped.ok()) {
        v1::Request imp;
        *imp.mutable_import_key()->mutable_binding() = enc::protocol::to_proto(b);
        imp.mutable_import_key()->set_curve(enc::protocol::to_proto(curve));
        imp.mutable_import_key()->set_wrapped(enc::protocol::bytes_string(*wrapped));
        write_seed(dir, "import_" + c, imp, id++);
      }
    }
  }
  auto sealed = g_core->seal(b, nsl::crypto::as_bytes("secret"), nsl::crypto::as_bytes("aad"));
  if (!sealed.ok()) std::abort();
  v1::Request seal;
  *seal.mutable_seal()->mutable_binding() = enc::protocol::to_proto(b);
  seal.mutable_seal()->set_plaintext("secret");
  seal.mutable_seal()->set_aad("aad");
  write_seed(dir, "seal", seal, id++);
  v1::Request unseal;
  *unseal.mutable_unseal()->mutable_binding() = enc::protocol::to_proto(b);
  unseal.mutable_unseal()->set_sealed(enc::protocol::bytes_string(*sealed));
  unseal.mutable_unseal()->set_aad("aad");
  write_seed(dir, "unseal", unseal, id++);
  v1::Request dk;
  *dk.mutable_derive_data_key()->mutable_binding() = enc::protocol::to_proto(b);
  write_seed(dir, "derive_data_key", dk, id++);
  // Symmetric data keys: generate, encrypt, decrypt, rewrap (to a second key).
  const enc::Binding b2{b.tenant_id, b.object_id, b.version + 1, b.purpose};
  auto dek = g_core->generate_data_key(b);
  auto dek2 = g_core->generate_data_key(b2);
  if (!dek.ok() || !dek2.ok()) std::abort();
  v1::Request gdk;
  *gdk.mutable_generate_data_key()->mutable_binding() = enc::protocol::to_proto(b);
  write_seed(dir, "generate_data_key", gdk, id++);
  v1::Request denc;
  *denc.mutable_data_encrypt()->mutable_binding() = enc::protocol::to_proto(b);
  denc.mutable_data_encrypt()->set_sealed_key(enc::protocol::bytes_string(*dek));
  denc.mutable_data_encrypt()->set_aad("aad");
  denc.mutable_data_encrypt()->set_plaintext("secret");
  write_seed(dir, "data_encrypt", denc, id++);
  v1::Request dmany;
  *dmany.mutable_data_encrypt_many()->mutable_binding() = enc::protocol::to_proto(b);
  dmany.mutable_data_encrypt_many()->set_sealed_key(enc::protocol::bytes_string(*dek));
  for (const char* plain : {"secret", "", "another secret"}) {
    auto* item = dmany.mutable_data_encrypt_many()->add_items();
    item->set_aad("aad");
    item->set_plaintext(plain);
  }
  write_seed(dir, "data_encrypt_many", dmany, id++);
  auto ct = g_core->data_encrypt(b, *dek, nsl::crypto::as_bytes("aad"), nsl::crypto::as_bytes("secret"));
  if (!ct.ok()) std::abort();
  v1::Request ddec;
  *ddec.mutable_data_decrypt()->mutable_binding() = enc::protocol::to_proto(b);
  ddec.mutable_data_decrypt()->set_sealed_key(enc::protocol::bytes_string(*dek));
  ddec.mutable_data_decrypt()->set_aad("aad");
  ddec.mutable_data_decrypt()->set_ciphertext(enc::protocol::bytes_string(*ct));
  write_seed(dir, "data_decrypt", ddec, id++);
  v1::Request rewrap;
  auto* rw = rewrap.mutable_data_rewrap();
  *rw->mutable_from_binding() = enc::protocol::to_proto(b);
  rw->set_from_key(enc::protocol::bytes_string(*dek));
  *rw->mutable_to_binding() = enc::protocol::to_proto(b2);
  rw->set_to_key(enc::protocol::bytes_string(*dek2));
  rw->set_aad("aad");
  rw->set_ciphertext(enc::protocol::bytes_string(*ct));
  write_seed(dir, "data_rewrap", rewrap, id++);
  for (const bool with_plaintext : {true, false}) {
    v1::Request gen;
    auto* g = gen.mutable_data_generate();
    *g->mutable_binding() = enc::protocol::to_proto(b);
    g->set_sealed_key(enc::protocol::bytes_string(*dek));
    g->set_aad("aad");
    g->set_size(32);
    g->set_with_plaintext(with_plaintext);
    write_seed(dir, with_plaintext ? "data_generate_plaintext" : "data_generate_wrapped", gen, id++);
  }
  v1::Request att;
  att.mutable_attest()->set_purpose(v1::USER);
  att.mutable_attest()->set_subject("subject");
  att.mutable_attest()->set_nonce("nonce");
  write_seed(dir, "attest_user", att, id++);
  v1::Request tk;
  tk.mutable_attest()->set_purpose(v1::TRANSPORT_KEY);
  tk.mutable_attest()->set_nonce("nonce");
  write_seed(dir, "attest_transport", tk, id++);
  v1::Request ident;
  ident.mutable_identity();
  write_seed(dir, "identity", ident, id++);
  v1::Request ping;
  ping.mutable_ping();
  write_seed(dir, "ping", ping, id++);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsl::obs::set_sink([](std::string_view) {});
  char tmpl[] = "/tmp/nsl-fuzz-enclave-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  std::filesystem::create_directories(dir + "/enclave");
  ::chmod((dir + "/enclave").c_str(), 0700);
  {
    std::ofstream secret(dir + "/enclave/sealing.secret", std::ios::binary);
    secret << std::string(32, '\x5a');  // fixed, so seeds with sealed blobs stay valid
  }
  ::chmod((dir + "/enclave/sealing.secret").c_str(), 0600);
  auto core = enc::trusted::TrustedCore::open(
      {.mode = enc::Mode::sim, .data_dir = dir, .key_cache_capacity = 8, .measurement_override = enc::Bytes(32, 7)});
  if (!core.ok()) {
    std::fprintf(stderr, "enclave_request: cannot open the core: %s\n", core.error().message().c_str());
    std::abort();
  }
  g_core = core->release();
  if (const char* seeds = std::getenv("NSL_FUZZ_ENCLAVE_SEEDS")) write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  nsl::enclave::protocol::FrameReader reader(4096);
  // Two chunks split at a point the input chooses: exercises partial headers and partial payloads.
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  int frames = 0;
  for (std::string_view chunk : {bytes.substr(0, split), bytes.substr(split)}) {
    reader.feed(chunk);
    for (;;) {
      auto next = reader.next();
      if (!next.ok()) {
        check(reader.failed(), kName, "a failed next() left the reader usable");
        check(!reader.next().ok(), kName, "a failed reader recovered");
        return 0;
      }
      if (!next->has_value()) break;
      if (++frames > 16) return 0;  // bound the work per input
      auto req = nsl::enclave::protocol::decode_request(**next);
      if (!req.ok()) {
        check(req.error().code() == nsl::ErrorCode::invalid_argument, kName, "decode error is not invalid_argument");
        continue;
      }
      v1::Response resp = enc::trusted::serve_request(*g_core, *req);
      check(resp.id() == req->id(), kName, "response id differs from the request id");
      check(resp.version() == 1, kName, "response version is not 1");
      const bool has_error = resp.has_error();
      const bool has_result = resp.result_case() != v1::Response::RESULT_NOT_SET;
      check(has_error != has_result, kName, "response must hold exactly one of error and result");
      if (has_error) {
        check(resp.error().code() >= 1 && resp.error().code() <= 16, kName, "unknown error code");
        check(!resp.error().message().empty(), kName, "empty error message");
      }
      std::string frame;
      auto st = nsl::enclave::protocol::append_message(frame, resp);
      check(st.ok() || st.error().code() == nsl::ErrorCode::payload_too_large, kName, "response did not frame",
            st.ok() ? "" : st.error().message());
      nsl::enclave::protocol::wipe_secrets(resp);
    }
  }
  return 0;
}
