// HTTP routes of transit encryption (transit_routes.hpp).
#include "app/transit_routes.hpp"

#include <string.h>  // explicit_bzero

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "app/blocking.hpp"
#include "app/route_helpers.hpp"
#include "core/base64.hpp"
#include "core/secret_bytes.hpp"
#include "core/secret_string.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "services/keys/signing_request.hpp"

namespace nsl::app {
namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;
using transit::ByteView;
using transit::TransitService;

json transit_key_json(const transit::TransitKey& k, bool with_versions) {
  json j{{"name", k.name},
         {"type", k.type},
         {"latest_version", k.latest_version},
         {"min_decryption_version", k.min_decryption_version},
         {"min_encryption_version", k.min_encryption_version},
         {"deletion_allowed", k.deletion_allowed},
         {"rotation_days", k.rotation_days},
         {"next_rotation_at", opt_time(k.next_rotation_at)},
         {"created_at", rfc3339_ms(k.created_at)},
         {"updated_at", rfc3339_ms(k.updated_at)}};
  if (with_versions) {
    json versions = json::array();
    for (const auto& v : k.versions)
      versions.push_back(json{{"version", v.version}, {"created_at", rfc3339_ms(v.created_at)}});
    j["versions"] = std::move(versions);
  }
  return j;
}

namespace {

// Decoded base64 members, wiped when this goes out of scope.
struct Buffers {
  std::vector<std::vector<std::uint8_t>> bufs;
  ~Buffers() {
    for (auto& b : bufs) explicit_bzero(b.data(), b.size());
  }
};

bool present(const json& obj, const char* member) {
  auto it = obj.find(member);
  return it != obj.end() && !it->is_null();
}

// A base64 member of `obj` decoded into `keep` (empty when absent and optional).
Result<ByteView> b64_member(const json& obj, const char* member, bool required, Buffers& keep,
                            const std::string& where) {
  if (!present(obj, member)) {
    if (required) return err::invalid_argument(where + member + " (base64 string) is required");
    return ByteView();
  }
  const json& v = obj.at(member);
  if (!v.is_string()) return err::invalid_argument(where + member + " must be a base64 string");
  auto bytes = base64_decode(v.get_ref<const std::string&>());
  if (!bytes) return err::invalid_argument(where + member + " must be standard padded base64");
  keep.bufs.push_back(std::move(*bytes));
  return ByteView(keep.bufs.back());
}

Result<std::string_view> ciphertext_member(const json& obj, const std::string& where) {
  if (!present(obj, "ciphertext") || !obj.at("ciphertext").is_string())
    return err::invalid_argument(where + "ciphertext (string) is required");
  return std::string_view(obj.at("ciphertext").get_ref<const std::string&>());
}

// An integer member from `min` to `max`; nullopt when absent.
Result<std::optional<std::int64_t>> int_member(const json& obj, const char* member,
                                               std::int64_t min, std::int64_t max) {
  if (!present(obj, member)) return std::optional<std::int64_t>();
  const json& v = obj.at(member);
  if (!v.is_number_integer() || v.get<std::int64_t>() < min || v.get<std::int64_t>() > max) {
    return err::invalid_argument(std::string(member) + " must be an integer from " +
                                 std::to_string(min) + " to " + std::to_string(max));
  }
  return std::optional<std::int64_t>(v.get<std::int64_t>());
}

Result<std::optional<bool>> bool_member(const json& obj, const char* member) {
  if (!present(obj, member)) return std::optional<bool>();
  if (!obj.at(member).is_boolean())
    return err::invalid_argument(std::string(member) + " must be true or false");
  return std::optional<bool>(obj.at(member).get<bool>());
}

constexpr std::int64_t kU32Max = std::numeric_limits<std::uint32_t>::max();

Result<std::optional<std::uint32_t>> key_version_member(const json& body) {
  NSL_TRY_ASSIGN(std::optional<std::int64_t> v, int_member(body, "key_version", 0, kU32Max));
  if (!v) return std::optional<std::uint32_t>();
  return std::optional<std::uint32_t>(static_cast<std::uint32_t>(*v));
}

// batch_input: an array of objects; its size is checked here (before decoding anything) and again
// by the service.
Result<const json*> batch_items(const json& body, std::size_t max) {
  const json& items = body.at("batch_input");
  if (!items.is_array() || items.empty() || items.size() > max) {
    return err::invalid_argument("batch_input must be an array of 1.." + std::to_string(max) +
                                 " objects");
  }
  for (const auto& it : items) {
    if (!it.is_object()) return err::invalid_argument("batch_input items must be objects");
  }
  return &items;
}

std::string where_of(std::size_t i) { return "batch_input[" + std::to_string(i) + "]."; }

// One failed batch item: the problem+json members of its error.
json error_json(const Error& e) {
  const int status = http::status_for(e.code());
  return json{{"error",
               {{"status", status},
                {"title", std::string(http::reason_phrase(status))},
                {"detail", e.message()},
                {"code", std::string(error_code_name(e.code()))}}}};
}

json encrypted_json(const transit::Encrypted& e) {
  return json{{"ciphertext", e.ciphertext}, {"key_version", e.key_version}};
}

json encrypted_results(const std::vector<Result<transit::Encrypted>>& results) {
  json out = json::array();
  for (const auto& r : results) out.push_back(r.ok() ? encrypted_json(*r) : error_json(r.error()));
  return json{{"batch_results", std::move(out)}};
}

std::size_t b64_size(std::size_t n) { return (n + 2) / 3 * 4; }

// Appends the base64 of a plaintext: the one place this module reads a secret's bytes, to hand it
// to its authorised caller in a sensitive answer. The intermediate text is wiped.
void append_b64(std::string& out, const SecretBytes& s) {
  std::string b64 = base64_encode(s.reveal(SecretAccess::grant()));
  out.append(b64);
  SecretString::wipe(b64);
}

// An answer carrying plaintext: its body was reserved up front (no reallocation leaves a copy
// behind) and is wiped by the server after writing.
Response sensitive_response(std::string body) {
  Response res;
  res.status = 200;
  res.sensitive = true;
  res.body = std::move(body);
  res.headers.set("content-type", "application/json");
  res.headers.set("cache-control", "no-store");
  return res;
}

Status no_body(const Request& req) {
  if (req.body.empty()) return {};
  NSL_TRY_ASSIGN(json body, http::parse_json_body(req));
  return keys::only_fields(body, {});
}

struct Call {
  Request& req;
  const store::TenantId& tenant;
  const std::string& name;
  const identity::Actor& actor;
};

// ---- handlers (each runs on the pool) ----

Result<Response> create_key(TransitService& ts, const Call& c) {
  transit::KeyOptions o;
  if (!c.req.body.empty()) {
    NSL_TRY_ASSIGN(json body, http::parse_json_body(c.req));
    NSL_TRY(keys::only_fields(body, {"type", "rotation_days", "deletion_allowed"}));
    if (present(body, "type")) {
      if (!body.at("type").is_string()) return err::invalid_argument("type must be a string");
      o.type = body.at("type").get<std::string>();
    }
    NSL_TRY_ASSIGN(std::optional<std::int64_t> days, int_member(body, "rotation_days", 0, 100000));
    if (days) o.rotation_days = static_cast<int>(*days);
    NSL_TRY_ASSIGN(std::optional<bool> del, bool_member(body, "deletion_allowed"));
    o.deletion_allowed = del.value_or(false);
  }
  NSL_TRY_ASSIGN(transit::TransitKey k, ts.create_key(c.tenant, c.name, o, c.actor));
  Response res = json_response(201, transit_key_json(k));
  res.headers.set("location", "/v1/transit/keys/" + k.name);
  return res;
}

Result<Response> update_config(TransitService& ts, const Call& c) {
  NSL_TRY_ASSIGN(json body, http::parse_json_body(c.req));
  NSL_TRY(keys::only_fields(body, {"min_decryption_version", "min_encryption_version",
                                   "rotation_days", "deletion_allowed"}));
  transit::KeyConfig cfg;
  NSL_TRY_ASSIGN(auto min_dec, int_member(body, "min_decryption_version", 1, kU32Max));
  NSL_TRY_ASSIGN(auto min_enc, int_member(body, "min_encryption_version", 0, kU32Max));
  NSL_TRY_ASSIGN(auto days, int_member(body, "rotation_days", 0, 100000));
  NSL_TRY_ASSIGN(cfg.deletion_allowed, bool_member(body, "deletion_allowed"));
  if (min_dec) cfg.min_decryption_version = static_cast<std::uint32_t>(*min_dec);
  if (min_enc) cfg.min_encryption_version = static_cast<std::uint32_t>(*min_enc);
  if (days) cfg.rotation_days = static_cast<int>(*days);
  NSL_TRY_ASSIGN(transit::TransitKey k, ts.update_config(c.tenant, c.name, cfg, c.actor));
  return json_response(200, transit_key_json(k));
}

Result<Response> encrypt(TransitService& ts, const Call& c) {
  WipedRequestBody wiped(c.req);
  NSL_TRY_ASSIGN(wiped.parsed, http::parse_json_body(c.req));
  const json& body = wiped.parsed;
  NSL_TRY(keys::only_fields(body, {"plaintext", "associated_data", "key_version", "batch_input"}));
  NSL_TRY_ASSIGN(std::optional<std::uint32_t> version, key_version_member(body));
  Buffers keep;
  if (!present(body, "batch_input")) {
    NSL_TRY_ASSIGN(ByteView plain, b64_member(body, "plaintext", true, keep, ""));
    NSL_TRY_ASSIGN(ByteView ad, b64_member(body, "associated_data", false, keep, ""));
    NSL_TRY_ASSIGN(transit::Encrypted e, ts.encrypt(c.tenant, c.name, plain, ad, version, c.actor));
    return json_response(200, encrypted_json(e));
  }
  if (present(body, "plaintext") || present(body, "associated_data"))
    return err::invalid_argument("batch_input excludes plaintext and associated_data");
  NSL_TRY_ASSIGN(const json* items, batch_items(body, ts.options().max_batch));
  keep.bufs.reserve(items->size() * 2);
  std::vector<transit::EncryptItem> in;
  in.reserve(items->size());
  for (std::size_t i = 0; i < items->size(); ++i) {
    const json& it = (*items)[i];
    NSL_TRY(keys::only_fields(it, {"plaintext", "associated_data"}, where_of(i)));
    NSL_TRY_ASSIGN(ByteView plain, b64_member(it, "plaintext", true, keep, where_of(i)));
    NSL_TRY_ASSIGN(ByteView ad, b64_member(it, "associated_data", false, keep, where_of(i)));
    in.push_back({plain, ad});
  }
  NSL_TRY_ASSIGN(auto results, ts.encrypt_batch(c.tenant, c.name, in, version, c.actor));
  return json_response(200, encrypted_results(results));
}

// The single or batch form of a decrypt / rewrap body.
struct CiphertextInput {
  bool batch = false;
  std::vector<transit::CiphertextItem> items;  // one item when !batch
};

Result<CiphertextInput> ciphertext_input(const json& body, std::size_t max, Buffers& keep) {
  NSL_TRY(keys::only_fields(body, {"ciphertext", "associated_data", "batch_input"}));
  CiphertextInput in;
  if (!present(body, "batch_input")) {
    NSL_TRY_ASSIGN(std::string_view ct, ciphertext_member(body, ""));
    NSL_TRY_ASSIGN(ByteView ad, b64_member(body, "associated_data", false, keep, ""));
    in.items.push_back({ct, ad});
    return in;
  }
  if (present(body, "ciphertext") || present(body, "associated_data"))
    return err::invalid_argument("batch_input excludes ciphertext and associated_data");
  NSL_TRY_ASSIGN(const json* items, batch_items(body, max));
  in.batch = true;
  keep.bufs.reserve(items->size());
  in.items.reserve(items->size());
  for (std::size_t i = 0; i < items->size(); ++i) {
    const json& it = (*items)[i];
    NSL_TRY(keys::only_fields(it, {"ciphertext", "associated_data"}, where_of(i)));
    NSL_TRY_ASSIGN(std::string_view ct, ciphertext_member(it, where_of(i)));
    NSL_TRY_ASSIGN(ByteView ad, b64_member(it, "associated_data", false, keep, where_of(i)));
    in.items.push_back({ct, ad});
  }
  return in;
}

Result<Response> decrypt(TransitService& ts, const Call& c) {
  WipedRequestBody wiped(c.req);
  NSL_TRY_ASSIGN(wiped.parsed, http::parse_json_body(c.req));
  Buffers keep;
  NSL_TRY_ASSIGN(CiphertextInput in, ciphertext_input(wiped.parsed, ts.options().max_batch, keep));
  if (!in.batch) {
    const auto& item = in.items.front();
    NSL_TRY_ASSIGN(SecretBytes plain,
                   ts.decrypt(c.tenant, c.name, item.ciphertext, item.associated_data, c.actor));
    std::string out;
    out.reserve(b64_size(plain.size()) + 16);
    out.append("{\"plaintext\":\"");
    append_b64(out, plain);
    out.append("\"}");
    return sensitive_response(std::move(out));
  }
  NSL_TRY_ASSIGN(auto results, ts.decrypt_batch(c.tenant, c.name, in.items, c.actor));
  // Error items first rendered (no secrets), so the body is reserved once at its final size.
  std::vector<std::string> errors(results.size());
  std::size_t size = 32;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) {
      size += b64_size(results[i]->size()) + 20;
    } else {
      errors[i] = error_json(results[i].error()).dump();
      size += errors[i].size() + 2;
    }
  }
  std::string out;
  out.reserve(size);
  out.append("{\"batch_results\":[");
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (results[i].ok()) {
      out.append("{\"plaintext\":\"");
      append_b64(out, *results[i]);
      out.append("\"}");
    } else {
      out.append(errors[i]);
    }
  }
  out.append("]}");
  return sensitive_response(std::move(out));
}

Result<Response> rewrap(TransitService& ts, const Call& c) {
  NSL_TRY_ASSIGN(json body, http::parse_json_body(c.req));
  Buffers keep;
  NSL_TRY_ASSIGN(CiphertextInput in, ciphertext_input(body, ts.options().max_batch, keep));
  if (!in.batch) {
    const auto& item = in.items.front();
    NSL_TRY_ASSIGN(transit::Encrypted e,
                   ts.rewrap(c.tenant, c.name, item.ciphertext, item.associated_data, c.actor));
    return json_response(200, encrypted_json(e));
  }
  NSL_TRY_ASSIGN(auto results, ts.rewrap_batch(c.tenant, c.name, in.items, c.actor));
  return json_response(200, encrypted_results(results));
}

Result<Response> datakey(TransitService& ts, const Call& c) {
  NSL_TRY_ASSIGN(json body, http::parse_json_body(c.req));
  NSL_TRY(keys::only_fields(body, {"type", "bits"}));
  if (!present(body, "type") || !body.at("type").is_string())
    return err::invalid_argument("type (\"plaintext\" or \"wrapped\") is required");
  const std::string type = body.at("type").get<std::string>();
  if (type != "plaintext" && type != "wrapped")
    return err::invalid_argument("type must be \"plaintext\" or \"wrapped\"");
  NSL_TRY_ASSIGN(std::optional<std::int64_t> bits, int_member(body, "bits", 0, 1 << 20));
  NSL_TRY_ASSIGN(transit::DataKey k,
                 ts.datakey(c.tenant, c.name, static_cast<int>(bits.value_or(256)),
                            type == "plaintext", c.actor));
  json j = encrypted_json({.ciphertext = k.ciphertext, .key_version = k.key_version});
  if (!k.plaintext) return json_response(200, j);
  std::string head = j.dump();  // {"ciphertext":"…","key_version":N}
  head.pop_back();
  std::string out;
  out.reserve(head.size() + b64_size(k.plaintext->size()) + 20);
  out.append(head);
  out.append(",\"plaintext\":\"");
  append_b64(out, *k.plaintext);
  out.append("\"}");
  return sensitive_response(std::move(out));
}

// A route on one key ({name}); the whole handler (body parsing included) runs on the pool.
template <class Fn>
http::Handler on_key(asio::thread_pool& pool, Fn fn) {
  return [&pool, fn](Request& req) -> asio::awaitable<Response> {
    const auth::Principal& p = principal_of(req);
    const std::string name(req.param("name").value_or(""));
    const identity::Actor actor = actor_of(req);
    co_return co_await offload(pool, [&]() -> Response {
      Result<Response> r = fn(Call{req, p.tenant, name, actor});
      if (!r.ok()) return http::problem(r.error(), req);
      return std::move(*r);
    });
  };
}

}  // namespace

Status add_transit_routes(http::Router& router, TransitRoutesDeps d) {
  TransitService& ts = d.transit;
  asio::thread_pool& pool = d.pool;
  const std::string general = "general";
  std::vector<http::Route> routes;
  auto add = [&](Method m, const char* pattern, const char* permission, http::Handler h) {
    routes.push_back(http::Route{.method = m,
                                 .pattern = pattern,
                                 .handler = std::move(h),
                                 .permission = permission,
                                 .rate_class = general});
  };

  add(Method::post, "/v1/transit/keys/{name}", "transit:admin",
      on_key(pool, [&ts](const Call& c) { return create_key(ts, c); }));
  add(Method::get, "/v1/transit/keys", "transit:read",
      [&ts, &pool](Request& req) -> asio::awaitable<Response> {
        auto pg = paging(req, 50, 100);
        if (!pg.ok()) co_return http::problem(pg.error(), req);
        const auth::Principal& p = principal_of(req);
        auto page =
            co_await offload(pool, [&] { return ts.list_keys(p.tenant, pg->second, pg->first); });
        if (!page.ok()) co_return http::problem(page.error(), req);
        json items = json::array();
        for (const auto& k : page->keys) items.push_back(transit_key_json(k, false));
        json out{{"items", std::move(items)}, {"next_cursor", nullptr}};
        if (page->next_after) out["next_cursor"] = *page->next_after;
        co_return json_response(200, out);
      });
  add(Method::get, "/v1/transit/keys/{name}", "transit:read",
      on_key(pool, [&ts](const Call& c) -> Result<Response> {
        NSL_TRY_ASSIGN(transit::TransitKey k, ts.get_key(c.tenant, c.name));
        return json_response(200, transit_key_json(k));
      }));
  add(Method::patch, "/v1/transit/keys/{name}", "transit:admin",
      on_key(pool, [&ts](const Call& c) { return update_config(ts, c); }));
  add(Method::del, "/v1/transit/keys/{name}", "transit:admin",
      on_key(pool, [&ts](const Call& c) -> Result<Response> {
        NSL_TRY(no_body(c.req));
        NSL_TRY(ts.delete_key(c.tenant, c.name, c.actor));
        Response res;
        res.status = 204;
        return res;
      }));
  add(Method::post, "/v1/transit/keys/{name}/rotate", "transit:admin",
      on_key(pool, [&ts](const Call& c) -> Result<Response> {
        NSL_TRY(no_body(c.req));
        NSL_TRY_ASSIGN(transit::TransitKey k, ts.rotate(c.tenant, c.name, c.actor));
        return json_response(200, transit_key_json(k));
      }));
  add(Method::post, "/v1/transit/keys/{name}/encrypt", "transit:encrypt",
      on_key(pool, [&ts](const Call& c) { return encrypt(ts, c); }));
  add(Method::post, "/v1/transit/keys/{name}/decrypt", "transit:decrypt",
      on_key(pool, [&ts](const Call& c) { return decrypt(ts, c); }));
  add(Method::post, "/v1/transit/keys/{name}/rewrap", "transit:encrypt",
      on_key(pool, [&ts](const Call& c) { return rewrap(ts, c); }));
  add(Method::post, "/v1/transit/keys/{name}/datakey", "transit:encrypt",
      on_key(pool, [&ts](const Call& c) { return datakey(ts, c); }));

  for (auto& r : routes) NSL_TRY(router.add(std::move(r)));
  return {};
}

}  // namespace nsl::app
