-- name: window_digest
-- The flow-log data a plan rests on, as one digest: per interface, hour, protocol and remote
-- address of the window, flow_rollup's records, packets and bytes each way and accepted/rejected
-- counts, and per interface and hour interface_hours' OK/NODATA/SKIPDATA counts. Only sums, so
-- the same records give the same digest however ingest batched them (a workspace built over
-- several runs, or the snapshot's flow logs read again in memory). Direction is left out: it
-- may be decided otherwise once listeners are learned from later objects. Ports are in as a set
-- per interface, hour, protocol and remote address: the service ports and the initiators' ports
-- (rollup_client_ports, by rollup_batch.sql's key_hash), which together are every port the
-- records carried whichever side was decided the service, so a record whose only change is its
-- port changes the digest.
-- Parameters: $interfaces (JSON text: a list of interface ids), $start, $end (the window's
-- hours, end exclusive).
-- Columns: records (flow records of the interfaces in the window), digest (md5 hex).
WITH wanted AS (SELECT DISTINCT unnest(from_json($interfaces, '["VARCHAR"]')) AS interface_id),
traffic AS (
    SELECT interface_id, hour, protocol, remote_addr,
           sum(records) AS records, sum(packets_in) AS packets_in, sum(bytes_in) AS bytes_in,
           sum(packets_out) AS packets_out, sum(bytes_out) AS bytes_out,
           sum(accepted) AS accepted, sum(rejected) AS rejected
    FROM flow_rollup
    WHERE interface_id IN (SELECT interface_id FROM wanted) AND hour >= $start AND hour < $end
    GROUP BY interface_id, hour, protocol, remote_addr
),
keys AS (
    SELECT DISTINCT interface_id, hour, protocol, remote_addr, service_port,
           hash(interface_id, direction, protocol, service_port, remote_addr) AS key_hash,
           epoch(hour)::BIGINT // 3600 AS hour_index
    FROM flow_rollup
    WHERE interface_id IN (SELECT interface_id FROM wanted) AND hour >= $start AND hour < $end
),
ports AS (
    SELECT interface_id, hour, protocol, remote_addr, service_port AS port
    FROM keys WHERE service_port IS NOT NULL
    UNION
    SELECT k.interface_id, k.hour, k.protocol, k.remote_addr, unnest(p.ports)::INTEGER AS port
    FROM keys k
    JOIN rollup_client_ports p ON p.key_hash = k.key_hash AND p.hour_index = k.hour_index
),
port_sets AS (
    SELECT interface_id, hour, protocol, remote_addr,
           string_agg(port::VARCHAR, ',' ORDER BY port) AS ports
    FROM ports
    GROUP BY interface_id, hour, protocol, remote_addr
),
delivered AS (
    SELECT interface_id, hour, sum(ok_records) AS ok, sum(nodata_records) AS nodata,
           sum(skipdata_records) AS skipdata
    FROM interface_hours
    WHERE interface_id IN (SELECT interface_id FROM wanted) AND hour >= $start AND hour < $end
    GROUP BY interface_id, hour
),
lines AS (
    SELECT concat_ws(' ', 'traffic', interface_id, strftime(hour, '%Y-%m-%dT%H'), protocol,
                     remote_addr, records, packets_in, bytes_in, packets_out, bytes_out,
                     accepted, rejected, coalesce(s.ports, '-')) AS line
    FROM traffic t
    LEFT JOIN port_sets s USING (interface_id, hour, protocol, remote_addr)
    UNION ALL
    SELECT concat_ws(' ', 'delivered', interface_id, strftime(hour, '%Y-%m-%dT%H'), ok, nodata,
                     skipdata)
    FROM delivered
)
SELECT (SELECT coalesce(sum(records), 0) FROM traffic) AS records,
       md5(coalesce(string_agg(line, chr(10) ORDER BY line), '')) AS digest
FROM lines;
