-- name: plan_rule_sources
-- The individual connections the planner needs to narrow a world-open rule: the real ones on
-- the (rule, protocol, port) buckets in $buckets, and every probe of the rules in $rules.
-- Parameters: $buckets (JSON text: a list of {rule_id, protocol, port_key}), $rules (JSON text:
--   a list of rule ids), $start (TIMESTAMP: day offsets in `daily` count from its date). JSON:
--   DuckDB converts Python lists value by value, far slower at tens of thousands of rules.
-- Columns: the rule, then the columns of connections.sql (verdict before daily; daily NULL on
--   probe rows).
WITH buckets AS (
    SELECT unnest(from_json(value,
        '{"rule_id": "INTEGER", "protocol": "INTEGER", "port_key": "INTEGER"}')) FROM json_each($buckets::JSON)
),
probe_rules AS (SELECT unnest(from_json($rules::JSON, '["INTEGER"]')) AS rule_id),
picked AS (
    SELECT m.*
    FROM plan_matches m
    WHERE (NOT m.is_probe AND EXISTS (
              SELECT 1 FROM buckets x
              WHERE x.rule_id = m.rule_id AND x.protocol = m.protocol
                AND x.port_key = m.port_key))
       OR (m.is_probe AND m.rule_id IN (SELECT rule_id FROM probe_rules))
)
-- Probes give only their address to Python (RuleUse.probe_addrs): their rows skip the join with
-- plan_days (daily NULL), which at 2M benchmark records were ~2/3 of the rows.
SELECT * FROM (
SELECT p.rule_id, p.interface_id, p.protocol, p.service_port, p.remote_addr, p.remote_family,
       p.connections, p.packets, p.bytes, p.first_seen, p.last_seen, p.is_probe,
       p.verdict,
       string_agg(datediff('day', $start::DATE, d.day) || ':' || d.connections, ','
                  ORDER BY d.day) AS daily
FROM picked p
JOIN plan_days d USING (interface_id, protocol, port_key, remote_addr)
WHERE NOT p.is_probe
GROUP BY p.rule_id, p.interface_id, p.protocol, p.port_key, p.service_port, p.remote_addr,
         p.remote_family, p.connections, p.packets, p.bytes, p.first_seen, p.last_seen,
         p.is_probe, p.verdict
UNION ALL
SELECT p.rule_id, p.interface_id, p.protocol, p.service_port, p.remote_addr, p.remote_family,
       p.connections, p.packets, p.bytes, p.first_seen, p.last_seen, p.is_probe,
       p.verdict, NULL AS daily
FROM picked p
WHERE p.is_probe
)
ORDER BY rule_id, interface_id, protocol, coalesce(service_port, -1), remote_addr;
