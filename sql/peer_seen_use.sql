-- name: peer_seen_use
-- Use of interfaces that have no flow-log data, seen from the other side: connections that
-- interfaces of the same VPC with flow logs opened to one of their addresses (the peer's
-- outbound rows whose remote is that address), per uncovered interface and service port.
-- A lower bound: what reached it from the internet or from peers without flow logs is unseen.
-- Parameters: $targets (JSON text: a list of {interface_id, address, vpc}), $peers (JSON text: a
--   list of {interface_id, vpc}: the interfaces of each VPC key; an interface is not its own
--   peer), $start, $end (TIMESTAMP: the window).
-- Columns: interface_id, protocol, service_port, peers, connections.
WITH targets AS (
    SELECT unnest(t) FROM (SELECT unnest(from_json($targets::JSON, '[{"interface_id": "VARCHAR", "address": "VARCHAR", "vpc": "VARCHAR"}]')) AS t)
),
peers AS (
    SELECT unnest(p) FROM (SELECT unnest(from_json($peers::JSON, '[{"interface_id": "VARCHAR", "vpc": "VARCHAR"}]')) AS p)
)
SELECT t.interface_id, r.protocol, r.service_port, count(DISTINCT r.interface_id) AS peers,
       sum(r.connections) AS connections
FROM flow_rollup r
JOIN peers p ON p.interface_id = r.interface_id
JOIN targets t ON r.remote_addr = t.address AND t.vpc = p.vpc AND t.interface_id <> r.interface_id
WHERE r.direction = 'outbound' AND r.hour >= $start AND r.hour < $end
GROUP BY ALL
ORDER BY t.interface_id, connections DESC, r.protocol, r.service_port;
