-- name: samples_insert
-- Keeps up to $samples raw records per connection key (interface, direction, protocol, service
-- port, remote address): the earliest of this batch, for keys that have fewer than $samples.
-- Records are written back in the default v2 field order ('-' for null). Reads temp tables
-- `batch_rollup` and `stage`. Parameters: $samples.
INSERT INTO flow_samples
WITH candidates AS (
    SELECT interface_id, direction, protocol, service_port, remote_addr, unnest(sample_rids) AS rid
    FROM batch_rollup
),
have AS (
    SELECT interface_id, direction, protocol, service_port, remote_addr, count(*) AS n
    FROM flow_samples
    GROUP BY ALL
),
ranked AS (
    SELECT c.*, s.start, coalesce(h.n, 0) AS have_n,
           row_number() OVER (
               PARTITION BY c.interface_id, c.direction, c.protocol, c.service_port, c.remote_addr
               ORDER BY s.start, c.rid) AS rank
    FROM candidates c
    JOIN stage s ON s.rowid = c.rid
    LEFT JOIN have h
        ON h.interface_id = c.interface_id AND h.direction = c.direction
       AND h.protocol = c.protocol AND h.service_port IS NOT DISTINCT FROM c.service_port
       AND h.remote_addr = c.remote_addr
)
SELECT r.interface_id, r.direction, r.protocol, r.service_port, r.remote_addr,
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
FROM ranked r
JOIN stage s ON s.rowid = r.rid
WHERE r.rank + r.have_n <= $samples;
