// Tamper tests of the audit contract: an attacker with the owner's database access edits rows
// directly; verify_tenant() must report each kind of change. Instantiated beside AuditContractTest
// (same traits, same fixture).
#pragma once

#include "services/audit/audit_contract.hpp"

namespace nsl::audit::contract {

template <class Traits>
class AuditTamperTest : public AuditContractTest<Traits> {};

TYPED_TEST_SUITE_P(AuditTamperTest);

TYPED_TEST_P(AuditTamperTest, TamperAlteredFieldIsFound) {
  {
    AuditLog log(this->db());
    this->fill(log, this->a_, 12);
  }
  this->tamper(this->a_,
               "UPDATE audit_records SET action = 'keys.export' WHERE tenant_id = $1 AND seq = 7",
               {this->a_});
  const auto report = this->verify(this->a_);
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(TestFixture::has(report, FindingKind::altered, 7)) << TestFixture::kinds(report);
  EXPECT_EQ(report.findings.size(), 1u) << TestFixture::kinds(report);
}

TYPED_TEST_P(AuditTamperTest, TamperRemovedMiddleRecordIsFound) {
  {
    AuditLog log(this->db());
    this->fill(log, this->a_, 12);
  }
  this->tamper(this->a_, "DELETE FROM audit_records WHERE tenant_id = $1 AND seq = 5", {this->a_});
  const auto report = this->verify(this->a_);
  EXPECT_TRUE(TestFixture::has(report, FindingKind::removed, 5)) << TestFixture::kinds(report);
  EXPECT_EQ(report.findings.size(), 1u) << TestFixture::kinds(report);
}

TYPED_TEST_P(AuditTamperTest, TamperTruncatedTailIsFound) {
  {
    AuditLog log(this->db());
    this->fill(log, this->a_, 12);
  }
  this->tamper(this->a_, "DELETE FROM audit_records WHERE tenant_id = $1 AND seq > 9", {this->a_});
  const auto report = this->verify(this->a_);
  EXPECT_EQ(report.last_seq, 9u);
  EXPECT_EQ(report.head_seq, 12u);
  EXPECT_TRUE(TestFixture::has(report, FindingKind::removed, 10)) << TestFixture::kinds(report);
}

TYPED_TEST_P(AuditTamperTest, TamperInsertedRecordIsFound) {
  {
    AuditLog log(this->db());
    this->fill(log, this->a_, 12);
  }
  // Make room at seq 5 (in two steps: the primary key is checked row by row), then forge a
  // record that hashes correctly and links to seq 4.
  this->tamper(this->a_,
               "UPDATE audit_records SET seq = seq + 1000000 WHERE tenant_id = $1 AND seq >= 5",
               {this->a_});
  this->tamper(this->a_,
               "UPDATE audit_records SET seq = seq - 999999 WHERE tenant_id = $1 AND seq > 1000000",
               {this->a_});
  AuditLog reader(this->db());
  auto page = reader.list(this->a_, {}, std::nullopt, 500);
  ASSERT_TRUE(page.ok());
  std::string h4;
  for (const auto& r : page->records) {
    if (r.seq == 4) h4 = r.hash;
  }
  AuditRecord forged{.event = TestFixture::event(this->a_, 99, "keys.export"),
                     .seq = 5,
                     .ts_ms = 1,
                     .prev_hash = h4};
  forged.hash = *record_hash(forged);
  this->tamper(
      this->a_,
      "INSERT INTO audit_records (tenant_id, seq, ts, actor, action, resource, request_id, "
      "result, detail, prev_hash, hash) VALUES ($1, 5, 1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {this->a_, forged.event.actor, forged.event.action, forged.event.resource,
       forged.event.request_id, forged.event.result, forged.event.detail.dump(), h4, forged.hash});
  const auto report = this->verify(this->a_);
  EXPECT_TRUE(TestFixture::has(report, FindingKind::inserted, 5)) << TestFixture::kinds(report);
  EXPECT_EQ(report.findings.size(), 1u) << TestFixture::kinds(report);
}

TYPED_TEST_P(AuditTamperTest, TamperSwappedRecordsAreFound) {
  {
    AuditLog log(this->db());
    this->fill(log, this->a_, 12);
  }
  this->tamper(this->a_, "UPDATE audit_records SET seq = 1000 WHERE tenant_id = $1 AND seq = 6",
               {this->a_});
  this->tamper(this->a_, "UPDATE audit_records SET seq = 6 WHERE tenant_id = $1 AND seq = 7",
               {this->a_});
  this->tamper(this->a_, "UPDATE audit_records SET seq = 7 WHERE tenant_id = $1 AND seq = 1000",
               {this->a_});
  const auto report = this->verify(this->a_);
  EXPECT_TRUE(TestFixture::has(report, FindingKind::reordered, 6)) << TestFixture::kinds(report);
  EXPECT_EQ(report.findings.size(), 1u) << TestFixture::kinds(report);
}

TYPED_TEST_P(AuditTamperTest, TamperCheckpointSignatureIsFound) {
  {
    AuditLog log(this->db(), {.signer = this->key_.get()});
    this->fill(log, this->a_, 5);
    ASSERT_TRUE(log.checkpoint(this->a_).ok());
  }
  ASSERT_TRUE(this->verify(this->a_).ok());
  this->tamper(this->a_,
               "UPDATE audit_checkpoints SET signature = $2 WHERE tenant_id = $1 AND seq = 5",
               {this->a_, std::string(128, 'a')});
  auto report = this->verify(this->a_);
  EXPECT_TRUE(TestFixture::has(report, FindingKind::bad_checkpoint, 5))
      << TestFixture::kinds(report);
  // An unknown key is as bad as a bad signature.
  Ed25519CheckpointVerifier stranger;
  auto other = verify_tenant(this->db(), this->a_, &stranger);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(TestFixture::has(*other, FindingKind::bad_checkpoint, 5));
  // A checkpoint that names another hash (the chain was rewritten after signing).
  this->tamper(this->a_, "UPDATE audit_checkpoints SET hash = $2 WHERE tenant_id = $1 AND seq = 5",
               {this->a_, kZeroHash});
  report = this->verify(this->a_);
  EXPECT_GE(report.findings.size(), 2u) << TestFixture::kinds(report);
}

REGISTER_TYPED_TEST_SUITE_P(AuditTamperTest, TamperAlteredFieldIsFound,
                            TamperRemovedMiddleRecordIsFound, TamperTruncatedTailIsFound,
                            TamperInsertedRecordIsFound, TamperSwappedRecordsAreFound,
                            TamperCheckpointSignatureIsFound);

}  // namespace nsl::audit::contract
