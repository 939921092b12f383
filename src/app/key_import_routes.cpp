#include "app/key_import_routes.hpp"

#include "app/blocking.hpp"
#include "app/route_helpers.hpp"
#include "core/base64.hpp"
#include "core/random.hpp"
#include "core/secret_string.hpp"
#include "core/strings.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "services/keys/signing_request.hpp"

namespace nsl::app {
namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

namespace {

Result<enclave::Bytes> import_nonce(const Request& req) {
  enclave::Bytes nonce(32);
  if (req.body.empty()) {
    random_bytes(nonce);
    return nonce;
  }
  NSL_TRY_ASSIGN(json body, http::parse_json_body(req));
  NSL_TRY(keys::only_fields(body, {"nonce"}));
  if (!body.contains("nonce") || body["nonce"].is_null()) {
    random_bytes(nonce);
    return nonce;
  }
  if (!body["nonce"].is_string()) return err::invalid_argument("nonce must be a hex string");
  auto b = from_hex(body["nonce"].get<std::string>());
  if (!b || b->size() < 16 || b->size() > 64)
    return err::invalid_argument("nonce must be 16..64 bytes of hex");
  return std::move(*b);
}

Result<keys::ImportKeyRequest> import_request(const json& body) {
  NSL_TRY(keys::only_fields(body, {"key_id", "curve", "label", "wrapped", "exportable",
                                   "rotation_days"}));
  keys::ImportKeyRequest r;
  for (const char* f : {"key_id", "curve", "label", "wrapped"}) {
    if (!body.contains(f) || !body[f].is_string())
      return err::invalid_argument(std::string(f) + " (string) is required");
  }
  r.key_id = body["key_id"].get<std::string>();
  r.curve = body["curve"].get<std::string>();
  r.label = body["label"].get<std::string>();
  auto wrapped = base64_decode(body["wrapped"].get<std::string>());
  if (!wrapped) return err::invalid_argument("wrapped must be base64");
  r.wrapped = std::move(*wrapped);
  NSL_TRY(read_key_options(body, r.exportable, r.rotation_days));
  return r;
}

Result<enclave::ExportRequest> export_request(const json& body) {
  NSL_TRY(keys::only_fields(body, {"format", "passphrase", "recipient_public_key"}));
  if (!body.contains("format") || !body["format"].is_string())
    return err::invalid_argument("format (\"nep2\" or \"wrapped\") is required");
  enclave::ExportRequest r;
  const std::string format = body["format"];
  if (format == "nep2") {
    if (body.contains("recipient_public_key"))
      return err::invalid_argument("recipient_public_key is for format \"wrapped\"");
    if (!body.contains("passphrase") || !body["passphrase"].is_string())
      return err::invalid_argument("passphrase (string) is required for format \"nep2\"");
    const auto& p = body["passphrase"].get_ref<const std::string&>();
    if (p.empty() || p.size() > 1024) return err::invalid_argument("passphrase must be 1..1024 bytes");
    r.format = enclave::ExportRequest::Format::nep2;
    r.passphrase = SecretString(p);
    return r;
  }
  if (format == "wrapped") {
    if (body.contains("passphrase")) return err::invalid_argument("passphrase is for format \"nep2\"");
    if (!body.contains("recipient_public_key") || !body["recipient_public_key"].is_string())
      return err::invalid_argument("recipient_public_key (hex) is required for format \"wrapped\"");
    auto k = from_hex(body["recipient_public_key"].get<std::string>());
    if (!k || k->size() != 32)
      return err::invalid_argument("recipient_public_key must be 32 bytes of hex (X25519)");
    r.format = enclave::ExportRequest::Format::wrapped;
    std::copy(k->begin(), k->end(), r.recipient_public_key.begin());
    return r;
  }
  return err::invalid_argument("format must be \"nep2\" or \"wrapped\"");
}

}  // namespace

Status add_key_import_routes(http::Router& router, KeyRoutesDeps d) {
  auto& ks = d.keys;
  auto& pool = d.pool;
  std::vector<http::Route> routes;

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys/imports",
      .handler = [&ks, &pool](Request& req) -> asio::awaitable<Response> {
        auto nonce = import_nonce(req);
        if (!nonce.ok()) co_return http::problem(nonce.error(), req);
        const auth::Principal& p = principal_of(req);
        auto s = co_await offload(pool, [&] { return ks.begin_import(p.tenant, *nonce); });
        if (!s.ok()) co_return http::problem(s.error(), req);
        json out{{"key_id", s->key_id},
                 {"binding",
                  {{"tenant_id", s->binding.tenant_id},
                   {"object_id", s->binding.object_id},
                   {"version", s->binding.version},
                   {"purpose", s->binding.purpose}}},
                 {"transport_public_key", to_hex(s->transport_public_key)},
                 {"quote",
                  {{"format", s->quote.format},
                   {"quote", base64_encode(s->quote.quote)},
                   {"report_data", to_hex(s->quote.report_data)}}},
                 {"nonce", to_hex(s->nonce)}};
        co_return json_response(200, out);
      },
      .permission = "keys:create",
      .rate_class = "keys"});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys/import",
      .handler = key_making_handler(pool,
                                    [&ks](const json& body, const auth::Principal& p,
                                          const identity::Actor& actor) -> Result<keys::KeyView> {
                                      NSL_TRY_ASSIGN(auto r, import_request(body));
                                      return ks.import(p.tenant, r, actor);
                                    }),
      .permission = "keys:create",
      .rate_class = "keys"});

  routes.push_back(http::Route{
      .method = Method::post,
      .pattern = "/v1/keys/{id}/export",
      .handler = [&ks, &pool](Request& req) -> asio::awaitable<Response> {
        auto body = http::parse_json_body(req);
        // A NEP-2 passphrase is now in `r` (a SecretString); the request text and its parsed copy go.
        SecretString::wipe(req.body);
        if (!body.ok()) co_return http::problem(body.error(), req);
        auto r = export_request(*body);
        if (auto pass = body->find("passphrase"); pass != body->end() && pass->is_string()) {
          SecretString::wipe(pass->get_ref<std::string&>());
        }
        if (!r.ok()) co_return http::problem(r.error(), req);
        const auth::Principal& p = principal_of(req);
        const std::string id(req.param("id").value_or(""));
        auto e = co_await offload(pool, [&] { return ks.export_key(p.tenant, id, *r, actor_of(req)); });
        if (!e.ok()) co_return http::problem(e.error(), req);
        json out{{"key_id", e->key_id}, {"version", e->version}, {"curve", e->curve}};
        if (e->exported.format == enclave::ExportRequest::Format::nep2) {
          out["format"] = "nep2";
          out["nep2"] = e->exported.nep2;
        } else {
          out["format"] = "wrapped";
          out["wrapped"] = base64_encode(e->exported.wrapped);
          out["binding"] = json{{"tenant_id", e->binding.tenant_id},
                                {"object_id", e->binding.object_id},
                                {"version", e->binding.version},
                                {"purpose", e->binding.purpose}};
        }
        Response res = json_response(200, out);
        res.headers.set("cache-control", "no-store");
        co_return res;
      },
      .permission = "keys:export",
      .rate_class = "keys"});

  for (auto& r : routes) NSL_TRY(router.add(std::move(r)));
  return {};
}

}  // namespace nsl::app
