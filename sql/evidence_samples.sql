-- name: evidence_samples
-- Raw flow records kept at ingest (flow_samples) for inbound connections of the given interfaces
-- from the given remote addresses, inside the window: the `sample` of a rule's evidence.
-- Parameters: $interfaces, $remotes (VARCHAR[]), $start, $end (TIMESTAMP; window [start, end)).
-- Columns: interface_id, protocol, service_port, remote_addr, record.
SELECT interface_id, protocol, service_port, remote_addr, record
FROM flow_samples
WHERE direction = 'inbound'
  AND list_contains($interfaces, interface_id)
  AND list_contains($remotes, remote_addr)
  AND start_time >= $start AND start_time < $end
ORDER BY interface_id, protocol, service_port, remote_addr, start_time, record;
