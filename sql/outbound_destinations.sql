-- name: outbound_destinations
-- Connections the interfaces opened (direction outbound, accepted), per interface and remote
-- address: what an instance reaches out to, e.g. the internet through its public IP.
-- Parameters: $interfaces (VARCHAR[]), $start, $end (TIMESTAMP; window [start, end)).
-- Columns: interface_id, remote_addr, protocol, service_port, connections, bytes.
SELECT interface_id, remote_addr, protocol, service_port,
       sum(connections) AS connections, sum(bytes_in + bytes_out) AS bytes
FROM flow_rollup
WHERE direction = 'outbound' AND accepted > 0
  AND list_contains($interfaces, interface_id)
  AND hour >= $start AND hour < $end
GROUP BY ALL
ORDER BY interface_id, connections DESC, remote_addr;
