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

// Identity, access and audit. Times are integers (Unix milliseconds) on both back ends, so that
// repositories read the same text from each.
constexpr std::string_view kSqlite0002 = R"sql(
CREATE TABLE users (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id             TEXT NOT NULL,
  email          TEXT NOT NULL,
  password_hash  TEXT,
  totp_sealed    TEXT,
  totp_last_step INTEGER NOT NULL DEFAULT 0,
  failed_logins  INTEGER NOT NULL DEFAULT 0,
  locked_until   INTEGER NOT NULL DEFAULT 0,
  disabled       INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email)
) WITHOUT ROWID;
CREATE TABLE api_keys (
  tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id           TEXT NOT NULL,
  prefix       TEXT NOT NULL UNIQUE,
  hash         TEXT NOT NULL,
  name         TEXT NOT NULL,
  scopes       TEXT NOT NULL DEFAULT '',
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  last_used_at INTEGER,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
-- Maps an API key's public prefix to its tenant before any tenant context exists; holds no
-- secret, so it is not tenant-filtered.
CREATE TABLE api_key_index (
  prefix    TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE role_bindings (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  principal  TEXT NOT NULL,
  role       TEXT NOT NULL,
  resource   TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, principal, role, resource)
) WITHOUT ROWID;
CREATE TABLE refresh_tokens (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  family_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  hash       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER,
  revoked_at INTEGER,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
-- Service-wide keys (token signing, audit checkpoints): public half in clear, private half sealed
-- by the enclave. Not tenant-owned.
CREATE TABLE system_keys (
  id             TEXT PRIMARY KEY NOT NULL,
  purpose        TEXT NOT NULL,
  alg            TEXT NOT NULL,
  public_key     TEXT NOT NULL,
  sealed_private TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  retire_at      INTEGER NOT NULL,
  expire_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX system_keys_purpose ON system_keys (purpose, created_at);
CREATE TABLE audit_records (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  seq        INTEGER NOT NULL,
  ts         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  resource   TEXT NOT NULL,
  request_id TEXT NOT NULL,
  result     TEXT NOT NULL,
  detail     TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;
CREATE TABLE audit_heads (
  tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id),
  seq       INTEGER NOT NULL,
  hash      TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE audit_checkpoints (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  seq        INTEGER NOT NULL,
  hash       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  key_id     TEXT NOT NULL,
  alg        TEXT NOT NULL,
  signature  TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;
)sql";

// Refresh-token families get an absolute deadline. Families issued before this migration end when
// their current token does.
constexpr std::string_view kSqlite0003 = R"sql(
ALTER TABLE refresh_tokens ADD COLUMN family_expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE refresh_tokens SET family_expires_at = expires_at;
CREATE INDEX refresh_tokens_family_expiry ON refresh_tokens (tenant_id, family_expires_at);
)sql";

// Keys: tenant signing keys and their versions (public half in clear, private half sealed by the
// enclave; a destroyed key's sealed blobs are set to NULL), the per-key spend ledger of the rolling
// signing limits, and stored responses of idempotent requests. rotation_fence: the fencing token
// of the rotation lock holder that last rotated the key (a stale holder's write is refused).
constexpr std::string_view kSqlite0004 = R"sql(
CREATE TABLE keys (
  tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id               TEXT NOT NULL,
  label            TEXT NOT NULL,
  curve            TEXT NOT NULL,
  purpose          TEXT NOT NULL DEFAULT 'signing',
  exportable       INTEGER NOT NULL DEFAULT 0,
  state            TEXT NOT NULL DEFAULT 'enabled'
                   CHECK (state IN ('enabled', 'disabled', 'pending_destruction', 'destroyed')),
  current_version  INTEGER NOT NULL DEFAULT 1,
  policy_json      TEXT,
  policy_sealed    TEXT,
  policy_version   INTEGER NOT NULL DEFAULT 0,
  rotation_days    INTEGER NOT NULL DEFAULT 90,
  next_rotation_at INTEGER,
  destroy_after    INTEGER,
  rotation_fence   INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX keys_next_rotation ON keys (tenant_id, next_rotation_at);
CREATE INDEX keys_destroy_after ON keys (tenant_id, destroy_after);
CREATE TABLE key_versions (
  tenant_id  TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  version    INTEGER NOT NULL,
  public_key TEXT NOT NULL,
  sealed     TEXT,
  state      TEXT NOT NULL CHECK (state IN ('active', 'verify_only', 'destroyed')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key_id, version),
  FOREIGN KEY (tenant_id, key_id) REFERENCES keys (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE key_spends (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key_id    TEXT NOT NULL,
  asset     TEXT NOT NULL,
  amount    TEXT NOT NULL,
  at        INTEGER NOT NULL
);
CREATE INDEX key_spends_window ON key_spends (tenant_id, key_id, at);
CREATE TABLE idempotency_keys (
  tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  scope        TEXT NOT NULL,
  idem_key     TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status       INTEGER NOT NULL,
  body         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, scope, idem_key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (tenant_id, expires_at);
)sql";

// Secrets (services/secrets): per-tenant envelope keys, the paths and their versions. Values are
// ciphertext under the tenant's data key (hex), never plaintext. Paths compare bytewise on both
// back ends (SQLite BINARY, PostgreSQL COLLATE "C"), so listings page in the same order.
constexpr std::string_view kSqlite0005 = R"sql(
CREATE TABLE secret_data_keys (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  sealed     TEXT NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('active', 'retired')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, version)
) WITHOUT ROWID;
CREATE TABLE secrets (
  tenant_id               TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  path                    TEXT NOT NULL,
  current_version         INTEGER NOT NULL DEFAULT 0,
  max_versions            INTEGER NOT NULL DEFAULT 0,
  cas_required            INTEGER NOT NULL DEFAULT 0,
  delete_version_after_ms INTEGER NOT NULL DEFAULT 0,
  custom_metadata         TEXT NOT NULL DEFAULT '{}',
  created_at              INTEGER NOT NULL,
  updated_at              INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, path)
) WITHOUT ROWID;
CREATE TABLE secret_versions (
  tenant_id     TEXT NOT NULL,
  path          TEXT NOT NULL,
  version       INTEGER NOT NULL,
  ciphertext    TEXT,
  dek_version   INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  deletion_time INTEGER,
  destroyed     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, path, version),
  FOREIGN KEY (tenant_id, path) REFERENCES secrets (tenant_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX secret_versions_dek ON secret_versions (tenant_id, dek_version);
)sql";

// Transit (services/transit): named per-tenant encryption keys and their versions. A version's
// `sealed` is the enclave data-key blob (hex) sealed under Binding{tenant, "transit:<name>",
// version, "data-key"}; deleting a key deletes its versions (crypto-shredding every ciphertext).
// min_encryption_version 0 = any version from min_decryption_version up; rotation_days 0 = never.
// rotation_fence: as keys.rotation_fence (the fencing token of the last scheduled rotation).
constexpr std::string_view kSqlite0006 = R"sql(
CREATE TABLE transit_keys (
  tenant_id              TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name                   TEXT NOT NULL,
  type                   TEXT NOT NULL DEFAULT 'aes256-gcm',
  latest_version         INTEGER NOT NULL DEFAULT 1,
  min_decryption_version INTEGER NOT NULL DEFAULT 1,
  min_encryption_version INTEGER NOT NULL DEFAULT 0,
  deletion_allowed       INTEGER NOT NULL DEFAULT 0,
  rotation_days          INTEGER NOT NULL DEFAULT 90,
  next_rotation_at       INTEGER,
  rotation_fence         INTEGER NOT NULL DEFAULT 0,
  created_at             INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name)
) WITHOUT ROWID;
CREATE INDEX transit_keys_next_rotation ON transit_keys (tenant_id, next_rotation_at);
CREATE TABLE transit_key_versions (
  tenant_id  TEXT NOT NULL,
  name       TEXT NOT NULL,
  version    INTEGER NOT NULL,
  sealed     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name, version),
  FOREIGN KEY (tenant_id, name) REFERENCES transit_keys (tenant_id, name) ON DELETE CASCADE
) WITHOUT ROWID;
)sql";

constexpr std::array<Migration, 6> kSqlite{{
    {1, "tenants", kSqlite0001},
    {2, "identity_and_audit", kSqlite0002},
    {3, "refresh_family_deadline", kSqlite0003},
    {4, "keys", kSqlite0004},
    {5, "secrets", kSqlite0005},
    {6, "transit", kSqlite0006},
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

constexpr std::string_view kPostgres0002 = R"sql(
CREATE TABLE users (
  tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id             text NOT NULL,
  email          text NOT NULL,
  password_hash  text,
  totp_sealed    text,
  totp_last_step bigint NOT NULL DEFAULT 0,
  failed_logins  bigint NOT NULL DEFAULT 0,
  locked_until   bigint NOT NULL DEFAULT 0,
  disabled       bigint NOT NULL DEFAULT 0,
  created_at     bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email)
);
CREATE TABLE api_keys (
  tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id           text NOT NULL,
  prefix       text NOT NULL UNIQUE,
  hash         text NOT NULL,
  name         text NOT NULL,
  scopes       text NOT NULL DEFAULT '',
  created_by   text NOT NULL,
  created_at   bigint NOT NULL,
  expires_at   bigint,
  revoked_at   bigint,
  last_used_at bigint,
  PRIMARY KEY (tenant_id, id)
);
-- Maps an API key's public prefix to its tenant before any tenant context exists; holds no
-- secret, so it is not tenant-filtered.
CREATE TABLE api_key_index (
  prefix    text PRIMARY KEY NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
);
CREATE TABLE role_bindings (
  tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id         text NOT NULL,
  principal  text NOT NULL,
  role       text NOT NULL,
  resource   text NOT NULL DEFAULT '',
  created_at bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, principal, role, resource)
);
CREATE TABLE refresh_tokens (
  tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id         text NOT NULL,
  family_id  text NOT NULL,
  user_id    text NOT NULL,
  hash       text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  used_at    bigint,
  revoked_at bigint,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
-- Service-wide keys (token signing, audit checkpoints): public half in clear, private half sealed
-- by the enclave. Not tenant-owned.
CREATE TABLE system_keys (
  id             text PRIMARY KEY NOT NULL,
  purpose        text NOT NULL,
  alg            text NOT NULL,
  public_key     text NOT NULL,
  sealed_private text NOT NULL,
  created_at     bigint NOT NULL,
  retire_at      bigint NOT NULL,
  expire_at      bigint NOT NULL
);
CREATE INDEX system_keys_purpose ON system_keys (purpose, created_at);
CREATE TABLE audit_records (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  seq        bigint NOT NULL,
  ts         bigint NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  resource   text NOT NULL,
  request_id text NOT NULL,
  result     text NOT NULL,
  detail     text NOT NULL,
  prev_hash  text NOT NULL,
  hash       text NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
CREATE TABLE audit_heads (
  tenant_id uuid PRIMARY KEY NOT NULL REFERENCES tenants(id),
  seq       bigint NOT NULL,
  hash      text NOT NULL
);
CREATE TABLE audit_checkpoints (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  seq        bigint NOT NULL,
  hash       text NOT NULL,
  created_at bigint NOT NULL,
  key_id     text NOT NULL,
  alg        text NOT NULL,
  signature  text NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'api_keys', 'role_bindings', 'refresh_tokens',
                           'audit_records', 'audit_heads', 'audit_checkpoints'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I'
      ' USING (tenant_id = NULLIF(current_setting(''app.current_tenant'', true), '''')::uuid)'
      ' WITH CHECK (tenant_id = NULLIF(current_setting(''app.current_tenant'', true), '''')::uuid)', t);
  END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, api_keys, role_bindings, refresh_tokens TO nsl_app;
GRANT SELECT, INSERT, DELETE ON api_key_index TO nsl_app;
GRANT SELECT, INSERT, UPDATE ON system_keys TO nsl_app;
-- The audit trail is append-only for the service: no UPDATE or DELETE on records or checkpoints.
GRANT SELECT, INSERT ON audit_records, audit_checkpoints TO nsl_app;
GRANT SELECT, INSERT, UPDATE ON audit_heads TO nsl_app;
)sql";

constexpr std::string_view kPostgres0003 = R"sql(
ALTER TABLE refresh_tokens ADD COLUMN family_expires_at bigint NOT NULL DEFAULT 0;
UPDATE refresh_tokens SET family_expires_at = expires_at;
CREATE INDEX refresh_tokens_family_expiry ON refresh_tokens (tenant_id, family_expires_at);
)sql";

constexpr std::string_view kPostgres0004 = R"sql(
CREATE TABLE keys (
  tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id               text NOT NULL,
  label            text NOT NULL,
  curve            text NOT NULL,
  purpose          text NOT NULL DEFAULT 'signing',
  exportable       bigint NOT NULL DEFAULT 0,
  state            text NOT NULL DEFAULT 'enabled'
                   CHECK (state IN ('enabled', 'disabled', 'pending_destruction', 'destroyed')),
  current_version  bigint NOT NULL DEFAULT 1,
  policy_json      text,
  policy_sealed    text,
  policy_version   bigint NOT NULL DEFAULT 0,
  rotation_days    bigint NOT NULL DEFAULT 90,
  next_rotation_at bigint,
  destroy_after    bigint,
  rotation_fence   bigint NOT NULL DEFAULT 0,
  created_at       bigint NOT NULL,
  updated_at       bigint NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX keys_next_rotation ON keys (tenant_id, next_rotation_at);
CREATE INDEX keys_destroy_after ON keys (tenant_id, destroy_after);
CREATE TABLE key_versions (
  tenant_id  uuid NOT NULL,
  key_id     text NOT NULL,
  version    bigint NOT NULL,
  public_key text NOT NULL,
  sealed     text,
  state      text NOT NULL CHECK (state IN ('active', 'verify_only', 'destroyed')),
  created_at bigint NOT NULL,
  PRIMARY KEY (tenant_id, key_id, version),
  FOREIGN KEY (tenant_id, key_id) REFERENCES keys (tenant_id, id) ON DELETE CASCADE
);
CREATE TABLE key_spends (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key_id    text NOT NULL,
  asset     text NOT NULL,
  amount    text NOT NULL,
  at        bigint NOT NULL
);
CREATE INDEX key_spends_window ON key_spends (tenant_id, key_id, at);
CREATE TABLE idempotency_keys (
  tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  scope        text NOT NULL,
  idem_key     text NOT NULL,
  request_hash text NOT NULL,
  status       bigint NOT NULL,
  body         text NOT NULL,
  created_at   bigint NOT NULL,
  expires_at   bigint NOT NULL,
  PRIMARY KEY (tenant_id, scope, idem_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (tenant_id, expires_at);
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['keys', 'key_versions', 'key_spends', 'idempotency_keys'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I'
      ' USING (tenant_id = NULLIF(current_setting(''app.current_tenant'', true), '''')::uuid)'
      ' WITH CHECK (tenant_id = NULLIF(current_setting(''app.current_tenant'', true), '''')::uuid)', t);
  END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON keys, key_versions, key_spends, idempotency_keys TO nsl_app;
)sql";

constexpr std::string_view kPostgres0005 = R"sql(
CREATE TABLE secret_data_keys (
  tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  version    bigint NOT NULL,
  sealed     text NOT NULL,
  state      text NOT NULL CHECK (state IN ('active', 'retired')),
  created_at bigint NOT NULL,
  PRIMARY KEY (tenant_id, version)
);
CREATE TABLE secrets (
  tenant_id               uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  path                    text COLLATE "C" NOT NULL,
  current_version         bigint NOT NULL DEFAULT 0,
  max_versions            bigint NOT NULL DEFAULT 0,
  cas_required            bigint NOT NULL DEFAULT 0,
  delete_version_after_ms bigint NOT NULL DEFAULT 0,
  custom_metadata         text NOT NULL DEFAULT '{}',
  created_at              bigint NOT NULL,
  updated_at              bigint NOT NULL,
  PRIMARY KEY (tenant_id, path)
);
CREATE TABLE secret_versions (
  tenant_id     uuid NOT NULL,
  path          text COLLATE "C" NOT NULL,
  version       bigint NOT NULL,
  ciphertext    text,
  dek_version   bigint NOT NULL,
  created_at    bigint NOT NULL,
  deletion_time bigint,
  destroyed     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, path, version),
  FOREIGN KEY (tenant_id, path) REFERENCES secrets (tenant_id, path) ON DELETE CASCADE
);
CREATE INDEX secret_versions_dek ON secret_versions (tenant_id, dek_version);
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['secret_data_keys', 'secrets', 'secret_versions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I'
      ' USING (tenant_id = NULLIF(current_setting(''app.current_tenant'', true), '''')::uuid)'
      ' WITH CHECK (tenant_id = NULLIF(current_setting(''app.current_tenant'', true), '''')::uuid)', t);
  END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON secret_data_keys, secrets, secret_versions TO nsl_app;
)sql";

constexpr std::string_view kPostgres0006 = R"sql(
CREATE TABLE transit_keys (
  tenant_id              uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name                   text COLLATE "C" NOT NULL,
  type                   text NOT NULL DEFAULT 'aes256-gcm',
  latest_version         bigint NOT NULL DEFAULT 1,
  min_decryption_version bigint NOT NULL DEFAULT 1,
  min_encryption_version bigint NOT NULL DEFAULT 0,
  deletion_allowed       bigint NOT NULL DEFAULT 0,
  rotation_days          bigint NOT NULL DEFAULT 90,
  next_rotation_at       bigint,
  rotation_fence         bigint NOT NULL DEFAULT 0,
  created_at             bigint NOT NULL,
  updated_at             bigint NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
CREATE INDEX transit_keys_next_rotation ON transit_keys (tenant_id, next_rotation_at);
CREATE TABLE transit_key_versions (
  tenant_id  uuid NOT NULL,
  name       text COLLATE "C" NOT NULL,
  version    bigint NOT NULL,
  sealed     text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (tenant_id, name, version),
  FOREIGN KEY (tenant_id, name) REFERENCES transit_keys (tenant_id, name) ON DELETE CASCADE
);
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['transit_keys', 'transit_key_versions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I'
      ' USING (tenant_id = NULLIF(current_setting(''app.current_tenant'', true), '''')::uuid)'
      ' WITH CHECK (tenant_id = NULLIF(current_setting(''app.current_tenant'', true), '''')::uuid)', t);
  END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON transit_keys, transit_key_versions TO nsl_app;
)sql";

constexpr std::array<Migration, 6> kPostgres{{
    {1, "tenants", kPostgres0001},
    {2, "identity_and_audit", kPostgres0002},
    {3, "refresh_family_deadline", kPostgres0003},
    {4, "keys", kPostgres0004},
    {5, "secrets", kPostgres0005},
    {6, "transit", kPostgres0006},
}};

}  // namespace

std::span<const Migration> sqlite_migrations() { return kSqlite; }
std::span<const Migration> postgres_migrations() { return kPostgres; }

}  // namespace nsl::store
