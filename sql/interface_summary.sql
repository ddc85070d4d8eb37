-- name: interface_summary
-- Per interface in the workspace: records delivered, accepted/rejected traffic records, first and
-- last record time, NODATA/SKIPDATA intervals. No parameters.
WITH hours AS (
    SELECT interface_id, any_value(account_id) AS account_id, any_value(region) AS region,
           sum(ok_records + nodata_records + skipdata_records) AS records,
           count(DISTINCT hour) AS hours_delivered
    FROM interface_hours GROUP BY interface_id
),
traffic AS (
    SELECT interface_id, sum(accepted) AS accepted, sum(rejected) AS rejected,
           min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM flow_rollup GROUP BY interface_id
),
events AS (
    SELECT interface_id,
           count(*) FILTER (WHERE log_status = 'NODATA') AS nodata_intervals,
           count(*) FILTER (WHERE log_status = 'SKIPDATA') AS skipdata_intervals,
           min(start_time) AS first_event, max(end_time) AS last_event
    FROM coverage_events GROUP BY interface_id
)
SELECT h.interface_id, h.account_id, h.region, h.records,
       coalesce(t.accepted, 0) AS accepted, coalesce(t.rejected, 0) AS rejected,
       least(t.first_seen, e.first_event) AS first_record,
       greatest(t.last_seen, e.last_event) AS last_record,
       coalesce(e.nodata_intervals, 0) AS nodata_intervals,
       coalesce(e.skipdata_intervals, 0) AS skipdata_intervals,
       h.hours_delivered
FROM hours h
LEFT JOIN traffic t USING (interface_id)
LEFT JOIN events e USING (interface_id)
ORDER BY h.interface_id;
