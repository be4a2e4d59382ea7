-- name: create-token
-- A name is taken for good, even once revoked: no row means it exists.
INSERT INTO api_tokens (name, role, tenant, token_hash)
VALUES ($1, $2, $3, $4)
ON CONFLICT (name) DO NOTHING
RETURNING id, name, role, tenant, created_at, last_used_at, revoked_at;

-- name: lookup-token
-- Finds a live token by the hash of its secret and notes its use, in one
-- statement. The API caches the answer, so this runs about once per token
-- per cache period, not per request.
UPDATE api_tokens SET last_used_at = now()
WHERE token_hash = $1 AND revoked_at IS NULL
RETURNING id, name, role, tenant, created_at, last_used_at, revoked_at;

-- name: list-tokens
SELECT id, name, role, tenant, created_at, last_used_at, revoked_at
FROM api_tokens
ORDER BY name;

-- name: revoke-token
-- Idempotent: a revoked token keeps its first revocation time.
UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
WHERE name = $1
RETURNING id, name, role, tenant, created_at, last_used_at, revoked_at;

-- name: live-token
-- A live token by its id, for the dashboard's sessions, which keep the id
-- and never the secret. A plain read: a page view is no use to record.
SELECT id, name, role, tenant, created_at, last_used_at, revoked_at
FROM api_tokens
WHERE id = $1 AND revoked_at IS NULL;
