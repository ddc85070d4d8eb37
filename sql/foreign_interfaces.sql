-- name: foreign_interfaces
-- The interfaces whose flow data the workspace holds but the snapshot does not name: a
-- workspace reused for another snapshot (or another account). Their data is never analysed,
-- but a user should know the workspace is not this snapshot's alone.
-- Parameters:
--   $interfaces  JSON text  the snapshot's ENIs, a list of ids (analysis/params.py)
-- Columns: interface_id, first_hour, last_hour, records
WITH wanted AS (SELECT DISTINCT unnest(from_json($interfaces, '["VARCHAR"]')) AS interface_id)
SELECT interface_id, min(hour) AS first_hour, max(hour) AS last_hour, sum(records) AS records
FROM flow_rollup
WHERE interface_id NOT IN (SELECT interface_id FROM wanted)
GROUP BY interface_id
ORDER BY interface_id;
