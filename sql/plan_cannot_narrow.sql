-- name: plan_cannot_narrow
-- The (rule, protocol, port) buckets of world-open rules whose real sources can be shown, without
-- reading them one by one, not to fit in $limit prefixes no wider than /$w4 (IPv4) or /$w6
-- (IPv6): the planner keeps such a rule and asks for a decision, so plan_rule_sources need not
-- fetch their connections (at 20M benchmark records, millions of rows on SSH and databases).
--
-- The bound (decide.narrow_sources, prefixes.aggregate): every prefix aggregate() returns is
-- either inside one /w block or an aligned run of /w blocks that all hold sources. Take a node
-- one bit wider (/w-1) that holds a source which is no ENI's address (so no group reference can
-- take it away) and whose two /w halves do not both hold real sources of the bucket: no prefix
-- can reach beyond that node to cover it, so each such node needs a prefix of its own. More
-- such nodes than $limit: no fit. The exact check (prefixes._fewest_prefixes, the greedy) still
-- decides every bucket this does not rule out. tests/test_rule_use_rules.py holds it to the
-- exact check.
-- Parameters: $buckets (JSON text, as plan_rule_sources), $known (JSON text: the hex addresses
--   of the inventory's ENIs), $w4, $w6, $limit (INTEGER).
-- Columns: rule_id, protocol, port_key.
WITH buckets AS (
    SELECT unnest(from_json(value,
        '{"rule_id": "INTEGER", "protocol": "INTEGER", "port_key": "INTEGER"}')) FROM json_each($buckets::JSON)
),
known AS (SELECT DISTINCT unnest(from_json($known::JSON, '["VARCHAR"]')) AS remote_hex),
sources AS (
    SELECT DISTINCT m.rule_id, m.protocol, m.port_key, m.remote_hex,
           CASE m.remote_family WHEN 4 THEN $w4::INTEGER ELSE $w6::INTEGER END AS w
    FROM plan_matches m
    SEMI JOIN buckets x
      ON x.rule_id = m.rule_id AND x.protocol = m.protocol AND x.port_key = m.port_key
    WHERE NOT m.is_probe AND m.remote_hex IS NOT NULL
),
nodes AS (
    SELECT s.rule_id, s.protocol, s.port_key, hex_bits(s.remote_hex, s.w - 1) AS node,
           count(DISTINCT hex_bit(s.remote_hex, s.w - 1)) AS halves,
           bool_or(k.remote_hex IS NULL) AS unreferenced
    FROM sources s
    LEFT JOIN known k USING (remote_hex)
    WHERE s.w >= 1
    GROUP BY s.rule_id, s.protocol, s.port_key, node
)
SELECT rule_id, protocol, port_key
FROM nodes
WHERE halves = 1 AND unreferenced
GROUP BY rule_id, protocol, port_key
HAVING count(*) > $limit::INTEGER
ORDER BY rule_id, protocol, port_key;
