-- 0004: API tokens with roles. Only the SHA-256 of a token's secret is
-- kept: the secret is shown once, when the token is created, and a leak of
-- this table gives no usable credential. A token is revoked, never deleted,
-- so that "token:<name>" in the audit trail always names one token.
CREATE TABLE api_tokens (
    id           bigserial   PRIMARY KEY,
    name         text        NOT NULL UNIQUE,
    -- ingest, read, operate or admin (what each allows: api/roles.go).
    role         text        NOT NULL CHECK (role IN ('ingest', 'read', 'operate', 'admin')),
    -- Recorded for the coming per-tenant scoping; every token sees all
    -- data today.
    tenant       text        NOT NULL DEFAULT 'default',
    -- SHA-256 of the whole secret ("rbd_..."), 32 bytes.
    token_hash   bytea       NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
