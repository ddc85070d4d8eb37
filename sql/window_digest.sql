-- name: window_digest
-- The flow-log data a plan rests on, as one digest: per interface, hour, protocol and remote
-- address of the window, flow_rollup's records, packets and bytes each way and accepted/rejected
-- counts (this query's "traffic" lines), and per interface and hour interface_hours' OK/NODATA/
-- SKIPDATA counts (window_digest_delivered.sql). Only sums, so the same records give the same
-- digest however ingest batched them (a workspace built over several runs, or the snapshot's
-- flow logs read again in memory). Direction is left out: it may be decided otherwise once
-- listeners are learned from later objects. Ports are in as a set per interface, hour, protocol
-- and remote address: the service ports and the initiators' ports (rollup_client_ports, by
-- rollup_batch.sql's key_hash), which together are every port the records carried whichever
-- side was decided the service, so a record whose only change is its port changes the digest.
--
-- The digest is the md5 of all the lines in text order joined by newlines (delivered lines
-- sort before traffic lines), hashed in Python as they stream in (plan/fingerprint.py). This
-- query makes the traffic lines of some (interface, hour range)s at a time, in the order of
-- window_digest_units.sql: one query over every line (a string_agg, then a sort) ran out of
-- memory at 20M benchmark records. Interface ids are `eni-` and hex (awsids.py), so lines sort
-- by interface, then hour, and the batches' lines follow each other in text order.
-- Parameters: $ranges (JSON text: a list of {interface_id, lo, hi}: hours lo <= hour < hi).
-- Columns: line, records (the line's flow records), in line order.
WITH ranges AS (
    SELECT unnest(from_json(value,
        '{"interface_id": "VARCHAR", "lo": "TIMESTAMP", "hi": "TIMESTAMP"}')) FROM json_each($ranges::JSON)
),
rows AS MATERIALIZED (
    SELECT r.*, hash(r.interface_id, r.direction, r.protocol, r.service_port, r.remote_addr)
               AS key_hash,
           epoch(r.hour)::BIGINT // 3600 AS hour_index
    FROM flow_rollup r
    JOIN ranges x ON x.interface_id = r.interface_id AND r.hour >= x.lo AND r.hour < x.hi
),
client_ports AS (
    -- one row per key and hour: rollup_client_ports holds one row per batch that saw new ports;
    -- only the keys of `rows`
    SELECT c.key_hash, c.hour_index, flatten(list(c.ports)) AS ports
    FROM rollup_client_ports c
    SEMI JOIN rows r ON r.key_hash = c.key_hash AND r.hour_index = c.hour_index
    GROUP BY c.key_hash, c.hour_index
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
)
SELECT concat_ws(' ', 'traffic', interface_id, strftime(hour, '%Y-%m-%dT%H'), protocol,
                 remote_addr, records, packets_in, bytes_in, packets_out, bytes_out,
                 accepted, rejected, array_to_string(ports, ',')) AS line, records
FROM traffic
ORDER BY line;
