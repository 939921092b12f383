// Keeps spec/openapi.yaml true to the code: every registered route and method appears in the spec,
// and every error code the HTTP layer can emit is in the Problem schema's enum.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "app/health.hpp"
#include "app/serve_routes_fixture.hpp"
#include "app/system_routes.hpp"
#include "auth/rbac.hpp"
#include "core/error.hpp"
#include "harness/harness.hpp"
#include "http/router.hpp"
#include "obs/metrics.hpp"

namespace nsl::app {
namespace {

std::string read_spec() {
  std::ifstream f(nsl::testing::source_dir() + "/spec/openapi.yaml");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The block of the spec under "  <path>:" up to the next path at the same indentation. A router
// pattern's rest segment `{name*}` is the spec's `{name}`.
std::string path_block(const std::string& spec, std::string path) {
  for (auto star = path.find("*}"); star != std::string::npos; star = path.find("*}")) path.erase(star, 1);
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


// Every route nsl serve registers on the API port (serve_routes_fixture.hpp) is documented with its
// permission, or as public.
TEST(OpenApiSpec, ApiRoutesAreDocumentedWithTheirPermission) {
  const std::string spec = read_spec();
  ServeRoutes f;
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
