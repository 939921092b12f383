// nsl/services/identity/testing/tenant_fixture.hpp — (tests only) what a tenant service's contract
// suite stands on: a database from the suite's Traits, the sim enclave in-process, an audit log and
// the identity service on one fake clock, tenants made through the identity service, raw rows read
// past the service (what a dump would show), and error-code checks.
//
//   template <class Traits>
//   class MyContract : public nsl::identity::testing::TenantFixture {
//     void SetUp() override {
//       NSL_REQUIRE_AVAILABLE(Traits::unavailable_reason());
//       open(Traits::open());
//       ...                                   // the service under test
//     }
//   };
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "enclave/testing/sim_enclave.hpp"
#include "harness/harness.hpp"
#include "obs/metrics.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/service.hpp"
#include "store/db.hpp"

namespace nsl::identity::testing {

template <class T>
Status status_of(const Result<T>& r) {
  return r.ok() ? Status() : Status(r.error());
}

class TenantFixture : public ::testing::Test {
 protected:
  // The suite's database; the enclave, audit log and identity service on it.
  void open(std::unique_ptr<store::Database> db) {
    db_ = std::move(db);
    ASSERT_TRUE(db_);
    auto e = enclave::testing::open_sim_enclave(dir_.path());
    ASSERT_TRUE(e.ok()) << e.error();
    enclave_ = std::move(*e);
    audit_ = std::make_unique<audit::AuditLog>(*db_, audit::AuditLogOptions{.clock = &clock_});
    ids_ = std::make_unique<IdentityService>(*db_, audit_.get(), clock_);
  }
  // Derived fixtures reset their services first, then call this.
  void TearDown() override {
    if (audit_) audit_->stop();
  }

  store::TenantId tenant(const std::string& name) {
    auto t = ids_->create_tenant(name, {.subject = "operator"});
    EXPECT_TRUE(t.ok()) << t.error();
    return t.ok() ? t->tenant.id : store::TenantId::generate();
  }
  // Rows read straight from the tables in the tenant's transaction: $1 is the tenant, `extra` follow.
  store::Rows raw(const store::TenantId& t, const std::string& sql, const store::Params& extra = {}) {
    store::Params params{t};
    params.insert(params.end(), extra.begin(), extra.end());
    auto rows = db_->with_tenant(t, [&](store::Tx& tx) { return tx.query(sql, params); });
    EXPECT_TRUE(rows.ok()) << rows.error();
    return rows.ok() ? std::move(*rows) : store::Rows{};
  }
  // `st` failed with `code` (and its message names `mentions`, when given).
  static void expect_code(const Status& st, ErrorCode code, const std::string& what,
                          const std::string& mentions = "") {
    ASSERT_FALSE(st.ok()) << what;
    EXPECT_EQ(st.error().code(), code) << what << ": " << st.error().message();
    if (!mentions.empty()) {
      EXPECT_NE(st.error().message().find(mentions), std::string::npos)
          << what << ": " << st.error().message();
    }
  }

  ::nsl::testing::TempDir dir_;
  FakeClock clock_;
  obs::Registry registry_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<enclave::Enclave> enclave_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<IdentityService> ids_;
  Actor actor_{.subject = "apikey:ak_test", .request_id = "req-1"};
};

}  // namespace nsl::identity::testing
