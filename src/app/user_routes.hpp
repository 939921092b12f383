// nsl/app/user_routes.hpp — HTTP routes of users: login, refresh, user management and TOTP
// enrolment (the shapes are in spec/openapi.yaml; the rules live in identity::UserService).
//
//   public:  POST /v1/auth/login   {tenant, email, password, totp?} → access + refresh token
//            POST /v1/auth/refresh {refresh_token} (form or JSON; grant_type=refresh_token allowed)
//            Errors are problem+json with the OAuth members `error`/`error_description`:
//            invalid_grant (401) for bad credentials or a bad, spent or revoked refresh token.
//   bearer:  GET|POST /v1/users, GET|DELETE /v1/users/{id} (users:read / users:write),
//            POST /v1/users/{id}/totp, POST /v1/users/{id}/totp/confirm (users:write)
// The public routes get the per-address limit the access middleware applies to /v1/auth/*.
//
//   NSL_TRY(add_user_routes(router, {.users = us, .tokens = ts, .audit = al, .pool = pool}));
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "auth/token_service.hpp"
#include "http/router.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/users.hpp"

namespace nsl::app {

struct UserRoutesDeps {
  identity::UserService& users;
  auth::TokenService& tokens;
  audit::AuditLog& audit;
  boost::asio::thread_pool& pool;
};

Status add_user_routes(http::Router& router, UserRoutesDeps deps);

}  // namespace nsl::app
