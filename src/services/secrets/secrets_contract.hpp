// The secrets (versioned key/value) contract suite, instantiated for SQLite (secrets_test.cpp)
// and PostgreSQL with the non-owner service role under row-level security (secrets_pgtest.cpp).
//
// Traits: static std::string unavailable_reason();
//         static std::unique_ptr<store::Database> open();   // a fresh, migrated database
//         static std::unique_ptr<store::Database> reopen(); // a second handle on the database the
//                                                           // last open() made (another replica)
//
// Values are compared through SecretBytes::equals (this suite never reads a secret's bytes).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/secret_bytes.hpp"
#include "core/strings.hpp"
#include "enclave/testing/sim_enclave.hpp"
#include "harness/harness.hpp"
#include "obs/metrics.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/service.hpp"
#include "services/identity/testing/tenant_fixture.hpp"
#include "services/secrets/service.hpp"

namespace nsl::secrets::contract {

using nlohmann::json;

inline SecretBytes bytes_of(const json& j) {
  const std::string s = j.dump();
  return SecretBytes::copy_of(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

using identity::testing::status_of;

template <class Traits>
class SecretsContract : public identity::testing::TenantFixture {
 protected:
  void SetUp() override {
    NSL_REQUIRE_AVAILABLE(Traits::unavailable_reason());
    open(Traits::open());
    if (HasFatalFailure()) return;
    kv_ = service(*db_);
  }
  void TearDown() override {
    kv_.reset();
    TenantFixture::TearDown();
  }

  std::unique_ptr<SecretsService> service(store::Database& db) {
    return std::make_unique<SecretsService>(db, *enclave_, audit_.get(), clock_, SecretsOptions{},
                                            &registry_);
  }
  VersionMeta put(const store::TenantId& t, const std::string& path, const json& data,
                  std::optional<std::uint32_t> cas = std::nullopt) {
    auto r = kv_->write(t, path, data, {.cas = cas}, actor_);
    EXPECT_TRUE(r.ok()) << path << ": " << r.error();
    return r.ok() ? *r : VersionMeta{};
  }
  // True when `path` (version) reads back as exactly `expected`.
  ::testing::AssertionResult reads_as(const store::TenantId& t, const std::string& path,
                                      std::optional<std::uint32_t> version, const json& expected) {
    auto r = kv_->read(t, path, version, actor_);
    if (!r.ok()) return ::testing::AssertionFailure() << path << ": " << r.error();
    if (!r->data.equals(bytes_of(expected)))
      return ::testing::AssertionFailure() << path << ": another value";
    return ::testing::AssertionSuccess();
  }
  std::set<std::string> audit_actions(const store::TenantId& t) {
    auto page = audit_->list(t, {}, std::nullopt, 500);
    EXPECT_TRUE(page.ok()) << page.error();
    std::set<std::string> out;
    if (page.ok()) {
      for (const auto& r : page->records) out.insert(r.event.action);
    }
    return out;
  }
  std::optional<std::string> ciphertext(const store::TenantId& t, const std::string& path,
                                        std::uint32_t version) {
    auto rows = raw(t,
                    "SELECT ciphertext FROM secret_versions WHERE tenant_id = $1 AND path = $2 AND "
                    "version = $3",
                    {path, static_cast<std::int64_t>(version)});
    if (rows.size() != 1) return std::nullopt;
    return rows[0][0];
  }
  void set_ciphertext(const store::TenantId& t, const std::string& path, std::uint32_t version,
                      const std::string& hex) {
    auto n = db_->with_tenant(t, [&](store::Tx& tx) {
      return tx.exec(
          "UPDATE secret_versions SET ciphertext = $4 WHERE tenant_id = $1 AND path = $2 AND "
          "version = $3",
          {t, path, static_cast<std::int64_t>(version), hex});
    });
    ASSERT_TRUE(n.ok()) << n.error();
    EXPECT_EQ(*n, 1);
  }
  std::unique_ptr<SecretsService> kv_;
};

TYPED_TEST_SUITE_P(SecretsContract);

TYPED_TEST_P(SecretsContract, PathRules) {
  for (const char* ok : {"a", "app/db", "A-b_c.d/e", "x/y/z/0"}) {
    EXPECT_TRUE(validate_path(ok).ok()) << ok;
  }
  EXPECT_TRUE(validate_path(std::string(128, 'a') + "/" + std::string(128, 'b')).ok());
  for (const std::string& bad :
       {std::string(), std::string("/a"), std::string("a/"), std::string("a//b"),
        std::string("a/./b"), std::string(".."), std::string("a b"), std::string("a/é"),
        std::string(129, 'a'), std::string(513, 'a')}) {
    auto st = validate_path(bad);
    EXPECT_FALSE(st.ok()) << bad;
    if (!st.ok()) {
      EXPECT_EQ(st.error().code(), ErrorCode::invalid_argument);
    }
  }
  std::string long_path;
  while (long_path.size() < 520) long_path += "abcdefgh/";
  long_path += "x";
  EXPECT_FALSE(validate_path(long_path).ok());
  const auto t = this->tenant("acme");
  this->expect_code(status_of(this->kv_->write(t, "a//b", json::object(), {}, this->actor_)),
                    ErrorCode::invalid_argument, "write bad path");
  this->expect_code(status_of(this->kv_->write(t, "a", json::array({1}), {}, this->actor_)),
                    ErrorCode::invalid_argument, "array value");
  this->expect_code(status_of(this->kv_->write(t, "a", json("text"), {}, this->actor_)),
                    ErrorCode::invalid_argument, "string value");
  json big = json::object();
  big["blob"] = std::string(512 * 1024, 'x');
  this->expect_code(status_of(this->kv_->write(t, "a", big, {}, this->actor_)),
                    ErrorCode::invalid_argument, "too large");
  this->expect_code(status_of(this->kv_->read(t, "../x", std::nullopt, this->actor_)),
                    ErrorCode::invalid_argument, "read bad path");
}

TYPED_TEST_P(SecretsContract, WriteThenReadLatestAndByVersion) {
  const auto t = this->tenant("acme");
  const json v1 = {{"password", "hunter2"}, {"user", "app"}};
  const json v2 = {{"password", "correct horse"}, {"nested", {{"n", 1}, {"list", {1, 2}}}}};
  VersionMeta m1 = this->put(t, "app/db", v1);
  EXPECT_EQ(m1.version, 1u);
  EXPECT_GT(m1.created_time, 0);
  EXPECT_FALSE(m1.deletion_time.has_value());
  EXPECT_FALSE(m1.destroyed);
  this->clock_.advance(std::chrono::seconds(1));
  VersionMeta m2 = this->put(t, "app/db", v2);
  EXPECT_EQ(m2.version, 2u);
  EXPECT_EQ(m2.created_time, m1.created_time + 1000);
  EXPECT_TRUE(this->reads_as(t, "app/db", std::nullopt, v2));
  EXPECT_TRUE(this->reads_as(t, "app/db", 0u, v2));
  EXPECT_TRUE(this->reads_as(t, "app/db", 1u, v1));
  EXPECT_TRUE(this->reads_as(t, "app/db", 2u, v2));
  auto r = this->kv_->read(t, "app/db", 1u, this->actor_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->metadata.version, 1u);
  EXPECT_EQ(r->metadata.created_time, m1.created_time);
  // An empty object is a value too.
  this->put(t, "empty", json::object());
  EXPECT_TRUE(this->reads_as(t, "empty", std::nullopt, json::object()));

  auto absent = this->kv_->read(t, "app/none", std::nullopt, this->actor_);
  this->expect_code(status_of(absent), ErrorCode::not_found, "absent path");
  auto v9 = this->kv_->read(t, "app/db", 9u, this->actor_);
  this->expect_code(status_of(v9), ErrorCode::not_found, "absent version");
  EXPECT_NE(v9.error().message().find("version 9"), std::string::npos) << v9.error().message();

  const auto actions = this->audit_actions(t);
  EXPECT_TRUE(actions.count("secrets.write"));
  EXPECT_TRUE(actions.count("secrets.read"));
}

TYPED_TEST_P(SecretsContract, CheckAndSet) {
  const auto t = this->tenant("acme");
  EXPECT_EQ(this->put(t, "p", {{"v", 1}}, 0u).version, 1u);  // cas 0: only while no version
  auto again = this->kv_->write(t, "p", {{"v", 2}}, {.cas = 0u}, this->actor_);
  this->expect_code(status_of(again), ErrorCode::conflict, "cas 0 on an existing path");
  EXPECT_NE(again.error().message().find("current version is 1"), std::string::npos)
      << again.error().message();
  EXPECT_EQ(this->put(t, "p", {{"v", 2}}, 1u).version, 2u);
  auto stale = this->kv_->write(t, "p", {{"v", 3}}, {.cas = 1u}, this->actor_);
  this->expect_code(status_of(stale), ErrorCode::conflict, "stale cas");
  EXPECT_NE(stale.error().message().find("current version is 2"), std::string::npos);
  auto ahead = this->kv_->write(t, "p", {{"v", 3}}, {.cas = 7u}, this->actor_);
  this->expect_code(status_of(ahead), ErrorCode::conflict, "cas ahead");
  auto none = this->kv_->write(t, "fresh", {{"v", 1}}, {.cas = 1u}, this->actor_);
  this->expect_code(status_of(none), ErrorCode::conflict, "cas 1 on a new path");
  // Failed writes consumed no version and left no row behind.
  EXPECT_EQ(this->put(t, "p", {{"v", 3}}, 2u).version, 3u);
  this->expect_code(status_of(this->kv_->metadata(t, "fresh")), ErrorCode::not_found,
                    "failed first write leaves no metadata");

  // cas_required: a write without cas is refused.
  auto m = this->kv_->set_metadata(t, "p", {.cas_required = true}, this->actor_);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_TRUE(m->cas_required);
  this->expect_code(status_of(this->kv_->write(t, "p", {{"v", 4}}, {}, this->actor_)),
                    ErrorCode::failed_precondition, "cas required");
  EXPECT_EQ(this->put(t, "p", {{"v", 4}}, 3u).version, 4u);
  EXPECT_TRUE(this->reads_as(t, "p", std::nullopt, {{"v", 4}}));
}

TYPED_TEST_P(SecretsContract, MaxVersionsTrimsTheOldest) {
  const auto t = this->tenant("acme");
  for (int i = 1; i <= 12; ++i) this->put(t, "d", {{"i", i}});  // default 10
  auto m = this->kv_->metadata(t, "d");
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->current_version, 12u);
  EXPECT_EQ(m->max_versions, 0);
  EXPECT_EQ(m->effective_max_versions, 10);
  ASSERT_EQ(m->versions.size(), 10u);
  EXPECT_EQ(m->oldest_version, 3u);
  EXPECT_EQ(m->versions.front().version, 3u);
  EXPECT_EQ(m->versions.back().version, 12u);
  this->expect_code(status_of(this->kv_->read(t, "d", 2u, this->actor_)), ErrorCode::not_found,
                    "trimmed");
  EXPECT_TRUE(this->reads_as(t, "d", 3u, {{"i", 3}}));

  // Lowering the limit trims at once; later writes keep it.
  m = this->kv_->set_metadata(t, "d", {.max_versions = 3}, this->actor_);
  ASSERT_TRUE(m.ok()) << m.error();
  ASSERT_EQ(m->versions.size(), 3u);
  EXPECT_EQ(m->oldest_version, 10u);
  this->put(t, "d", {{"i", 13}});
  m = this->kv_->metadata(t, "d");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->versions.size(), 3u);
  EXPECT_EQ(m->oldest_version, 11u);
  EXPECT_EQ(m->current_version, 13u);

  this->expect_code(
      status_of(this->kv_->set_metadata(t, "d", {.max_versions = 1001}, this->actor_)),
      ErrorCode::invalid_argument, "max_versions 1001");
  this->expect_code(status_of(this->kv_->set_metadata(t, "d", {.max_versions = -1}, this->actor_)),
                    ErrorCode::invalid_argument, "max_versions -1");
  EXPECT_TRUE(this->kv_->set_metadata(t, "d", {.max_versions = 1000}, this->actor_).ok());
}

TYPED_TEST_P(SecretsContract, SoftDeleteUndeleteAndDestroy) {
  const auto t = this->tenant("acme");
  for (int i = 1; i <= 3; ++i) this->put(t, "s", {{"i", i}});
  // Empty list: the latest version.
  ASSERT_TRUE(this->kv_->delete_versions(t, "s", {}, this->actor_).ok());
  auto latest = this->kv_->read(t, "s", std::nullopt, this->actor_);
  this->expect_code(status_of(latest), ErrorCode::not_found, "deleted latest");
  EXPECT_NE(latest.error().message().find("deleted"), std::string::npos);
  EXPECT_TRUE(this->reads_as(t, "s", 2u, {{"i", 2}}));
  auto m = this->kv_->metadata(t, "s");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->versions.size(), 3u);
  EXPECT_TRUE(m->versions[2].deletion_time.has_value());
  EXPECT_EQ(m->oldest_live_version.value_or(0), 1u);

  ASSERT_TRUE(this->kv_->undelete(t, "s", {3}, this->actor_).ok());
  EXPECT_TRUE(this->reads_as(t, "s", std::nullopt, {{"i", 3}}));

  ASSERT_TRUE(this->kv_->destroy(t, "s", {1, 2}, this->actor_).ok());
  auto gone = this->kv_->read(t, "s", 1u, this->actor_);
  this->expect_code(status_of(gone), ErrorCode::not_found, "destroyed");
  EXPECT_NE(gone.error().message().find("destroyed"), std::string::npos);
  // Irrecoverable: the ciphertext is gone from the table, and undelete changes nothing.
  const auto rows = this->raw(t,
                              "SELECT version, ciphertext, destroyed FROM secret_versions WHERE "
                              "tenant_id = $1 ORDER BY version");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_FALSE(rows[0][1].has_value());
  EXPECT_EQ(rows[0][2].value_or(""), "1");
  EXPECT_FALSE(rows[1][1].has_value());
  EXPECT_TRUE(rows[2][1].has_value());
  ASSERT_TRUE(this->kv_->undelete(t, "s", {1}, this->actor_).ok());
  this->expect_code(status_of(this->kv_->read(t, "s", 1u, this->actor_)), ErrorCode::not_found,
                    "still destroyed");
  m = this->kv_->metadata(t, "s");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->versions[0].destroyed);
  EXPECT_EQ(m->oldest_live_version.value_or(0), 3u);

  this->expect_code(this->kv_->undelete(t, "s", {}, this->actor_), ErrorCode::invalid_argument,
                    "undelete needs versions");
  this->expect_code(this->kv_->destroy(t, "s", {0}, this->actor_), ErrorCode::invalid_argument,
                    "version 0");
  this->expect_code(this->kv_->delete_versions(t, "nope", {}, this->actor_), ErrorCode::not_found,
                    "delete absent path");

  // delete_all: metadata and every version.
  ASSERT_TRUE(this->kv_->delete_all(t, "s", this->actor_).ok());
  this->expect_code(status_of(this->kv_->metadata(t, "s")), ErrorCode::not_found, "deleted all");
  EXPECT_TRUE(this->raw(t, "SELECT version FROM secret_versions WHERE tenant_id = $1").empty());
  this->expect_code(this->kv_->delete_all(t, "s", this->actor_), ErrorCode::not_found, "twice");
  EXPECT_EQ(this->put(t, "s", {{"i", 1}}).version, 1u);  // starts over

  const auto actions = this->audit_actions(t);
  for (const char* a :
       {"secrets.delete", "secrets.undelete", "secrets.destroy", "secrets.metadata_delete"}) {
    EXPECT_TRUE(actions.count(a)) << a;
  }
}

TYPED_TEST_P(SecretsContract, DeleteVersionAfterUsesTheClock) {
  const auto t = this->tenant("acme");
  auto m =
      this->kv_->set_metadata(t, "tmp", {.delete_version_after_ms = 3600 * 1000}, this->actor_);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->current_version, 0u);  // metadata before any version
  EXPECT_EQ(m->delete_version_after_ms, 3600 * 1000);
  this->expect_code(status_of(this->kv_->read(t, "tmp", std::nullopt, this->actor_)),
                    ErrorCode::not_found, "no version yet");
  VersionMeta v = this->put(t, "tmp", {{"token", "abc"}}, 0u);
  EXPECT_EQ(v.version, 1u);
  ASSERT_TRUE(v.deletion_time.has_value());
  EXPECT_EQ(*v.deletion_time, v.created_time + 3600 * 1000);
  EXPECT_TRUE(this->reads_as(t, "tmp", std::nullopt, {{"token", "abc"}}));
  this->clock_.advance(std::chrono::minutes(59));
  EXPECT_TRUE(this->reads_as(t, "tmp", std::nullopt, {{"token", "abc"}}));
  this->clock_.advance(std::chrono::minutes(2));
  auto r = this->kv_->read(t, "tmp", std::nullopt, this->actor_);
  this->expect_code(status_of(r), ErrorCode::not_found, "expired");
  EXPECT_NE(r.error().message().find("deleted"), std::string::npos);
  m = this->kv_->metadata(t, "tmp");
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->oldest_live_version.has_value());
  // Undelete clears the scheduled deletion.
  ASSERT_TRUE(this->kv_->undelete(t, "tmp", {1}, this->actor_).ok());
  EXPECT_TRUE(this->reads_as(t, "tmp", std::nullopt, {{"token", "abc"}}));
  this->expect_code(
      status_of(this->kv_->set_metadata(t, "tmp", {.delete_version_after_ms = -1}, this->actor_)),
      ErrorCode::invalid_argument, "negative");
}

TYPED_TEST_P(SecretsContract, MetadataRoundTrip) {
  const auto t = this->tenant("acme");
  this->put(t, "m/x", {{"a", 1}});
  const std::map<std::string, std::string> custom{{"owner", "team-a"}, {"env", "prod"}};
  auto m = this->kv_->set_metadata(
      t, "m/x", {.max_versions = 5, .cas_required = true, .custom_metadata = custom}, this->actor_);
  ASSERT_TRUE(m.ok()) << m.error();
  // A partial update keeps the other fields.
  m = this->kv_->set_metadata(t, "m/x", {.delete_version_after_ms = 60000}, this->actor_);
  ASSERT_TRUE(m.ok()) << m.error();
  auto got = this->kv_->metadata(t, "m/x");
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->path, "m/x");
  EXPECT_EQ(got->max_versions, 5);
  EXPECT_TRUE(got->cas_required);
  EXPECT_EQ(got->delete_version_after_ms, 60000);
  EXPECT_EQ(got->custom_metadata, custom);
  EXPECT_EQ(got->current_version, 1u);
  EXPECT_EQ(got->oldest_version, 1u);
  ASSERT_EQ(got->versions.size(), 1u);
  EXPECT_GT(got->created_time, 0);
  EXPECT_GE(got->updated_time, got->created_time);
  // Replacing custom metadata replaces the whole map.
  m = this->kv_->set_metadata(t, "m/x", {.custom_metadata = std::map<std::string, std::string>{}},
                              this->actor_);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->custom_metadata.empty());
  EXPECT_EQ(m->max_versions, 5);

  std::map<std::string, std::string> many;
  for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = "v";
  this->expect_code(
      status_of(this->kv_->set_metadata(t, "m/x", {.custom_metadata = many}, this->actor_)),
      ErrorCode::invalid_argument, "65 entries");
  this->expect_code(
      status_of(this->kv_->set_metadata(
          t, "m/x", {.custom_metadata = std::map<std::string, std::string>{{"", "v"}}},
          this->actor_)),
      ErrorCode::invalid_argument, "empty key");
  this->expect_code(status_of(this->kv_->metadata(t, "m/none")), ErrorCode::not_found, "absent");
  EXPECT_TRUE(this->audit_actions(t).count("secrets.metadata_write"));
}

TYPED_TEST_P(SecretsContract, ListsByPrefixWithPaging) {
  const auto t = this->tenant("acme");
  for (const char* p : {"app/a", "app/b/c", "app/b/d", "apple", "other/x", "App/z"}) {
    this->put(t, p, {{"p", p}});
  }
  auto all = this->kv_->list(t, "", 100, std::nullopt);
  ASSERT_TRUE(all.ok()) << all.error();
  std::vector<std::string> paths;
  for (const auto& e : all->entries) paths.push_back(e.path);
  EXPECT_EQ(paths,
            (std::vector<std::string>{"App/z", "app/a", "app/b/c", "app/b/d", "apple", "other/x"}));
  EXPECT_FALSE(all->next_after.has_value());

  auto p1 = this->kv_->list(t, "app/", 2, std::nullopt);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->entries.size(), 2u);
  EXPECT_EQ(p1->entries[0].path, "app/a");
  EXPECT_EQ(p1->entries[0].current_version, 1u);
  EXPECT_EQ(p1->entries[1].path, "app/b/c");
  ASSERT_TRUE(p1->next_after.has_value());
  auto p2 = this->kv_->list(t, "app/", 2, p1->next_after);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->entries.size(), 1u);
  EXPECT_EQ(p2->entries[0].path, "app/b/d");
  EXPECT_FALSE(p2->next_after.has_value());

  auto app = this->kv_->list(t, "app", 100, std::nullopt);  // a byte prefix, case-sensitive
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->entries.size(), 4u);
  this->expect_code(status_of(this->kv_->list(t, "", 0, std::nullopt)), ErrorCode::invalid_argument,
                    "limit 0");
  this->expect_code(status_of(this->kv_->list(t, "a b", 10, std::nullopt)),
                    ErrorCode::invalid_argument, "bad prefix");
}

TYPED_TEST_P(SecretsContract, AnotherTenantSeesNothing) {
  const auto a = this->tenant("acme");
  const auto b = this->tenant("globex");
  this->put(a, "shared/name", {{"owner", "a"}});
  this->expect_code(status_of(this->kv_->read(b, "shared/name", std::nullopt, this->actor_)),
                    ErrorCode::not_found, "read");
  this->expect_code(status_of(this->kv_->read(b, "shared/name", 1u, this->actor_)),
                    ErrorCode::not_found, "read v1");
  this->expect_code(status_of(this->kv_->metadata(b, "shared/name")), ErrorCode::not_found,
                    "metadata");
  this->expect_code(this->kv_->delete_versions(b, "shared/name", {}, this->actor_),
                    ErrorCode::not_found, "delete");
  this->expect_code(this->kv_->destroy(b, "shared/name", {1}, this->actor_), ErrorCode::not_found,
                    "destroy");
  this->expect_code(this->kv_->delete_all(b, "shared/name", this->actor_), ErrorCode::not_found,
                    "delete_all");
  auto listed = this->kv_->list(b, "", 100, std::nullopt);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->entries.empty());
  // B's own path of the same name is independent.
  EXPECT_EQ(this->put(b, "shared/name", {{"owner", "b"}}).version, 1u);
  EXPECT_TRUE(this->reads_as(a, "shared/name", std::nullopt, {{"owner", "a"}}));
  EXPECT_TRUE(this->reads_as(b, "shared/name", std::nullopt, {{"owner", "b"}}));
  // Each tenant has its own data key.
  EXPECT_EQ(this->raw(a, "SELECT version FROM secret_data_keys WHERE tenant_id = $1").size(), 1u);
  EXPECT_EQ(this->raw(b, "SELECT version FROM secret_data_keys WHERE tenant_id = $1").size(), 1u);
}

TYPED_TEST_P(SecretsContract, AMovedCiphertextDoesNotDecrypt) {
  const auto a = this->tenant("acme");
  const auto b = this->tenant("globex");
  const std::string secret = "s3cr3t-plaintext-do-not-leak";
  this->put(a, "x", {{"v", secret}});
  this->put(a, "x", {{"v", "second"}});
  this->put(a, "y", {{"v", "other path"}});
  this->put(b, "x", {{"v", "b's value"}});
  const auto a_x1 = this->ciphertext(a, "x", 1);
  ASSERT_TRUE(a_x1.has_value());

  auto expect_integrity = [&](const store::TenantId& t, const std::string& path,
                              std::uint32_t version, const std::string& what) {
    auto r = this->kv_->read(t, path, version, this->actor_);
    this->expect_code(status_of(r), ErrorCode::internal, what);
    if (!r.ok()) {
      EXPECT_NE(r.error().message().find("does not decrypt"), std::string::npos) << what;
      EXPECT_EQ(r.error().message().find(secret), std::string::npos) << what;
    }
  };
  // Into another tenant's row (same path and version).
  this->set_ciphertext(b, "x", 1, *a_x1);
  expect_integrity(b, "x", 1, "another tenant");
  // Into another version of the same path, and into another path.
  this->set_ciphertext(a, "x", 2, *a_x1);
  expect_integrity(a, "x", 2, "another version");
  this->set_ciphertext(a, "y", 1, *a_x1);
  expect_integrity(a, "y", 1, "another path");
  // The original still opens.
  EXPECT_TRUE(this->reads_as(a, "x", 1u, {{"v", secret}}));
  // A flipped bit is caught the same way.
  std::string flipped = *a_x1;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  this->set_ciphertext(a, "x", 1, flipped);
  expect_integrity(a, "x", 1, "altered");
  // Refused reads are audited too.
  auto page = this->audit_->list(b, {}, std::nullopt, 100);
  ASSERT_TRUE(page.ok());
  bool refused = false;
  for (const auto& r : page->records) {
    if (r.event.action == "secrets.read" && r.event.result == "internal") refused = true;
  }
  EXPECT_TRUE(refused);
}

TYPED_TEST_P(SecretsContract, TwoReplicasKeepALinearHistory) {
  const auto t = this->tenant("acme");
  auto second_db = TypeParam::reopen();
  ASSERT_TRUE(second_db);
  auto second = this->service(*second_db);
  ASSERT_TRUE(this->kv_->set_metadata(t, "hot", {.max_versions = 1000}, this->actor_).ok());
  constexpr int kThreads = 4;
  constexpr int kWrites = 25;
  std::mutex mu;
  std::map<std::uint32_t, json> written;  // version -> value
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    for (int i = 0; i < kThreads; ++i) {
      SecretsService* svc = r == 0 ? this->kv_.get() : second.get();
      threads.emplace_back([&mu, &written, &failures, svc, r, i, t, this] {
        for (int n = 0; n < kWrites; ++n) {
          const json value = {{"replica", r}, {"thread", i}, {"n", n}};
          auto v = svc->write(t, "hot", value, {}, this->actor_);
          if (!v.ok()) {
            ++failures;
            ADD_FAILURE() << v.error();
            continue;
          }
          std::lock_guard lk(mu);
          EXPECT_TRUE(written.emplace(v->version, value).second) << "duplicate " << v->version;
        }
      });
    }
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  constexpr std::uint32_t kTotal = 2 * kThreads * kWrites;
  ASSERT_EQ(written.size(), kTotal);
  EXPECT_EQ(written.begin()->first, 1u);
  EXPECT_EQ(written.rbegin()->first, kTotal);
  auto m = this->kv_->metadata(t, "hot");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->current_version, kTotal);
  ASSERT_EQ(m->versions.size(), kTotal);
  for (std::uint32_t v = 1; v <= kTotal; ++v) {
    EXPECT_EQ(m->versions[v - 1].version, v);
    EXPECT_TRUE(this->reads_as(t, "hot", v, written[v])) << v;
  }
}

// Group commit: many concurrent writers in one process, on distinct paths, on shared paths, on a
// path that requires check-and-set and on one with a small max_versions. Every write gets its own
// answer, as if the writes had run one after another, and some were committed together.
TYPED_TEST_P(SecretsContract, ConcurrentWritesCommitTogetherWithTheirOwnAnswers) {
  const auto t = this->tenant("acme");
  this->put(t, "warm", {{"k", "v"}});  // the tenant's data key exists
  ASSERT_TRUE(this->kv_->set_metadata(t, "guarded", {.cas_required = true}, this->actor_).ok());
  ASSERT_TRUE(this->kv_->set_metadata(t, "short", {.max_versions = 2}, this->actor_).ok());
  ASSERT_TRUE(this->kv_->set_metadata(t, "expiring", {.max_versions = 1000, .delete_version_after_ms = 60000}, this->actor_).ok());
  ASSERT_TRUE(this->kv_->set_metadata(t, "shared", {.max_versions = 1000}, this->actor_).ok());
  constexpr int kThreads = 8;
  constexpr int kRounds = 12;
  std::mutex mu;
  std::map<std::pair<std::string, std::uint32_t>, json> written;
  std::map<std::string, int> guarded_refusals;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < kRounds; ++n) {
        const std::string path = n % 4 == 0   ? "shared"
                                 : n % 4 == 1 ? "own/" + std::to_string(i) + "/" + std::to_string(n)
                                 : n % 4 == 2 ? "short"
                                 : (i % 2 ? "guarded" : "expiring");
        const json value = {{"thread", i}, {"n", n}};
        auto v = this->kv_->write(t, path, value, {}, this->actor_);
        std::lock_guard lk(mu);
        if (path == "guarded") {
          EXPECT_FALSE(v.ok());
          if (!v.ok()) ++guarded_refusals[std::string(error_code_name(v.error().code()))];
          continue;
        }
        if (!v.ok()) {
          ADD_FAILURE() << path << ": " << v.error();
          continue;
        }
        EXPECT_EQ(v->deletion_time.has_value(), path == "expiring") << path;
        if (v->deletion_time) {
          EXPECT_EQ(*v->deletion_time, v->created_time + 60000);
        }
        EXPECT_TRUE(written.emplace(std::pair{path, v->version}, value).second)
            << path << " version " << v->version << " twice";
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(guarded_refusals, (std::map<std::string, int>{{"failed_precondition", kThreads / 2 * kRounds / 4}}));
  // Versions of each path are 1..N without gaps, and each reads back as the write that got it.
  std::map<std::string, std::uint32_t> per_path;
  for (const auto& [key, value] : written) per_path[key.first] = std::max(per_path[key.first], key.second);
  for (const auto& [path, newest] : per_path) {
    auto m = this->kv_->metadata(t, path);
    ASSERT_TRUE(m.ok()) << path;
    EXPECT_EQ(m->current_version, newest) << path;
    for (std::uint32_t v = 1; v <= newest; ++v) {
      ASSERT_EQ(written.count({path, v}), 1u) << path << " version " << v;
      if (path == "short" && v + 2 <= newest) continue;  // trimmed
      EXPECT_TRUE(this->reads_as(t, path, v, written[{path, v}])) << path << " " << v;
    }
  }
  EXPECT_EQ(per_path["shared"], static_cast<std::uint32_t>(kThreads * kRounds / 4));
  EXPECT_EQ(per_path["short"], static_cast<std::uint32_t>(kThreads * kRounds / 4));
  auto short_meta = this->kv_->metadata(t, "short");
  ASSERT_TRUE(short_meta.ok());
  EXPECT_EQ(short_meta->versions.size(), 2u);
  // One audit record per accepted write (plus the set-up's), none for another answer.
  auto page = this->audit_->list(t, {.action = "secrets.write"}, std::nullopt, 500);
  ASSERT_TRUE(page.ok()) << page.error();
  EXPECT_EQ(page->records.size(), written.size() + 1);
}

// Writes that queue while the groups ahead of them wait on the database share one transaction.
// The test holds the database (SQLite: its one writer; PostgreSQL: an EXCLUSIVE lock on secrets)
// while the writers arrive, so the first groups are stuck and the rest must queue behind them.
TYPED_TEST_P(SecretsContract, QueuedWritesShareOneTransaction) {
  const auto t = this->tenant("acme");
  this->put(t, "warm", {{"k", "v"}});  // the tenant's data key exists
  std::promise<void> locked;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread holder([&] {
    auto st = this->db_->with_tenant(t, [&](store::Tx& tx) -> Status {
      if (this->db_->backend() == store::Backend::postgres) {
        NSL_TRY(tx.exec("LOCK TABLE secrets IN EXCLUSIVE MODE"));
      } else {
        NSL_TRY(tx.query("SELECT 1"));
      }
      locked.set_value();
      released.wait();
      return {};
    });
    EXPECT_TRUE(st.ok()) << st.error();
  });
  locked.get_future().wait();
  constexpr int kWriters = 10;
  std::vector<Result<VersionMeta>> answers(kWriters, Result<VersionMeta>(err::internal("not run")));
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      answers[i] = this->kv_->write(t, "q/" + std::to_string(i), {{"i", i}}, {}, this->actor_);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all writers queued or stuck
  release.set_value();
  holder.join();
  for (auto& w : writers) w.join();
  for (int i = 0; i < kWriters; ++i) {
    ASSERT_TRUE(answers[i].ok()) << i << ": " << answers[i].error();
    EXPECT_EQ(answers[i]->version, 1u);
    EXPECT_TRUE(this->reads_as(t, "q/" + std::to_string(i), std::nullopt, {{"i", i}})) << i;
  }
  // "warm", the group stuck on the database, and the rest: fewer transactions than writes (4
  // leaves room for one more group stuck, should more ever be in flight at once).
  const std::string text = this->registry_.expose();
  const auto value_of = [&text](const std::string& name) {
    const auto at = text.find(name + " ");
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + name.size() + 1));
  };
  const double writes = value_of("nsl_secrets_write_batch_size_sum");
  const double transactions = value_of("nsl_secrets_write_batch_size_count");
  EXPECT_EQ(writes, kWriters + 1) << text;  // + "warm"
  EXPECT_LE(transactions, 4) << text;
  // Each write of a group has its own record, committed in the group's transaction.
  auto page = this->audit_->list(t, {.action = "secrets.write"}, std::nullopt, 500);
  ASSERT_TRUE(page.ok()) << page.error();
  std::multiset<std::string> resources;
  for (const auto& r : page->records) resources.insert(r.event.resource);
  EXPECT_EQ(resources.size(), static_cast<std::size_t>(kWriters + 1));
  EXPECT_EQ(resources.count("secret:warm"), 1u);
  for (int i = 0; i < kWriters; ++i) EXPECT_EQ(resources.count("secret:q/" + std::to_string(i)), 1u) << i;
}

TYPED_TEST_P(SecretsContract, RacingFirstWritesAndCasZero) {
  // A new tenant and a new path: the data key and the path's row are both created by the race.
  const auto t = this->tenant("acme");
  auto second_db = TypeParam::reopen();
  ASSERT_TRUE(second_db);
  auto second = this->service(*second_db);
  std::mutex mu;
  std::set<std::uint32_t> versions;
  std::atomic<int> cas_wins{0}, cas_conflicts{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    SecretsService* svc = i % 2 == 0 ? this->kv_.get() : second.get();
    threads.emplace_back([&mu, &versions, &cas_wins, &cas_conflicts, &other, svc, i, t, this] {
      auto v = svc->write(t, "fresh", {{"i", i}}, {}, this->actor_);
      if (v.ok()) {
        std::lock_guard lk(mu);
        versions.insert(v->version);
      } else {
        ++other;
        ADD_FAILURE() << v.error();
      }
      auto c = svc->write(t, "once", {{"i", i}}, {.cas = 0u}, this->actor_);
      if (c.ok()) {
        ++cas_wins;
      } else if (c.error().code() == ErrorCode::conflict) {
        ++cas_conflicts;
      } else {
        ++other;
        ADD_FAILURE() << c.error();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(versions, (std::set<std::uint32_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(cas_wins.load(), 1);
  EXPECT_EQ(cas_conflicts.load(), 7);
  auto once = this->kv_->metadata(t, "once");
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(once->current_version, 1u);
  EXPECT_EQ(this->raw(t, "SELECT version FROM secret_data_keys WHERE tenant_id = $1").size(), 1u);
}

TYPED_TEST_P(SecretsContract, DataKeyRotationAndRewrap) {
  const auto t = this->tenant("acme");
  for (int i = 0; i < 5; ++i) this->put(t, "r/" + std::to_string(i), {{"i", i}});
  this->put(t, "r/0", {{"i", 100}});
  ASSERT_TRUE(this->kv_->destroy(t, "r/4", {1}, this->actor_).ok());
  auto v2 = this->kv_->rotate_data_key(t, this->actor_);
  ASSERT_TRUE(v2.ok()) << v2.error();
  EXPECT_EQ(*v2, 2u);
  const auto keys = this->raw(
      t, "SELECT version, state FROM secret_data_keys WHERE tenant_id = $1 ORDER BY version");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0][1].value_or(""), "retired");
  EXPECT_EQ(keys[1][1].value_or(""), "active");
  // Old versions still read (retired keys decrypt); new writes use the new key.
  EXPECT_TRUE(this->reads_as(t, "r/1", std::nullopt, {{"i", 1}}));
  this->put(t, "r/new", {{"i", 9}});
  auto dek_of = [&](const std::string& path, std::int64_t version) {
    auto rows = this->raw(t,
                          "SELECT dek_version FROM secret_versions WHERE tenant_id = $1 AND "
                          "path = $2 AND version = $3",
                          {path, version});
    return rows.size() == 1 ? rows[0][0].value_or("") : std::string("?");
  };
  EXPECT_EQ(dek_of("r/new", 1), "2");
  EXPECT_EQ(dek_of("r/1", 1), "1");

  // 5 versions with a value under key 1 (r/0 v1, v2, r/1..r/3; destroyed r/4 has nothing to move).
  auto first = this->kv_->rewrap(t, 4);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first->rewrapped, 4);
  EXPECT_EQ(first->to_version, 2u);
  EXPECT_TRUE(first->more);
  auto rest = this->kv_->rewrap(t, 100);
  ASSERT_TRUE(rest.ok()) << rest.error();
  EXPECT_EQ(rest->rewrapped, 1);
  EXPECT_FALSE(rest->more);
  auto none = this->kv_->rewrap(t, 100);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->rewrapped, 0);
  EXPECT_TRUE(this->raw(t,
                        "SELECT path FROM secret_versions WHERE tenant_id = $1 AND "
                        "dek_version <> 2 AND ciphertext IS NOT NULL")
                  .empty());
  EXPECT_EQ(dek_of("r/1", 1), "2");
  for (int i = 1; i < 4; ++i) {
    EXPECT_TRUE(this->reads_as(t, "r/" + std::to_string(i), std::nullopt, {{"i", i}}));
  }
  EXPECT_TRUE(this->reads_as(t, "r/0", 1u, {{"i", 0}}));
  EXPECT_TRUE(this->reads_as(t, "r/0", 2u, {{"i", 100}}));
  EXPECT_TRUE(this->audit_actions(t).count("secrets.data_key_rotate"));
  this->expect_code(status_of(this->kv_->rewrap(t, 0)), ErrorCode::invalid_argument, "limit 0");
}

TYPED_TEST_P(SecretsContract, ScheduledRotationFollowsTheClock) {
  const auto t = this->tenant("acme");
  const auto idle = this->tenant("idle");  // no secrets: no data key to rotate
  this->put(t, "s/a", {{"v", 1}});
  this->put(t, "s/b", {{"v", 2}});
  auto none = this->kv_->maintain();
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_EQ(none->rotated, 0);
  EXPECT_EQ(none->rewrapped, 0);
  this->clock_.advance(std::chrono::hours(24 * 89));
  EXPECT_EQ(this->kv_->maintain()->rotated, 0);
  this->clock_.advance(std::chrono::hours(24 * 2));
  // Two replicas run the job at once: one rotation, every version moved once.
  auto other = this->service(*this->db_);
  std::optional<Result<SecretsService::MaintenanceReport>> a, b;
  std::thread replica([&] { b.emplace(other->maintain()); });
  a.emplace(this->kv_->maintain());
  replica.join();
  ASSERT_TRUE(a->ok()) << a->error();
  ASSERT_TRUE(b->ok()) << b->error();
  const auto& ra = **a;
  const auto& rb = **b;
  EXPECT_EQ(ra.rotated + rb.rotated, 1);
  EXPECT_EQ(ra.rewrapped + rb.rewrapped, 2);
  const auto keys = this->raw(
      t, "SELECT version, state FROM secret_data_keys WHERE tenant_id = $1 ORDER BY version");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[1][1].value_or(""), "active");
  EXPECT_TRUE(this->raw(idle, "SELECT version FROM secret_data_keys WHERE tenant_id = $1").empty());
  EXPECT_TRUE(this->raw(t,
                        "SELECT path FROM secret_versions WHERE tenant_id = $1 AND "
                        "dek_version <> 2 AND ciphertext IS NOT NULL")
                  .empty());
  EXPECT_TRUE(this->reads_as(t, "s/a", std::nullopt, {{"v", 1}}));
  EXPECT_TRUE(this->reads_as(t, "s/b", std::nullopt, {{"v", 2}}));
  auto again = this->kv_->maintain();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rotated, 0);
  EXPECT_EQ(again->rewrapped, 0);
  EXPECT_TRUE(this->audit_actions(t).count("secrets.data_key_rotate"));
}

TYPED_TEST_P(SecretsContract, StorageNeverHoldsThePlaintext) {
  const auto t = this->tenant("acme");
  const std::string secret = "Zq7-known-secret-value-4711";
  const json value = {{"api_key", secret}};
  this->put(t, "dump/me", value);
  this->put(t, "dump/me", value);
  ASSERT_TRUE(this->kv_->set_metadata(t, "dump/me", {.max_versions = 4}, this->actor_).ok());
  ASSERT_TRUE(this->kv_->rotate_data_key(t, this->actor_).ok());
  ASSERT_TRUE(this->kv_->rewrap(t, 10).ok());
  EXPECT_TRUE(this->reads_as(t, "dump/me", std::nullopt, value));
  const std::string as_hex = to_hex(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()));
  std::size_t cells = 0;
  for (const char* table : {"secret_versions", "secret_data_keys", "secrets", "audit_records"}) {
    auto rows = this->db_->with_tenant(t, [&](store::Tx& tx) {
      return tx.query(std::string("SELECT * FROM ") + table + " WHERE tenant_id = $1", {t});
    });
    ASSERT_TRUE(rows.ok()) << table << ": " << rows.error();
    for (const auto& row : *rows) {
      for (const auto& cell : row) {
        if (!cell) continue;
        ++cells;
        EXPECT_EQ(cell->find(secret), std::string::npos) << table;
        EXPECT_EQ(cell->find(as_hex), std::string::npos) << table;
        EXPECT_EQ(cell->find("api_key"), std::string::npos) << table;
      }
    }
  }
  EXPECT_GT(cells, 10u);
}

TYPED_TEST_P(SecretsContract, OperationsAreCountedAndTimed) {
  const auto t = this->tenant("acme");
  this->put(t, "c", {{"a", 1}});
  (void)this->kv_->read(t, "nope", std::nullopt, this->actor_);
  const std::string text = this->registry_.expose();
  EXPECT_NE(text.find(R"(nsl_secrets_operations_total{op="write",result="ok"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(nsl_secrets_operations_total{op="read",result="not_found"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(nsl_secrets_operation_seconds_count{op="write"} 1)"), std::string::npos);
}

REGISTER_TYPED_TEST_SUITE_P(SecretsContract, PathRules, WriteThenReadLatestAndByVersion,
                            CheckAndSet, MaxVersionsTrimsTheOldest, SoftDeleteUndeleteAndDestroy,
                            DeleteVersionAfterUsesTheClock, MetadataRoundTrip,
                            ListsByPrefixWithPaging, AnotherTenantSeesNothing,
                            AMovedCiphertextDoesNotDecrypt, TwoReplicasKeepALinearHistory,
                            ConcurrentWritesCommitTogetherWithTheirOwnAnswers,
                            QueuedWritesShareOneTransaction,
                            RacingFirstWritesAndCasZero, DataKeyRotationAndRewrap,
                            ScheduledRotationFollowsTheClock, StorageNeverHoldsThePlaintext, OperationsAreCountedAndTimed);

}  // namespace nsl::secrets::contract
