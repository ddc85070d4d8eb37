-- name: hours_insert
-- Coverage per interface and hour of this batch (temp table `stage`): how many OK, NODATA and
-- SKIPDATA records were delivered. Records without a log-status field count as OK.
-- Also appends the NODATA/SKIPDATA intervals to `coverage_events`. No parameters.
INSERT INTO interface_hours
SELECT any_value(account_id), any_value(region), interface_id,
       make_timestamp((start // 3600) * 3600 * 1000000) AS hour,
       count(*) FILTER (WHERE coalesce(log_status, 'OK') = 'OK'),
       count(*) FILTER (WHERE log_status = 'NODATA'),
       count(*) FILTER (WHERE log_status = 'SKIPDATA')
FROM stage
WHERE interface_id IS NOT NULL AND start IS NOT NULL
GROUP BY interface_id, start // 3600;

INSERT INTO coverage_events
SELECT account_id, region, interface_id, log_status, make_timestamp(start * 1000000),
       make_timestamp("end" * 1000000), source
FROM stage
WHERE log_status IN ('NODATA', 'SKIPDATA') AND interface_id IS NOT NULL;
