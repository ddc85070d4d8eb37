-- name: interface_delivery
-- Per interface: the hours and records the workspace holds (from `interface_hours`), for
-- `flow-logs status`. Parameters: $interface_ids (VARCHAR[]): the interfaces asked about.
-- Columns: interface_id, hours, records, first_hour, last_hour (an interface with no row has no data).
SELECT
    interface_id,
    count(DISTINCT hour) AS hours,
    sum(ok_records + nodata_records + skipdata_records) AS records,
    min(hour) AS first_hour,
    max(hour) AS last_hour
FROM interface_hours
WHERE list_contains($interface_ids, interface_id)
GROUP BY interface_id
ORDER BY interface_id
