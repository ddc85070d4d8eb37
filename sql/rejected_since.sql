-- name: rejected_since
-- What the interfaces REJECTed since a change: one row per (interface, protocol, service port,
-- remote address) with at least one rejected record that ended at or after $since. Only inbound
-- roll-up rows: a remote tried to open a connection to the interface.
-- Parameters: $interfaces (VARCHAR[]), $since (TIMESTAMP, UTC).
-- Columns: interface_id, protocol, service_port, remote_addr, rejected_records, connections,
--   first_seen, last_seen.
SELECT interface_id,
       protocol,
       service_port,
       remote_addr,
       sum(rejected) AS rejected_records,
       sum(connections) AS connections,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM flow_rollup
WHERE list_contains($interfaces, interface_id)
  AND direction = 'inbound'
  AND rejected > 0
  AND last_seen >= $since
GROUP BY interface_id, protocol, service_port, remote_addr
ORDER BY interface_id, protocol, service_port, remote_addr
