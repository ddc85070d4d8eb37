-- name: plan_rule_use
-- Each rule's use from `plan_matches`: per rule (protocol and port_key NULL) and per rule and
-- (protocol, service port): distinct real sources, of them internet ones, real connections,
-- distinct probe sources and probe connections. No parameters.
SELECT rule_id, protocol, port_key,
       count(DISTINCT remote_addr) FILTER (WHERE NOT is_probe) AS real_sources,
       count(DISTINCT remote_addr) FILTER (WHERE NOT is_probe AND internet) AS internet_sources,
       coalesce(sum(connections) FILTER (WHERE NOT is_probe), 0) AS real_connections,
       count(DISTINCT remote_addr) FILTER (WHERE is_probe) AS probe_sources,
       coalesce(sum(connections) FILTER (WHERE is_probe), 0) AS probe_connections
FROM plan_matches
GROUP BY GROUPING SETS ((rule_id), (rule_id, protocol, port_key))
ORDER BY rule_id, protocol NULLS FIRST, port_key;
