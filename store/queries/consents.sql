-- name: consent-exclusions
-- The consents an exclusion check reads, for the recipients $2 (with
-- their 1-based positions): scope all (its source, its confirmation), the
-- list $4 and the campaign $5 the check names ('' for none). A probe of
-- the primary key per recipient with the whole array, as exclusions does.
SELECT k.ord, c.scope, c.name, c.opted_out, c.since, c.source, c.event_id, c.confirmed_at
FROM unnest($2::text[]) WITH ORDINALITY AS k(address, ord)
JOIN recipient_consents c ON c.address = k.address
WHERE c.tenant = $1 AND c.channel = $3 AND c.address = ANY ($2::text[])
  AND ((c.scope = 'all' AND c.name = '') OR (c.scope = 'list' AND c.name = $4) OR (c.scope = 'campaign' AND c.name = $5))
ORDER BY k.ord, c.scope, c.name;

-- name: recipient-consents
-- A recipient's consents, for its page and GET /v1/recipients.
SELECT channel, address, scope, name, opted_out, since, source, event_id, at,
       confirmed_at, confirm_ip, confirm_user_agent
FROM recipient_consents
WHERE tenant = $3 AND channel = $1 AND address = $2
ORDER BY scope, name
LIMIT $4;

-- name: consents-export
-- One page of a tenant's consents of a channel, in key order after the
-- cursor ($4, $5, $6: address, scope, name); $3 keeps the opted-out ones
-- ('opted_out'), the confirmed ones ('confirmed') or all (''). A range
-- of the primary key.
SELECT channel, address, scope, name, opted_out, since, source, event_id, at,
       confirmed_at, confirm_ip, confirm_user_agent
FROM recipient_consents
WHERE tenant = $1 AND channel = $2
  AND ($3 = '' OR ($3 = 'opted_out' AND opted_out) OR ($3 = 'confirmed' AND confirmed_at IS NOT NULL))
  AND (address, scope, name) > ($4::text, $5::text, $6::text)
ORDER BY address, scope, name
LIMIT $7;
