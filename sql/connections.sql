-- name: connections
-- The inbound connections the interfaces accepted in the window, one row per
-- (interface, protocol, service port, remote address), each marked probe or not.
-- The rows are inbound_accepted's (inbound_use.sql): inbound, accepted, in the window.
-- Probe or real, and why: source_verdicts (classify_sources.sql), the one classifier.
-- One pass, two levels (key and day, then key), no join: flat memory on large roll-ups.
-- Parameters: $interfaces (VARCHAR[]), $start, $end (TIMESTAMP; window [start, end), by hour),
--   $classify (STRUCT: Thresholds.as_params()).
-- Columns: interface_id, protocol, service_port, remote_addr, remote_family, connections,
--   packets, bytes, first_seen, last_seen, is_probe, verdict, daily ('offset:connections,...': days
--   from $start's date; text, because Python converts it far faster than a list).
WITH per_day AS (
    SELECT interface_id, protocol, port_key, remote_addr,
           any_value(remote_family) AS remote_family, hour::DATE AS day,
           sum(connections)::BIGINT AS connections, sum(packets_in + packets_out)::BIGINT AS packets,
           sum(bytes_in + bytes_out)::BIGINT AS bytes, min(first_seen) AS first_seen,
           max(last_seen) AS last_seen
    FROM inbound_accepted($interfaces::VARCHAR[], $start, $end)
    GROUP BY interface_id, protocol, port_key, remote_addr, day
)
SELECT d.interface_id, d.protocol, nullif(d.port_key, -1) AS service_port, d.remote_addr,
       any_value(d.remote_family) AS remote_family, sum(d.connections)::BIGINT AS connections,
       sum(d.packets)::BIGINT AS packets, sum(d.bytes)::BIGINT AS bytes,
       min(d.first_seen) AS first_seen, max(d.last_seen) AS last_seen,
       any_value(v.is_probe) AS is_probe, any_value(v.verdict) AS verdict,
       string_agg(datediff('day', $start::DATE, d.day) || ':' || d.connections, ','
                  ORDER BY d.day) AS daily
FROM per_day d
JOIN source_verdicts($interfaces::VARCHAR[], $start, $end, $classify) v
  USING (interface_id, protocol, port_key, remote_addr)
GROUP BY d.interface_id, d.protocol, d.port_key, d.remote_addr
ORDER BY d.interface_id, d.protocol, d.port_key, d.remote_addr;
