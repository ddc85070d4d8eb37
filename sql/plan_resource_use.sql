-- name: plan_resource_use
-- Who reached a resource's ENIs (EC2.9 instance, RDS.2 DB), from the working set `plan_keys`,
-- per class: real internet sources, real private sources, internet probes. Per class: distinct
-- sources, connections, and the top $top sources by connections (then address).
-- Parameters: $interfaces (VARCHAR[]), $top (INTEGER).
-- Columns: class ('internet' | 'internal' | 'internet_probes'), source_count, connections,
--   sources (list of {address, connections}).
WITH per_source AS (
    SELECT CASE WHEN NOT is_probe AND internet THEN 'internet'
                WHEN NOT is_probe THEN 'internal'
                WHEN internet THEN 'internet_probes' END AS class,
           remote_addr, sum(connections)::BIGINT AS connections
    FROM plan_keys
    WHERE list_contains($interfaces, interface_id)
    GROUP BY ALL
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY class ORDER BY connections DESC, remote_addr)
               AS rank
    FROM per_source
    WHERE class IS NOT NULL
)
SELECT class, count(*) AS source_count, sum(connections)::BIGINT AS connections,
       list({'address': remote_addr, 'connections': connections} ORDER BY rank)
           FILTER (WHERE rank <= $top) AS sources
FROM ranked
GROUP BY class;
