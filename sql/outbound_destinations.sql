-- name: outbound_destinations
-- Connections the interfaces opened (direction outbound, accepted), per interface and remote
-- address: what an instance reaches out to, e.g. the internet through its public IP.
-- Parameters: $interfaces (JSON text: a list of interface ids; analysis/params.py), $start, $end (TIMESTAMP; window [start, end)).
-- Columns: interface_id, remote_addr, protocol, service_port, connections, bytes.
WITH wanted AS (SELECT DISTINCT unnest(from_json($interfaces, '["VARCHAR"]')) AS interface_id)
SELECT interface_id, remote_addr, protocol, service_port,
       sum(connections) AS connections, sum(bytes_in + bytes_out) AS bytes
FROM flow_rollup
WHERE direction = 'outbound' AND accepted > 0
  AND interface_id IN (SELECT interface_id FROM wanted)
  AND hour >= $start AND hour < $end
GROUP BY ALL
ORDER BY interface_id, connections DESC, remote_addr;
