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
client_ports AS (
    -- one row per key and hour: rollup_client_ports holds one row per batch that saw new ports
    SELECT key_hash, hour_index, flatten(list(ports)) AS ports
    FROM rollup_client_ports
    WHERE hour_index >= epoch($start::TIMESTAMP)::BIGINT // 3600
      AND hour_index < epoch($end::TIMESTAMP)::BIGINT // 3600
    GROUP BY key_hash, hour_index
),
rows AS (
    SELECT r.*, hash(r.interface_id, r.direction, r.protocol, r.service_port, r.remote_addr)
               AS key_hash,
           epoch(r.hour)::BIGINT // 3600 AS hour_index
    FROM flow_rollup r
    WHERE r.interface_id IN (SELECT interface_id FROM wanted) AND r.hour >= $start
      AND r.hour < $end
),
traffic AS (
    SELECT interface_id, hour, protocol, remote_addr,
           sum(records) AS records, sum(packets_in) AS packets_in, sum(bytes_in) AS bytes_in,
           sum(packets_out) AS packets_out, sum(bytes_out) AS bytes_out,
           sum(accepted) AS accepted, sum(rejected) AS rejected,
           list_sort(list_distinct(flatten(list(
               list_append(coalesce(c.ports::INTEGER[], []::INTEGER[]), service_port)
           )))) AS ports
    FROM rows
    LEFT JOIN client_ports c USING (key_hash, hour_index)
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
                     accepted, rejected, array_to_string(ports, ',')) AS line
    FROM traffic
    UNION ALL
    SELECT concat_ws(' ', 'delivered', interface_id, strftime(hour, '%Y-%m-%dT%H'), ok, nodata,
                     skipdata)
    FROM delivered
)
SELECT (SELECT coalesce(sum(records), 0) FROM traffic) AS records,
       md5(coalesce(string_agg(line, chr(10) ORDER BY line), '')) AS digest
FROM lines;
