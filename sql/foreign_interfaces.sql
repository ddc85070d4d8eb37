-- name: foreign_interfaces
-- The interfaces whose flow data the workspace holds but the snapshot does not name: a
-- workspace reused for another snapshot (or another account). Their data is never analysed,
-- but a user should know the workspace is not this snapshot's alone.
-- Parameters:
--   $interfaces  VARCHAR[]  the snapshot's ENIs
-- Columns: interface_id, first_hour, last_hour, records
SELECT interface_id, min(hour) AS first_hour, max(hour) AS last_hour, sum(records) AS records
FROM flow_rollup
WHERE NOT list_contains($interfaces, interface_id)
GROUP BY interface_id
ORDER BY interface_id;
