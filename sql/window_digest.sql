-- name: window_digest
-- The flow-log data a plan rests on, as one digest: per interface, hour, protocol and remote
-- address of the window, flow_rollup's records, packets and bytes each way and accepted/rejected
-- counts, and per interface and hour interface_hours' OK/NODATA/SKIPDATA counts. Only sums, so
-- the same records give the same digest however ingest batched them (a workspace built over
-- several runs, or the snapshot's flow logs read again in memory). Direction and service port
-- are left out: they may be decided otherwise once listeners are learned from later objects.
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
                     accepted, rejected) AS line
    FROM traffic
    UNION ALL
    SELECT concat_ws(' ', 'delivered', interface_id, strftime(hour, '%Y-%m-%dT%H'), ok, nodata,
                     skipdata)
    FROM delivered
)
SELECT (SELECT coalesce(sum(records), 0) FROM traffic) AS records,
       md5(coalesce(string_agg(line, chr(10) ORDER BY line), '')) AS digest
FROM lines;
