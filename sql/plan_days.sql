-- name: plan_days
-- The planner's working set, step 1: inbound accepted use per (interface, protocol, service
-- port, remote address) and day over the window, each day marked probe-like or not — the same
-- rows and the same probe rule as connections.sql, kept in DuckDB instead of sent to Python.
-- Writes temp table `plan_days`. Parameters: $interfaces (VARCHAR[]), $start, $end (TIMESTAMP),
--   $probe_max_bytes_in, $probe_max_packets_in, $probe_max_payload_in (BIGINT),
--   $probe_no_response (BOOLEAN).
CREATE OR REPLACE TEMP TABLE plan_days AS
SELECT interface_id, protocol, coalesce(service_port, -1) AS port_key, remote_addr,
       any_value(remote_family) AS remote_family, any_value(remote_hex) AS remote_hex,
       hour::DATE AS day, sum(connections)::BIGINT AS connections,
       sum(packets_in + packets_out)::BIGINT AS packets, sum(bytes_in + bytes_out)::BIGINT AS bytes,
       min(first_seen) AS first_seen, max(last_seen) AS last_seen,
       bool_and(
           probe_like(protocol, remote_family, connections, packets_in, bytes_in, packets_out,
                      $probe_max_bytes_in, $probe_max_packets_in, $probe_max_payload_in,
                      $probe_no_response)
       ) AS probe_like
FROM flow_rollup
WHERE direction = 'inbound' AND accepted > 0
  AND interface_id IN (SELECT unnest($interfaces::VARCHAR[]))
  AND hour >= $start AND hour < $end
GROUP BY interface_id, protocol, port_key, remote_addr, day;
