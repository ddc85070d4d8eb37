-- name: plan_days
-- The planner's working set, step 1: inbound accepted use per (interface, protocol, service
-- port, remote address) and day over the window, each day marked probe-like or not — the same
-- rows (inbound_accepted, inbound_use.sql) and the same probe rule as connections.sql, kept in
-- DuckDB instead of sent to Python.
-- Writes temp table `plan_days`. Parameters: $interfaces (JSON text: a list of interface ids;
--   analysis/params.py), $start, $end (TIMESTAMP),
--   $classify (STRUCT: Thresholds.as_params()). Each row carries its key's verdict from
--   source_verdicts (classify_sources.sql).
CREATE OR REPLACE TEMP TABLE plan_days AS
WITH per_day AS (
    SELECT interface_id, protocol, port_key, remote_addr,
           any_value(remote_family) AS remote_family, any_value(remote_hex) AS remote_hex,
           hour::DATE AS day, sum(connections)::BIGINT AS connections,
           sum(packets_in + packets_out)::BIGINT AS packets,
           sum(bytes_in + bytes_out)::BIGINT AS bytes,
           min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM inbound_accepted(from_json($interfaces, '["VARCHAR"]'), $start, $end)
    GROUP BY interface_id, protocol, port_key, remote_addr, day
)
SELECT d.*, v.is_probe AS probe_like, v.verdict
FROM per_day d
JOIN source_verdicts(from_json($interfaces, '["VARCHAR"]'), $start, $end, $classify) v
  USING (interface_id, protocol, port_key, remote_addr);
