// nsl/app/serve_routes_fixture.hpp — (tests only) every route `nsl serve` registers on the API
// port, built as serve.cpp builds them but on throw-away dependencies: an SQLite file and the sim
// enclave in-process. The spec test checks them against spec/openapi.yaml, the read-only test
// classifies them.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "app/access.hpp"
#include "app/access_routes.hpp"
#include "app/health.hpp"
#include "app/key_import_routes.hpp"
#include "app/key_routes.hpp"
#include "app/secret_routes.hpp"
#include "app/sign_routes.hpp"
#include "app/transit_routes.hpp"
#include "app/system_routes.hpp"
#include "app/user_routes.hpp"
#include "cache/local_cache.hpp"
#include "enclave/testing/sim_enclave.hpp"
#include "harness/harness.hpp"
#include "http/router.hpp"
#include "services/keys/idempotency.hpp"
#include "services/keys/service.hpp"
#include "services/secrets/service.hpp"
#include "services/transit/service.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::app {

// The routes `nsl serve` registers, on throw-away dependencies (SQLite file, sim enclave in-process).
struct ServeRoutes {
  nsl::testing::TempDir dir;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<enclave::Enclave> enclave;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<identity::IdentityService> ids;
  std::unique_ptr<auth::TokenService> tokens;
  std::unique_ptr<identity::UserService> users;
  cache::LocalCache shared, local;
  std::unique_ptr<keys::KeyService> keys;
  std::unique_ptr<keys::IdempotencyStore> idempotency;
  std::unique_ptr<keys::KeySigner> signer;
  std::unique_ptr<secrets::SecretsService> kv;
  std::unique_ptr<transit::TransitService> transit_service;
  std::unique_ptr<Authenticator> authn;
  boost::asio::thread_pool pool{1};
  Health health;
  SystemState state;
  http::Router router;

  ServeRoutes() {
    auto d = store::SqliteDatabase::open({.path = dir.path() + "/ro.db"});
    EXPECT_TRUE(d.ok() && (*d)->migrate().ok());
    db = std::move(*d);
    auto e = enclave::testing::open_sim_enclave(dir.path());
    EXPECT_TRUE(e.ok());
    enclave = std::move(*e);
    audit = std::make_unique<audit::AuditLog>(*db);
    ids = std::make_unique<identity::IdentityService>(*db, audit.get(), Clock::real());
    tokens = std::make_unique<auth::TokenService>(*db, *enclave, auth::TokenOptions{}, Clock::real());
    auto none = [](std::string_view, std::string*) -> Result<Verified> { return err::unauthenticated("x"); };
    authn = std::make_unique<Authenticator>(none, none, nullptr, Clock::real(), nullptr);
    EXPECT_TRUE(add_api_system_routes(router, health, state).ok());
    EXPECT_TRUE(add_access_routes(router, {.identity = *ids,
                                           .tokens = *tokens,
                                           .audit = *audit,
                                           .cache = shared,
                                           .local_cache = local,
                                           .authn = *authn,
                                           .pool = pool})
                    .ok());
    users = std::make_unique<identity::UserService>(*db, audit.get(), Clock::real(), *enclave);
    EXPECT_TRUE(add_user_routes(router, {.users = *users, .tokens = *tokens, .audit = *audit, .pool = pool}).ok());
    keys = std::make_unique<keys::KeyService>(*db, *enclave, audit.get(), shared, Clock::real());
    EXPECT_TRUE(add_key_routes(router, {.keys = *keys, .pool = pool}).ok());
    EXPECT_TRUE(add_key_import_routes(router, {.keys = *keys, .pool = pool}).ok());
    idempotency = std::make_unique<keys::IdempotencyStore>(*db, Clock::real());
    signer = std::make_unique<keys::KeySigner>(*keys, *enclave, audit.get(), shared, *idempotency, Clock::real());
    EXPECT_TRUE(add_sign_routes(router, {.signer = *signer, .pool = pool}).ok());
    kv = std::make_unique<secrets::SecretsService>(*db, *enclave, audit.get(), Clock::real());
    EXPECT_TRUE(add_secret_routes(router, {.secrets = *kv, .pool = pool}).ok());
    transit_service = std::make_unique<transit::TransitService>(*db, *enclave, audit.get(), Clock::real());
    EXPECT_TRUE(add_transit_routes(router, {.transit = *transit_service, .pool = pool}).ok());
  }
  ~ServeRoutes() {
    pool.join();
    audit->stop();
  }
};

}  // namespace nsl::app
