-- name: infer_addresses
-- For interfaces of this batch (temp table `stage`) with no known address, infer the local address
-- per address family: the one present in the most records (every record of an interface has the
-- interface on one side), and only when it is present in at least half of them and strictly
-- more often than any other address. A tie (one peer in every record) is broken by one fact
-- only: for IPv4, srcaddr/dstaddr always show the interface's primary *private* address, so
-- of a private and a public address the private one is the interface's. Between two private
-- addresses (10.0.1.20 <-> 10.0.1.5) nothing is inferred: never string order, which made
-- 10.0.1.20 -> 10.0.1.5:22 outbound and 10.0.1.9 -> 10.0.1.5:22 inbound. Records with flow-direction say it directly and weigh most. Without a clear winner
-- rollup_batch.sql falls back to its documented responder rule (docs/ingest.md). No parameters.
INSERT INTO interface_addresses
WITH direct AS (
    SELECT interface_id, CASE WHEN flow_direction = 'ingress' THEN dstaddr ELSE srcaddr END AS address,
           1000000 AS weight
    FROM stage
    WHERE flow_direction IN ('ingress', 'egress') AND srcaddr IS NOT NULL
),
either_side AS (
    SELECT interface_id, srcaddr AS address, 1 AS weight FROM stage
    WHERE srcaddr IS NOT NULL AND flow_direction IS NULL
    UNION ALL
    SELECT interface_id, dstaddr AS address, 1 AS weight FROM stage
    WHERE dstaddr IS NOT NULL AND flow_direction IS NULL
),
family_totals AS (
    SELECT interface_id, contains(address, ':') AS v6, sum(weight) AS total
    FROM (SELECT * FROM direct UNION ALL SELECT * FROM either_side)
    WHERE interface_id IS NOT NULL
    GROUP BY interface_id, contains(address, ':')
),
scored AS (
    SELECT interface_id, address, sum(weight) AS score
    FROM (SELECT * FROM direct UNION ALL SELECT * FROM either_side)
    WHERE interface_id IS NOT NULL
      AND interface_id NOT IN (SELECT interface_id FROM interface_addresses)
    GROUP BY interface_id, address
),
ranked AS (
    SELECT s.interface_id, s.address, s.score, t.total, s.private_v4,
           row_number() OVER family_order AS rank,
           lead(s.score) OVER family_order AS runner_up,
           lead(s.private_v4) OVER family_order AS runner_up_private_v4
    FROM (
        SELECT *, (address LIKE '10.%' OR address LIKE '192.168.%'
                   OR regexp_matches(address, '^172\.(1[6-9]|2[0-9]|3[01])\.')) AS private_v4
        FROM scored
    ) s
    JOIN family_totals t
      ON t.interface_id = s.interface_id AND t.v6 = contains(s.address, ':')
    WINDOW family_order AS (
        PARTITION BY s.interface_id, contains(s.address, ':')
        ORDER BY s.score DESC, s.private_v4 DESC, s.address
    )
)
SELECT interface_id, address, 'inferred' FROM ranked
WHERE rank = 1 AND 2 * score >= total
  AND (runner_up IS NULL OR score > runner_up
       OR (score = runner_up AND private_v4 AND NOT runner_up_private_v4));
