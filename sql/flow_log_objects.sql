-- name: flow_log_objects
-- Per flow log id: the delivered objects already ingested (from `ingested_objects`), for
-- `flow-logs status`. Parameters: $flow_log_ids (VARCHAR[]): the flow logs asked about.
-- Columns: flow_log_id, objects, records.
SELECT
    flow_log_id,
    count(*) AS objects,
    coalesce(sum(records), 0) AS records
FROM ingested_objects
WHERE list_contains($flow_log_ids, flow_log_id)
GROUP BY flow_log_id
ORDER BY flow_log_id
