-- 0013: every text column compares bytes (COLLATE "C").
--
-- rebond's text columns are identifiers (event and message ids, tenants,
-- channels, addresses, campaigns, domains, rule ids) or machine words
-- (states, reasons); none is sorted for a reader by the rules of a
-- language. Under a database's default libc collation (en_US.UTF-8 on
-- most installs, C.UTF-8 on this project's machines), every comparison of
-- a B-tree descent, a sort or a join on them goes through strcoll(3) on
-- copies of both strings; under "C" it is one memcmp (PostgreSQL 15,
-- varstr_cmp; abbreviated sort keys are also only used under "C"), and
-- the inbox insert and the apply compare such keys in every index they
-- touch. A LIKE 'prefix%' on such a column can also use its B-tree.
--
-- Orders change only where the collation did not already sort by code
-- point: for C.UTF-8 nothing changes; under en_US.UTF-8 upper case now
-- sorts before lower case and punctuation is no longer ignored.
--
-- The type stays text, so no table is rewritten; every index on a column
-- changed is rebuilt, which on a large install takes the time of building
-- them (the migration holds its tables' locks meanwhile: run it in a
-- maintenance window); one ALTER TABLE per table changes all its columns,
-- so each index is built once. Partitions follow their parent (and
-- rebond_event_partition's CREATE TABLE ... LIKE events copies the
-- collations). A view that reads such a column would block the change:
-- rebond's one view, event_partitions, reads only the catalogs; an
-- operator's own view on these tables must be dropped first.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT cl.relname AS tab,
               string_agg(format('ALTER COLUMN %I TYPE text COLLATE "C"', a.attname), ', ' ORDER BY a.attnum) AS alters
        FROM pg_attribute a
        JOIN pg_class cl ON cl.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE n.nspname = current_schema()
          AND cl.relkind IN ('r', 'p') AND NOT cl.relispartition
          AND a.attnum > 0 AND NOT a.attisdropped
          AND a.atttypid = 'text'::regtype
          AND a.attcollation <> (SELECT oid FROM pg_collation WHERE collname = 'C' AND collnamespace = 'pg_catalog'::regnamespace)
        GROUP BY cl.relname
        ORDER BY cl.relname
    LOOP
        EXECUTE format('ALTER TABLE %I %s', t.tab, t.alters);
    END LOOP;
END
$$;
