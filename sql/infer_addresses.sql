-- name: infer_addresses
-- For interfaces of this batch (temp table `stage`) with no known address, infer the local address
-- per address family: the one present in the most records (every record of an interface has the
-- interface on one side), and only when it is present in at least half of them. Ties go to a
-- private (RFC 1918 / ULA) address, then the smaller. Records with flow-direction say it directly
-- and weigh most. Without a clear winner nothing is inferred and orient.sql falls back to its
-- conservative rule. No parameters.
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
    SELECT s.interface_id, s.address, s.score, t.total,
           row_number() OVER (
               PARTITION BY s.interface_id, contains(s.address, ':')
               ORDER BY s.score DESC,
                        (s.address LIKE '10.%' OR s.address LIKE '192.168.%'
                         OR regexp_matches(s.address, '^172\.(1[6-9]|2[0-9]|3[01])\.')
                         OR lower(s.address) LIKE 'fd%') DESC,
                        s.address
           ) AS rank
    FROM scored s
    JOIN family_totals t
      ON t.interface_id = s.interface_id AND t.v6 = contains(s.address, ':')
)
SELECT interface_id, address, 'inferred' FROM ranked WHERE rank = 1 AND 2 * score >= total;
