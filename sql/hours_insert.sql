-- name: hours_insert
-- Coverage per interface and hour of this batch (temp table `stage`): how many OK, NODATA and
-- SKIPDATA records were delivered. Records without a log-status field count as OK.
-- Also appends the NODATA/SKIPDATA intervals to `coverage_events`. No parameters.
INSERT INTO interface_hours
SELECT coalesce(s.account_id, o.account_id), coalesce(s.region, o.region), s.interface_id,
       date_trunc('hour', make_timestamp(s.start * 1000000)) AS hour,
       count(*) FILTER (WHERE coalesce(s.log_status, 'OK') = 'OK'),
       count(*) FILTER (WHERE s.log_status = 'NODATA'),
       count(*) FILTER (WHERE s.log_status = 'SKIPDATA')
FROM stage s
LEFT JOIN batch_objects o ON o.source = s.source
WHERE s.interface_id IS NOT NULL AND s.start IS NOT NULL
GROUP BY ALL;

INSERT INTO coverage_events
SELECT coalesce(s.account_id, o.account_id), coalesce(s.region, o.region), s.interface_id,
       s.log_status, make_timestamp(s.start * 1000000), make_timestamp(s."end" * 1000000), s.source
FROM stage s
LEFT JOIN batch_objects o ON o.source = s.source
WHERE s.log_status IN ('NODATA', 'SKIPDATA') AND s.interface_id IS NOT NULL;
