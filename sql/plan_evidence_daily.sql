-- name: plan_evidence_daily
-- Per view of plan_evidence.sql and day: connections of real use and of probes (the days the
-- roll-up holds rows for). Parameters: $views as in plan_evidence.sql.
-- Columns: view_id, day (DATE), connections, probe_connections.
WITH views AS (SELECT unnest(from_json(value, '{"view_id": "INTEGER", "rule_id": "INTEGER", "protocol": "INTEGER", "port_key": "INTEGER"}')) FROM json_each($views::JSON)),
rows AS (
    SELECT v.view_id, m.interface_id, m.protocol, m.port_key, m.remote_addr, m.is_probe
    FROM views v
    JOIN plan_matches m ON m.rule_id = v.rule_id
    WHERE v.protocol IS NULL
       OR (m.protocol = v.protocol AND m.port_key = v.port_key AND NOT m.is_probe)
)
SELECT r.view_id, d.day,
       coalesce(sum(d.connections) FILTER (WHERE NOT r.is_probe), 0) AS connections,
       coalesce(sum(d.connections) FILTER (WHERE r.is_probe), 0) AS probe_connections
FROM rows r
JOIN plan_days d USING (interface_id, protocol, port_key, remote_addr)
GROUP BY r.view_id, d.day
ORDER BY r.view_id, d.day;
