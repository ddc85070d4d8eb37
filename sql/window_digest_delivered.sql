-- name: window_digest_delivered
-- The digest's "delivered" lines (window_digest.sql): per interface and hour of the window,
-- interface_hours' OK/NODATA/SKIPDATA record counts.
-- Parameters: $interfaces (JSON text: a list of interface ids), $start, $end (the window's
-- hours, end exclusive).
-- Columns: line, records (NULL: delivery counts are not flow records), in line order.
WITH wanted AS (SELECT DISTINCT unnest(from_json($interfaces, '["VARCHAR"]')) AS interface_id),
delivered AS (
    SELECT interface_id, hour, sum(ok_records) AS ok, sum(nodata_records) AS nodata,
           sum(skipdata_records) AS skipdata
    FROM interface_hours
    WHERE interface_id IN (SELECT interface_id FROM wanted) AND hour >= $start AND hour < $end
    GROUP BY interface_id, hour
)
SELECT concat_ws(' ', 'delivered', interface_id, strftime(hour, '%Y-%m-%dT%H'), ok, nodata,
                 skipdata) AS line, NULL::BIGINT AS records
FROM delivered
ORDER BY line;
