// The audit checkpoint signer of `nsl serve` on the embedded default (SQLite): checkpoints are
// signed inside a tenant transaction, so the signer must never touch the store from sign().
#include "app/audit_keys.hpp"

#include <gtest/gtest.h>

#include "enclave/testing/sim_enclave.hpp"
#include "harness/harness.hpp"
#include "services/audit/audit_log.hpp"
#include "services/audit/verify.hpp"
#include "services/identity/service.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::app {
namespace {

TEST(LazyAuditSigner, ACheckpointBeforeTheKeyIsOpenWaitsInsteadOfLockingTheStore) {
  nsl::testing::TempDir dir;
  auto db = store::SqliteDatabase::open({.path = dir.path() + "/a.db"});
  ASSERT_TRUE(db.ok()) << db.error();
  ASSERT_TRUE((*db)->migrate().ok());
  auto e = enclave::testing::open_sim_enclave(dir.path());
  ASSERT_TRUE(e.ok()) << e.error();
  LazyAuditSigner signer(**db, **e);
  audit::AuditLog log(**db, {.signer = &signer});
  identity::IdentityService ids(**db, &log, Clock::real());
  auto t = ids.create_tenant("acme", {.subject = "operator"});
  ASSERT_TRUE(t.ok()) << t.error();

  // Not open: the checkpoint is refused at once (opening here would wait for the SQLite
  // connection this very transaction holds, forever).
  Status early = log.checkpoint(t->tenant.id);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code(), ErrorCode::unavailable);

  ASSERT_TRUE(signer.open().ok());
  ASSERT_TRUE(signer.open().ok());  // idempotent
  Status later = log.checkpoint(t->tenant.id);
  ASSERT_TRUE(later.ok()) << later.error();
  log.stop();
  auto verifier = stored_audit_verifier(**db);
  ASSERT_TRUE(verifier.ok()) << verifier.error();
  auto report = audit::verify_tenant(**db, t->tenant.id, verifier->get());
  ASSERT_TRUE(report.ok()) << report.error();
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->checkpoints_checked, 1u);
}

}  // namespace
}  // namespace nsl::app
