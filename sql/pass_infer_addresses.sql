-- name: pass_infer_addresses
-- infer_addresses.sql from the one-pass rows (temp table `pass_rows`, sql/pass_batch.sql): the
-- same votes (a record with flow-direction votes 1000000 for its interface-side address; one
-- without votes 1 for each of its addresses), weighted by the records a row holds, and the same
-- ranking (kept identical to infer_addresses.sql below the votes; the equality test,
-- tests/test_ingest_equality.py, ingests the corpus both ways). No parameters.
INSERT INTO interface_addresses
WITH votes AS (
    -- T rows and U rows with flow-direction: addr_a is the interface's side
    SELECT interface_id, addr_a AS address, 1000000 * records AS weight
    FROM pass_rows
    WHERE kind = 'T' OR (kind = 'U' AND is_rx IS NOT NULL)
    UNION ALL
    SELECT interface_id, CASE WHEN flow_direction = 'ingress' THEN addr_b ELSE addr_a END,
           1000000 * records
    FROM pass_rows
    WHERE kind = 'C' AND flow_direction IN ('ingress', 'egress') AND addr_a IS NOT NULL
    UNION ALL
    SELECT interface_id, addr_a, records FROM pass_rows
    WHERE kind <> 'T' AND flow_direction IS NULL AND addr_a IS NOT NULL
    UNION ALL
    SELECT interface_id, addr_b, records FROM pass_rows
    WHERE kind <> 'T' AND flow_direction IS NULL AND addr_b IS NOT NULL
),
family_totals AS (
    SELECT interface_id, contains(address, ':') AS v6, sum(weight) AS total
    FROM votes
    WHERE interface_id IS NOT NULL
    GROUP BY interface_id, contains(address, ':')
),
scored AS (
    SELECT interface_id, address, sum(weight) AS score
    FROM votes
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
