// nsl/store/migrations.hpp — the versioned schema of each back end, compiled into the binary.
//
// Versions start at 1 and increase by one; a migration is never edited once released (add a new
// one). Each back end records applied versions in `schema_migrations(version, name, applied_at)`;
// migrate() applies the pending ones in order, one transaction each, and refuses a database whose
// highest version this binary does not know (migrated by a newer nsl).
//
// PostgreSQL conventions (enforced by review; the contract tests prove them for tenant_settings):
//   * every tenant-owned table has `tenant_id uuid NOT NULL`, ENABLE + FORCE ROW LEVEL SECURITY
//     and the policy `tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid`
//     (NULLIF: once a session has used set_config, the setting reads '' outside a transaction
//     that set it, and ''::uuid would raise);
//   * migrations run as the owner role; privileges go to the NOLOGIN group role `nsl_app`, of
//     which the service's LOGIN role (NOSUPERUSER, NOBYPASSRLS, not the owner) is a member.
//     Migration 1 creates `nsl_app` when it is missing (needs CREATEROLE then; an operator may
//     create it beforehand instead).
#pragma once

#include <span>
#include <string_view>

namespace nsl::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // one or more statements, no parameters
};

std::span<const Migration> sqlite_migrations();
std::span<const Migration> postgres_migrations();

}  // namespace nsl::store
