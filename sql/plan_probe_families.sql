-- name: plan_probe_families
-- The probe sources of each whole-rule view (protocol NULL) by family: every source counted once,
-- in the family of its busiest key (the key whose verdict the evidence shows, as plan_evidence
-- picks it). The same numbers as sgharden.analysis.evidence.probe_families.
-- Parameters: $views (JSON text, as plan_evidence), $markers (JSON text: a list of
--   {rank, family, marker} from analysis/verdicts.PROBE_FAMILIES; a verdict containing a marker
--   is in its family, the lowest rank first; none: 'other').
-- Columns: view_id, family, sources, connections.
WITH views AS (SELECT unnest(v) FROM (SELECT unnest(from_json($views::JSON, '[{"view_id": "INTEGER", "rule_id": "INTEGER", "protocol": "INTEGER", "port_key": "INTEGER"}]')) AS v)),
markers AS (SELECT unnest(m) FROM (SELECT unnest(from_json($markers::JSON, '[{"rank": "INTEGER", "family": "VARCHAR", "marker": "VARCHAR"}]')) AS m)),
per_source AS (
    SELECT v.view_id, m.remote_addr, sum(m.connections) AS connections,
           first(m.verdict ORDER BY m.connections DESC, m.interface_id, m.protocol, m.port_key) AS verdict
    FROM views v
    JOIN plan_matches m ON m.rule_id = v.rule_id
    WHERE v.protocol IS NULL AND m.is_probe
    GROUP BY ALL
),
labelled AS (
    SELECT p.view_id, p.remote_addr, p.connections,
           coalesce(arg_min(k.family, k.rank), 'other') AS family
    FROM per_source p
    LEFT JOIN markers k ON contains(coalesce(p.verdict, ''), k.marker)
    GROUP BY p.view_id, p.remote_addr, p.connections
)
SELECT view_id, family, count(*) AS sources, sum(connections) AS connections
FROM labelled
GROUP BY ALL;
