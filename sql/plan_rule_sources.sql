-- name: plan_rule_sources
-- The individual connections the planner needs to narrow a world-open rule: the real ones on
-- the (rule, protocol, port) buckets in $buckets, and every probe of the rules in $rules.
-- Parameters: $buckets STRUCT(rule_id INTEGER, protocol INTEGER, port_key INTEGER)[],
--   $rules INTEGER[]. Columns: the rule, then the columns of connections.sql.
SELECT m.rule_id, m.interface_id, m.protocol, m.service_port, m.remote_addr, m.remote_family,
       m.connections, m.packets, m.bytes, m.first_seen, m.last_seen, m.is_probe, m.daily
FROM plan_matches m
WHERE (NOT m.is_probe AND EXISTS (
          SELECT 1 FROM (SELECT unnest(b) FROM (SELECT unnest($buckets) AS b)) x
          WHERE x.rule_id = m.rule_id AND x.protocol = m.protocol AND x.port_key = m.port_key))
   OR (m.is_probe AND list_contains($rules, m.rule_id))
ORDER BY m.rule_id, m.interface_id, m.protocol, m.port_key, m.remote_addr;
