-- name: plan_resource_use
-- Who reached each resource's ENIs (EC2.9 instance, RDS.2 DB), from the working set `plan_keys`,
-- per resource and class: real internet sources, real private sources, internet probes. Per
-- class: distinct sources, connections, and the top $top sources by connections (then address).
-- All resources in one query (it was one query per resource: ~800 round trips at 35,000 findings).
-- Parameters: $resources (JSON text: a list of {resource: INTEGER, interfaces: [VARCHAR]}; JSON
--   for the reason in analysis/params.py), $top (INTEGER).
-- Columns: resource, class ('internet' | 'internal' | 'internet_probes'), source_count,
--   connections, sources (list of {address, connections}). No row for a class nothing reached.
WITH resources AS (
    SELECT unnest(from_json(value, '{"resource": "INTEGER", "interfaces": ["VARCHAR"]}')) FROM json_each($resources::JSON)
),
resource_enis AS (
    SELECT DISTINCT resource, interface_id
    FROM (SELECT resource, unnest(interfaces) AS interface_id FROM resources)
),
per_source AS (
    SELECT e.resource,
           CASE WHEN NOT k.is_probe AND k.internet THEN 'internet'
                WHEN NOT k.is_probe THEN 'internal'
                WHEN k.internet THEN 'internet_probes' END AS class,
           k.remote_addr, sum(k.connections)::BIGINT AS connections
    FROM resource_enis e
    JOIN plan_keys k ON k.interface_id = e.interface_id
    GROUP BY ALL
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY resource, class ORDER BY connections DESC, remote_addr)
               AS rank
    FROM per_source
    WHERE class IS NOT NULL
)
SELECT resource, class, count(*) AS source_count, sum(connections)::BIGINT AS connections,
       list({'address': remote_addr, 'connections': connections} ORDER BY rank)
           FILTER (WHERE rank <= $top) AS sources
FROM ranked
GROUP BY resource, class;
