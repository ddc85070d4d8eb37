-- name: plan_evidence_samples
-- Per view of plan_evidence.sql, the raw records of its sample: the records kept at ingest
-- (flow_samples, inside the window) of its $size busiest real connections, then of its $size
-- busiest probes (ties: interface, protocol, port, address), in that order, each record once,
-- the first $size. Parameters: $views as in plan_evidence.sql, $size (INTEGER),
--   $start, $end (TIMESTAMP). Columns: view_id, record (in order).
WITH views AS (SELECT unnest(from_json(value, '{"view_id": "INTEGER", "rule_id": "INTEGER", "protocol": "INTEGER", "port_key": "INTEGER"}')) FROM json_each($views::JSON)),
rows AS (
    SELECT v.view_id, m.*
    FROM views v
    JOIN plan_matches m ON m.rule_id = v.rule_id
    WHERE v.protocol IS NULL
       OR (m.protocol = v.protocol AND m.port_key = v.port_key AND NOT m.is_probe)
),
keyed AS (
    SELECT *, row_number() OVER (PARTITION BY view_id, is_probe
                                 ORDER BY connections DESC, interface_id, protocol, port_key,
                                          remote_addr) AS rank
    FROM rows
),
records AS (
    SELECT k.view_id, s.record, k.is_probe, k.rank, s.start_time
    FROM keyed k
    -- by the key's hash, as ingest computed it (samples_insert.sql): one integer join
    JOIN flow_samples s
      ON s.key_hash = hash(k.interface_id, 'inbound', k.protocol,
                           nullif(k.port_key, -1)::INTEGER, k.remote_addr)
    WHERE k.rank <= $size AND s.direction = 'inbound'
      AND s.start_time >= $start AND s.start_time < $end
),
first_seen AS (
    SELECT *, row_number() OVER (PARTITION BY view_id, record
                                 ORDER BY is_probe, rank, start_time) AS copy
    FROM records
),
ordered AS (
    SELECT view_id, record,
           row_number() OVER (PARTITION BY view_id ORDER BY is_probe, rank, start_time, record)
               AS position
    FROM first_seen
    WHERE copy = 1
)
SELECT view_id, record FROM ordered WHERE position <= $size ORDER BY view_id, position;
