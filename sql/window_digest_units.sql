-- name: window_digest_units
-- How window_digest.sql's work divides: flow_rollup's rows per interface and hour of the window,
-- in the order the digest's traffic lines take (interface, then hour).
-- Parameters: $interfaces (JSON text: a list of interface ids), $start, $end (TIMESTAMP, end
--   exclusive).
-- Columns: interface_id, hour, rows.
WITH wanted AS (SELECT DISTINCT unnest(from_json($interfaces, '["VARCHAR"]')) AS interface_id)
SELECT interface_id, hour, count(*) AS rows
FROM flow_rollup
WHERE interface_id IN (SELECT interface_id FROM wanted) AND hour >= $start AND hour < $end
GROUP BY interface_id, hour
ORDER BY interface_id, hour;
