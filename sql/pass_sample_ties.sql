-- name: pass_sample_ties
-- Inbound keys not sampled before whose sample the one pass cannot pick alone: two different
-- records at the key's smallest (start, side, object), a tie the stage-based path breaks by read
-- order (rollup_batch.sql). Each roll-up row of the batch (temp table `batch_rollup`,
-- sql/pass_rollup.sql) keeps its four smallest orders, so every record at that smallest prefix
-- is listed unless a row has four or more there (`overflow`: the caller then takes the
-- stage-based path). Equal orders are the same content in the same object: no tie.
-- Writes temp table `sample_ties`: the key, the object (`source`; `sources` > 1 when two objects
-- of the batch share a file name, whose order only the stage knows), the start, and the
-- candidates' content hashes (macro sample_content). No parameters.
CREATE OR REPLACE TEMP TABLE sample_ties AS
WITH rows_orders AS (
    SELECT key_hash, sample_orders, list_sort(sample_orders)[-1] AS last_order,
           len(sample_orders) AS n
    FROM batch_rollup
    WHERE direction = 'inbound'
),
candidates AS (
    SELECT key_hash, unnest(sample_orders) AS o FROM rows_orders
),
fresh AS (
    SELECT c.* FROM candidates c ANTI JOIN flow_sample_records f ON f.key_hash = c.key_hash
),
best AS (
    SELECT key_hash, min(o >> 40) AS prefix FROM fresh GROUP BY key_hash
),
tied AS (
    SELECT f.key_hash, b.prefix, list(DISTINCT f.o & ((1::HUGEINT << 40) - 1)) AS contents
    FROM fresh f
    JOIN best b ON b.key_hash = f.key_hash AND (f.o >> 40) = b.prefix
    GROUP BY f.key_hash, b.prefix
    HAVING count(DISTINCT f.o) > 1
),
objects AS (
    SELECT source, (hash(parse_filename(source)) >> 32)::HUGEINT AS file_hash
    FROM (SELECT DISTINCT source FROM pass_rows)
),
matched AS (
    SELECT t.key_hash, t.prefix, any_value(t.contents) AS contents,
           any_value(o.source) AS source, count(o.source) AS sources
    FROM tied t
    LEFT JOIN objects o ON o.file_hash = t.prefix & ((1::HUGEINT << 32) - 1)
    GROUP BY t.key_hash, t.prefix
)
SELECT m.key_hash, (m.prefix >> 33)::BIGINT AS start, m.contents, m.source, m.sources,
       coalesce((SELECT bool_or(r.n = 4 AND (r.last_order >> 40) = m.prefix)
                 FROM rows_orders r WHERE r.key_hash = m.key_hash), false) AS overflow
FROM matched m;
