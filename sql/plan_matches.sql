-- name: plan_matches
-- The planner's working set, step 3: which connections (plan_keys) each rule of the target
-- groups lets in, matched like sgharden.analysis.matching: the group's ENIs, protocol (-1 all),
-- service-port range (any_port: all-protocol and ICMP rules), and the peer as a whole family
-- (world_family: 0.0.0.0/0, ::/0) or address ranges in hex (CIDR, prefix-list CIDRs, the
-- member addresses of a referenced group). Writes temp table `plan_matches`.
-- Parameters: $rules (JSON text: a list of {rule_id, interfaces, protocol, lo, hi, any_port,
--   world_family, ranges: [{family, lo, hi}]}; JSON because DuckDB converts a Python list of
--   dicts value by value, ~20x slower at 35,000 rules). Read element by element (json_each): one
--   from_json over the whole list took ~6x the time and ~60 MiB at 22,000 rules.
CREATE OR REPLACE TEMP TABLE plan_matches AS
WITH rules AS MATERIALIZED (SELECT unnest(from_json(value, '{"rule_id": "INTEGER", "interfaces": ["VARCHAR"], "protocol": "INTEGER", "lo": "INTEGER", "hi": "INTEGER", "any_port": "BOOLEAN", "world_family": "INTEGER", "ranges": [{"family": "INTEGER", "lo": "VARCHAR", "hi": "VARCHAR"}]}')) FROM json_each($rules::JSON)),
rule_enis AS (SELECT rule_id, unnest(interfaces) AS interface_id FROM rules)
SELECT p.rule_id, k.*
FROM rules p
JOIN rule_enis e ON e.rule_id = p.rule_id
JOIN plan_keys k ON k.interface_id = e.interface_id
WHERE (p.protocol = -1 OR k.protocol = p.protocol)
  AND (p.any_port OR k.service_port IS NULL OR k.service_port BETWEEN p.lo AND p.hi)
  AND (k.remote_family = p.world_family
       OR (p.world_family IS NULL
           AND len(list_filter(p.ranges, g -> g.family = k.remote_family
                                             AND k.remote_hex BETWEEN g.lo AND g.hi)) > 0));
