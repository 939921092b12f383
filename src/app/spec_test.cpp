// Keeps spec/openapi.yaml true to the code: every registered route and method appears in the spec,
// and every error code the HTTP layer can emit is in the Problem schema's enum.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "app/access_routes.hpp"
#include "app/health.hpp"
#include "app/key_import_routes.hpp"
#include "app/key_routes.hpp"
#include "app/sign_routes.hpp"
#include "app/system_routes.hpp"
#include "app/user_routes.hpp"
#include "auth/rbac.hpp"
#include "cache/local_cache.hpp"
#include "core/error.hpp"
#include "enclave/testing/sim_enclave.hpp"
#include "harness/harness.hpp"
#include "http/router.hpp"
#include "obs/metrics.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::app {
namespace {

std::string read_spec() {
  std::ifstream f(nsl::testing::source_dir() + "/spec/openapi.yaml");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The block of the spec under "  <path>:" up to the next path at the same indentation.
std::string path_block(const std::string& spec, const std::string& path) {
  std::string key = "\n  " + path + ":\n";
  std::size_t at = spec.find(key);
  if (at == std::string::npos) return {};
  std::size_t end = spec.find("\n  /", at + key.size());
  std::size_t comps = spec.find("\ncomponents:", at);
  if (end == std::string::npos || (comps != std::string::npos && comps < end)) end = comps;
  return spec.substr(at, end - at);
}

std::string lower(std::string_view m) {
  std::string s(m);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(OpenApiSpec, EveryRouteIsDocumented) {
  std::string spec = read_spec();
  ASSERT_FALSE(spec.empty()) << "spec/openapi.yaml not found (NSL_SOURCE_DIR)";
  Health health;
  SystemState state;
  obs::Registry reg;
  http::Router api, metrics;
  ASSERT_TRUE(add_api_system_routes(api, health, state).ok());
  ASSERT_TRUE(add_metrics_routes(metrics, reg, state).ok());
  for (const http::Router* r : {&api, &metrics}) {
    for (const auto& route : r->routes()) {
      std::string block = path_block(spec, route.pattern);
      ASSERT_FALSE(block.empty()) << route.pattern << " missing from spec/openapi.yaml";
      std::string m = "\n    " + lower(http::method_name(route.method)) + ":";
      EXPECT_NE(block.find(m), std::string::npos)
          << route.pattern << " " << http::method_name(route.method);
      if (route.is_public) {
        EXPECT_NE(block.find("security: ["), std::string::npos)
            << route.pattern << " is public: say so";
      }
    }
  }
}

// The access, user and key routes (tokens, API keys, bindings, audit, users, tenant keys) as nsl
// serve registers them, on throw-away dependencies: an SQLite file and the sim enclave in-process.
struct AccessFixture {
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
  std::unique_ptr<Authenticator> authn;
  boost::asio::thread_pool pool{1};
  http::Router router;

  AccessFixture() {
    auto d = store::SqliteDatabase::open({.path = dir.path() + "/spec.db"});
    EXPECT_TRUE(d.ok() && (*d)->migrate().ok());
    db = std::move(*d);
    auto e = enclave::testing::open_sim_enclave(dir.path());
    EXPECT_TRUE(e.ok());
    enclave = std::move(*e);
    audit = std::make_unique<audit::AuditLog>(*db);
    ids = std::make_unique<identity::IdentityService>(*db, audit.get(), Clock::real());
    tokens =
        std::make_unique<auth::TokenService>(*db, *enclave, auth::TokenOptions{}, Clock::real());
    auto none = [](std::string_view, std::string*) -> Result<Verified> {
      return err::unauthenticated("x");
    };
    authn = std::make_unique<Authenticator>(none, none, nullptr, Clock::real(), nullptr);
    EXPECT_TRUE(add_access_routes(router, {.identity = *ids,
                                           .tokens = *tokens,
                                           .audit = *audit,
                                           .cache = shared,
                                           .local_cache = local,
                                           .authn = *authn,
                                           .pool = pool})
                    .ok());
    users = std::make_unique<identity::UserService>(*db, audit.get(), Clock::real(), *enclave);
    EXPECT_TRUE(
        add_user_routes(router, {.users = *users, .tokens = *tokens, .audit = *audit, .pool = pool})
            .ok());
    keys = std::make_unique<keys::KeyService>(*db, *enclave, audit.get(), shared, Clock::real());
    EXPECT_TRUE(add_key_routes(router, {.keys = *keys, .pool = pool}).ok());
    EXPECT_TRUE(add_key_import_routes(router, {.keys = *keys, .pool = pool}).ok());
    idempotency = std::make_unique<keys::IdempotencyStore>(*db, Clock::real());
    signer = std::make_unique<keys::KeySigner>(*keys, *enclave, audit.get(), shared, *idempotency, Clock::real());
    EXPECT_TRUE(add_sign_routes(router, {.signer = *signer, .pool = pool}).ok());
  }
  ~AccessFixture() {
    pool.join();
    audit->stop();
  }
};

TEST(OpenApiSpec, AccessRoutesAreDocumentedWithTheirPermission) {
  const std::string spec = read_spec();
  AccessFixture f;
  ASSERT_GE(f.router.routes().size(), 14u);
  for (const auto& route : f.router.routes()) {
    const std::string block = path_block(spec, route.pattern);
    ASSERT_FALSE(block.empty()) << route.pattern << " missing from spec/openapi.yaml";
    const std::string m = "\n    " + lower(http::method_name(route.method)) + ":";
    const auto at = block.find(m);
    ASSERT_NE(at, std::string::npos) << route.pattern << " " << http::method_name(route.method);
    // The operation's own lines: up to the next operation of this path.
    std::string op = block.substr(at);
    for (const char* other :
         {"\n    get:", "\n    post:", "\n    put:", "\n    patch:", "\n    delete:"}) {
      const auto o = block.find(other, at + m.size());
      if (o != std::string::npos) op = op.substr(0, std::min(op.size(), o - at));
    }
    if (route.is_public) {
      EXPECT_NE(op.find("security: []"), std::string::npos)
          << route.pattern << " is public: say so";
      continue;
    }
    // Deny by default: a route's permission is one RBAC knows (else nobody could ever call it), and
    // the spec names the same one.
    EXPECT_TRUE(auth::is_known_permission(route.permission))
        << route.pattern << " " << route.permission;
    EXPECT_NE(op.find("x-nsl-permission: " + route.permission + "\n"), std::string::npos)
        << route.pattern << " " << http::method_name(route.method)
        << " must document x-nsl-permission: " << route.permission;
  }
}

TEST(OpenApiSpec, ProblemCodesMatchErrorCodes) {
  std::string spec = read_spec();
  for (int i = 0; i <= static_cast<int>(ErrorCode::deadline_exceeded); ++i) {
    std::string name(error_code_name(static_cast<ErrorCode>(i)));
    EXPECT_NE(spec.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace nsl::app

#include "config/config.hpp"

namespace nsl::app {
namespace {

TEST(Docs, EveryConfigKeyIsDocumented) {
  std::ifstream f(nsl::testing::source_dir() + "/docs/configuration.md");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string doc = ss.str();
  ASSERT_FALSE(doc.empty());
  for (const auto& k : config::keys()) {
    EXPECT_NE(doc.find("| `" + std::string(k.key) + "` |"), std::string::npos)
        << k.key << " not in docs/configuration.md";
    EXPECT_NE(doc.find(k.env_name()), std::string::npos) << k.env_name();
  }
}

}  // namespace
}  // namespace nsl::app
