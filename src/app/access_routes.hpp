// nsl/app/access_routes.hpp — HTTP routes of tenants, API keys, role bindings, tokens and the audit
// log (the shapes are in spec/openapi.yaml; the rules live in the services).
//
//   public:  GET /.well-known/jwks.json, GET /.well-known/openid-configuration,
//            POST /v1/auth/token (OAuth 2.0 client credentials; the API key is the client secret),
//            POST /v1/auth/revoke (RFC 7009; holding the token is the authority to revoke it)
//   bearer:  POST /v1/auth/introspect (tenants:read), GET /v1/tenants/{id} (tenants:read),
//            GET|POST /v1/apikeys, GET|DELETE /v1/apikeys/{id} (apikeys:read / apikeys:write),
//            GET|POST /v1/role-bindings, DELETE /v1/role-bindings/{id} (roles:read / roles:write),
//            GET /v1/audit (audit:read)
// API key and role-binding routes are key management: rate class "keys" (100/min by default).
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "app/access.hpp"
#include "auth/token_service.hpp"
#include "cache/cache.hpp"
#include "http/router.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/service.hpp"

namespace nsl::app {

struct AccessRoutesDeps {
  identity::IdentityService& identity;
  auth::TokenService& tokens;
  audit::AuditLog& audit;
  cache::Cache& cache;        // revocation list, shared by the replicas
  cache::Cache& local_cache;  // this replica's copy, used while the shared one is unreachable
  Authenticator& authn;
  boost::asio::thread_pool& pool;
};

Status add_access_routes(http::Router& router, AccessRoutesDeps deps);

// The revocation-list check the Authenticator runs for access tokens (cache key "revoked:<jti>"):
// the shared cache, or this replica's local copy while the shared one is unreachable.
Authenticator::RevokedFn revocation_check(cache::Cache& shared, cache::Cache& local);

}  // namespace nsl::app
