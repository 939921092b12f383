// nsl/app/sign_routes.hpp — HTTP routes of signing with a tenant's key (shapes in spec/openapi.yaml,
// rules in keys::KeySigner, signing/policy.hpp for policies).
//
//   POST /v1/keys/{id}/sign              keys:sign   (format raw_digest also needs keys:sign_raw)
//   POST /v1/keys/{id}/sign-transaction  keys:sign   Idempotency-Key honoured
//   POST /v1/keys/{id}/verify            keys:read
// Rate class "sign" (rate_limit.sign_per_minute).
//
//   NSL_TRY(add_sign_routes(router, {.signer = signer, .pool = pool}));
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "http/router.hpp"
#include "services/keys/signing.hpp"

namespace nsl::app {

struct SignRoutesDeps {
  keys::KeySigner& signer;
  boost::asio::thread_pool& pool;
};

Status add_sign_routes(http::Router& router, SignRoutesDeps deps);

}  // namespace nsl::app
