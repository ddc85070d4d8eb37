-- name: samples_insert
-- Keeps one raw record per connection key (interface, direction, protocol, service port, remote
-- address): the earliest of the first batch that saw the key. Bounded: one row per key.
-- Records are written back in the default v2 field order ('-' for null). Reads temp tables
-- `batch_rollup` and `stage`. No parameters.
INSERT INTO flow_samples
WITH per_key AS (
    SELECT interface_id, direction, protocol, service_port, remote_addr,
           arg_min(sample_rid, first_start) AS rid
    FROM batch_rollup
    GROUP BY interface_id, direction, protocol, service_port, remote_addr
),
fresh AS (
    SELECT k.* FROM per_key k
    WHERE NOT EXISTS (
        SELECT 1 FROM flow_samples f
        WHERE f.interface_id = k.interface_id AND f.direction = k.direction
          AND f.protocol = k.protocol AND f.service_port IS NOT DISTINCT FROM k.service_port
          AND f.remote_addr = k.remote_addr)
)
SELECT k.interface_id, k.direction, k.protocol, k.service_port, k.remote_addr,
       concat_ws(' ',
           coalesce(s.version::VARCHAR, '-'), coalesce(s.account_id, '-'),
           coalesce(s.interface_id, '-'), coalesce(s.srcaddr, '-'), coalesce(s.dstaddr, '-'),
           coalesce(s.srcport::VARCHAR, '-'), coalesce(s.dstport::VARCHAR, '-'),
           coalesce(s.protocol::VARCHAR, '-'), coalesce(s.packets::VARCHAR, '-'),
           coalesce(s.bytes::VARCHAR, '-'), coalesce(s.start::VARCHAR, '-'),
           coalesce(s."end"::VARCHAR, '-'), coalesce(s.action, '-'), coalesce(s.log_status, '-')
       ) AS record,
       s.source,
       make_timestamp(s.start * 1000000)
FROM fresh k
JOIN stage s ON s.rowid = k.rid;
