// nsl/app/key_routes.hpp — HTTP routes of key management (the shapes are in spec/openapi.yaml;
// the rules live in keys::KeyService).
//
//   POST   /v1/keys                     keys:create  → 201 + KeyView
//   GET    /v1/keys                     keys:read    ?limit&cursor&curve&state&label_prefix
//   GET    /v1/keys/{id}                keys:read
//   POST   /v1/keys/{id}/disable        keys:admin
//   POST   /v1/keys/{id}/enable         keys:admin   (also cancels a pending destruction)
//   POST   /v1/keys/{id}/rotate         keys:admin
//   DELETE /v1/keys/{id}                keys:admin   body optional {"grace_days": 1..30} → 202
//   PUT    /v1/keys/{id}/policy         keys:admin   body: the policy (a JSON object)
//   DELETE /v1/keys/{id}/policy         keys:admin
// Every route is key management: rate class "keys". Request bodies are strict: unknown members are
// refused (400 naming the member).
//
//   NSL_TRY(add_key_routes(router, {.keys = key_service, .pool = pool}));
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <optional>
#include <nlohmann/json.hpp>

#include "auth/principal.hpp"

#include "http/router.hpp"
#include "services/keys/service.hpp"

namespace nsl::app {

struct KeyRoutesDeps {
  keys::KeyService& keys;
  boost::asio::thread_pool& pool;
};

Status add_key_routes(http::Router& router, KeyRoutesDeps deps);

// The public JSON form of a key (KeyView in spec/openapi.yaml).
nlohmann::json key_view_json(const keys::KeyView& v);

// The optional "exportable" and "rotation_days" members of a create or import body.
Status read_key_options(const nlohmann::json& body, bool& exportable, std::optional<int>& rotation_days);

// The handler of a route that makes a key (create, import): `make` reads the JSON body and makes the
// key on the pool; the answer is 201 with the key and its Location.
using MakeKey = std::function<Result<keys::KeyView>(const nlohmann::json& body, const auth::Principal& caller,
                                                    const identity::Actor& actor)>;
http::Handler key_making_handler(boost::asio::thread_pool& pool, MakeKey make);


}  // namespace nsl::app
