// nsl/app/secret_routes.hpp — HTTP routes of the versioned secrets store (the shapes are in
// spec/openapi.yaml, the rules in secrets::SecretsService, the user's guide in docs/secrets.md).
//
//   PUT    /v1/secrets/{path*}            secrets:write  {data: {…}, options?: {cas}} → version
//   GET    /v1/secrets/{path*}            secrets:read   ?version=N → {data, metadata}
//   DELETE /v1/secrets/{path*}            secrets:write  ?versions=1,2 (default: current) → 204
//   GET    /v1/secrets                    secrets:list   ?prefix&limit&cursor → {items, next_cursor}
//   GET    /v1/secret-metadata/{path*}    secrets:list
//   PATCH  /v1/secret-metadata/{path*}    secrets:write  members absent stay as they are
//   DELETE /v1/secret-metadata/{path*}    secrets:admin  the path, its metadata and every version → 204
//   POST   /v1/secret-undelete/{path*}    secrets:write  {versions: [...]} → 204
//   POST   /v1/secret-destroy/{path*}     secrets:admin  {versions: [...]} → 204
//   POST   /v1/secret-data-key/rotate     secrets:admin  → {version}
//   POST   /v1/secret-data-key/rewrap     secrets:admin  {limit?} → {rewrapped, to_version, more}
//
// Version operations and metadata live under their own prefixes because a secret path may itself
// end in any word ("app/metadata" is a valid path); a path never contains ':' or '?'.
// The value in a GET answer is the stored JSON object as written; that answer is marked sensitive
// (wiped after it is written, never cached) and the PUT request body is wiped once parsed.
// Bodies are strict (unknown members refused with 400 naming the member). Rate class "general".
// A read-only secondary (server.read_only) serves the listing and metadata but not values: every
// value read appends an audit record.
//
//   NSL_TRY(add_secret_routes(router, {.secrets = kv, .pool = pool}));
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "http/router.hpp"
#include "services/secrets/service.hpp"

namespace nsl::app {

struct SecretRoutesDeps {
  secrets::SecretsService& secrets;
  boost::asio::thread_pool& pool;
};

Status add_secret_routes(http::Router& router, SecretRoutesDeps deps);

}  // namespace nsl::app
