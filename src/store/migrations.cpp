#include "store/migrations.hpp"

#include <array>

namespace nsl::store {
namespace {

// ---- SQLite ------------------------------------------------------------------------------------
constexpr std::string_view kSqlite0001 = R"sql(
CREATE TABLE tenants (
  id         TEXT PRIMARY KEY NOT NULL,
  name       TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE tenant_settings (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;
)sql";

constexpr std::array<Migration, 1> kSqlite{{
    {1, "tenants", kSqlite0001},
}};

// ---- PostgreSQL --------------------------------------------------------------------------------
constexpr std::string_view kPostgres0001 = R"sql(
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nsl_app') THEN
    CREATE ROLE nsl_app NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;  -- created concurrently (roles are cluster-wide; the advisory lock is per database)
END
$$;
CREATE TABLE tenants (
  id         uuid PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE tenant_settings (
  tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key        text NOT NULL,
  value      text NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
ALTER TABLE tenant_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_settings
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);
GRANT SELECT, INSERT ON tenants TO nsl_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_settings TO nsl_app;
GRANT SELECT ON schema_migrations TO nsl_app;
)sql";

constexpr std::array<Migration, 1> kPostgres{{
    {1, "tenants", kPostgres0001},
}};

}  // namespace

std::span<const Migration> sqlite_migrations() { return kSqlite; }
std::span<const Migration> postgres_migrations() { return kPostgres; }

}  // namespace nsl::store
