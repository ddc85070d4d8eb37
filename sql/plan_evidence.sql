-- name: plan_evidence
-- Evidence of plan lines computed from `plan_matches`, per view: a whole rule (protocol NULL:
-- real use and probes) or the real use of one (protocol, service port) of a rule. The same
-- numbers as sgharden.analysis.evidence.rule_evidence and sql/evidence.sql.
-- Parameters: $views (JSON text: a list of {view_id, rule_id, protocol, port_key}; JSON because
--   DuckDB converts a Python list of dicts value by value, ~20x slower at 35,000 rules),
--   $top (INTEGER: sources listed per class).
-- Columns: view_id, is_probe, connections, packets, bytes, first_seen, last_seen,
--   source_count, sources (top $top by connections, bytes, address; each with the classifier's
--   verdict text of its busiest key).
WITH views AS (SELECT unnest(from_json(value, '{"view_id": "INTEGER", "rule_id": "INTEGER", "protocol": "INTEGER", "port_key": "INTEGER"}')) FROM json_each($views::JSON)),
rows AS (
    SELECT v.view_id, m.*
    FROM views v
    JOIN plan_matches m ON m.rule_id = v.rule_id
    WHERE v.protocol IS NULL
       OR (m.protocol = v.protocol AND m.port_key = v.port_key AND NOT m.is_probe)
),
per_source AS (
    SELECT view_id, is_probe, remote_addr, sum(connections) AS connections,
           sum(bytes) AS bytes, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
           -- the verdict of the source's busiest key (as evidence.py's _by_source picks it)
           first(verdict ORDER BY connections DESC, interface_id, protocol, port_key) AS verdict
    FROM rows
    GROUP BY ALL
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY view_id, is_probe
                                 ORDER BY connections DESC, bytes DESC, remote_addr) AS rank
    FROM per_source
),
tops AS (
    SELECT view_id, is_probe, count(*) AS source_count,
           list({'address': remote_addr, 'connections': connections, 'bytes': bytes,
                 'first_seen': first_seen, 'last_seen': last_seen, 'verdict': verdict}
                ORDER BY rank)
               FILTER (WHERE rank <= $top) AS sources
    FROM ranked
    GROUP BY ALL
)
SELECT r.view_id, r.is_probe, sum(r.connections) AS connections, sum(r.packets) AS packets,
       sum(r.bytes) AS bytes, min(r.first_seen) AS first_seen, max(r.last_seen) AS last_seen,
       any_value(t.source_count) AS source_count, any_value(t.sources) AS sources
FROM rows r
JOIN tops t USING (view_id, is_probe)
GROUP BY r.view_id, r.is_probe;
