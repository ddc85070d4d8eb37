-- name: coverage_gaps
-- Per interface, the hours of the window without a full record, merged into runs (raw facts;
-- analysis/coverage.py decides which are gaps and which are a healthy log's quiet hours):
--   no-delivery: no record at all (not even NODATA) for the interface in that hour;
--   skipdata:    a SKIPDATA record: records of that interval were lost.
-- Also one `delivered` row per interface with the number of hours that had any record.
-- Parameters: $interfaces (JSON text: a list of interface ids; analysis/params.py), $start, $end (TIMESTAMP, whole hours; window [start, end)).
-- Columns: interface_id, kind ('no-delivery' | 'skipdata' | 'delivered'), start, end, hours.
WITH hours AS (
    SELECT unnest(generate_series($start::TIMESTAMP, $end::TIMESTAMP - INTERVAL 1 HOUR,
                                  INTERVAL 1 HOUR)) AS hour
),
enis AS (SELECT DISTINCT unnest(from_json($interfaces, '["VARCHAR"]')) AS interface_id),
delivered AS (
    SELECT interface_id, hour, sum(skipdata_records) AS skipdata
    FROM interface_hours
    WHERE interface_id IN (SELECT interface_id FROM enis) AND hour >= $start AND hour < $end
    GROUP BY ALL
),
grid AS (
    SELECT e.interface_id, h.hour,
           CASE WHEN d.interface_id IS NULL THEN 'no-delivery'
                WHEN d.skipdata > 0 THEN 'skipdata' END AS kind
    FROM enis e
    CROSS JOIN hours h
    LEFT JOIN delivered d ON d.interface_id = e.interface_id AND d.hour = h.hour
),
runs AS (
    SELECT interface_id, kind, hour,
           hour - to_hours(row_number() OVER (PARTITION BY interface_id, kind ORDER BY hour))
               AS run
    FROM grid
    WHERE kind IS NOT NULL
)
SELECT interface_id, kind, min(hour) AS start, max(hour) + INTERVAL 1 HOUR AS "end",
       count(*) AS hours
FROM runs
GROUP BY interface_id, kind, run
UNION ALL
SELECT e.interface_id, 'delivered', NULL, NULL, count(d.hour)
FROM enis e
LEFT JOIN delivered d ON d.interface_id = e.interface_id
GROUP BY e.interface_id
ORDER BY interface_id, kind, start;
