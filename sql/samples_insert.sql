-- name: samples_insert
-- Keeps one raw record per connection key (interface, direction, protocol, service port, remote
-- address): the earliest of the first batch that saw the key. Bounded: one row per key. Keys are
-- compared by their 64-bit hash (`key_hash`), so the "already sampled?" test is one integer join.
-- Records are written back in the default v2 field order ('-' for null). Reads temp tables
-- `batch_rollup` and `stage`. No parameters.
INSERT INTO flow_samples
WITH per_key AS (
    SELECT key_hash, any_value(interface_id) AS interface_id, any_value(direction) AS direction,
           any_value(protocol) AS protocol, any_value(service_port) AS service_port,
           any_value(remote_addr) AS remote_addr, arg_min(sample_rid, first_start) AS rid
    FROM batch_rollup
    GROUP BY key_hash
),
fresh AS (
    SELECT k.* FROM per_key k ANTI JOIN flow_samples f ON f.key_hash = k.key_hash
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
       make_timestamp(s.start * 1000000),
       k.key_hash
FROM fresh k
JOIN stage s ON s.rowid = k.rid;
