-- name: pass_hours_insert
-- hours_insert.sql from the one-pass rows (temp table `pass_rows`, sql/pass_batch.sql): coverage
-- per interface and hour (OK, NODATA and SKIPDATA records; T and U rows are OK records), and
-- the NODATA/SKIPDATA intervals as delivered (C rows keep each interval in their key; `records`
-- repeats of it were read). No parameters.
INSERT INTO interface_hours
SELECT any_value(account_id), any_value(region), interface_id,
       make_timestamp(hour_index * 3600 * 1000000) AS hour,
       coalesce(sum(records) FILTER (WHERE kind <> 'C'), 0),
       coalesce(sum(records) FILTER (WHERE log_status = 'NODATA'), 0),
       coalesce(sum(records) FILTER (WHERE log_status = 'SKIPDATA'), 0)
FROM pass_rows
WHERE interface_id IS NOT NULL AND hour_index IS NOT NULL
GROUP BY interface_id, hour_index;

INSERT INTO coverage_events
SELECT c.c_account_id, c.c_region, c.interface_id, c.log_status,
       make_timestamp(c.c_start * 1000000), make_timestamp(c.c_end * 1000000), c.source
FROM pass_rows c, range(c.records) AS copies(n)
WHERE c.kind = 'C' AND c.log_status IN ('NODATA', 'SKIPDATA') AND c.interface_id IS NOT NULL;
