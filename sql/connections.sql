-- name: connections
-- The inbound connections the interfaces accepted in the window, one row per
-- (interface, protocol, service port, remote address), each marked probe or not.
-- Only `direction = 'inbound'` roll-up rows count (the interface answered: return traffic of
-- connections it opened is never use of an inbound rule) and only rows with accepted records
-- (`accepted > 0`): a rejected attempt was not let in by any rule.
-- Probe: every hour-row of the key looks like scanning. TCP: per connection the remote sent at
-- most $probe_max_bytes_in bytes in at most $probe_max_packets_in packets (handshake-sized), or
-- at most $probe_max_payload_in bytes beyond minimal headers (40 IPv4, 60 IPv6 a packet: a
-- banner grab), or ($probe_no_response) the interface sent nothing back. Other protocols: the
-- interface sent nothing back and the remote sent handshake-sized traffic.
-- One pass, two levels (key and day, then key), no join: flat memory on large roll-ups.
-- Parameters: $interfaces (VARCHAR[]), $start, $end (TIMESTAMP; window [start, end), by hour),
--   $probe_max_bytes_in, $probe_max_packets_in, $probe_max_payload_in (BIGINT),
--   $probe_no_response (BOOLEAN).
-- Columns: interface_id, protocol, service_port, remote_addr, remote_family, connections,
--   packets, bytes, first_seen, last_seen, is_probe, daily ('offset:connections,...': days
--   from $start's date; text, because Python converts it far faster than a list).
WITH per_day AS (
    SELECT interface_id, protocol, coalesce(service_port, -1) AS port_key, remote_addr,
           any_value(remote_family) AS remote_family, hour::DATE AS day,
           sum(connections)::BIGINT AS connections, sum(packets_in + packets_out)::BIGINT AS packets,
           sum(bytes_in + bytes_out)::BIGINT AS bytes, min(first_seen) AS first_seen,
           max(last_seen) AS last_seen,
           bool_and(
               probe_like(protocol, remote_family, connections, packets_in, bytes_in, packets_out,
                      $probe_max_bytes_in, $probe_max_packets_in, $probe_max_payload_in,
                      $probe_no_response)
           ) AS probe_like
    FROM flow_rollup
    WHERE direction = 'inbound' AND accepted > 0
      AND interface_id IN (SELECT unnest($interfaces::VARCHAR[]))
      AND hour >= $start AND hour < $end
    GROUP BY interface_id, protocol, port_key, remote_addr, day
)
SELECT interface_id, protocol, nullif(port_key, -1) AS service_port, remote_addr,
       any_value(remote_family) AS remote_family, sum(connections)::BIGINT AS connections,
       sum(packets)::BIGINT AS packets, sum(bytes)::BIGINT AS bytes, min(first_seen) AS first_seen,
       max(last_seen) AS last_seen, bool_and(probe_like) AS is_probe,
       string_agg(datediff('day', $start::DATE, day) || ':' || connections, ',' ORDER BY day)
           AS daily
FROM per_day
GROUP BY interface_id, protocol, port_key, remote_addr
ORDER BY interface_id, protocol, port_key, remote_addr;
