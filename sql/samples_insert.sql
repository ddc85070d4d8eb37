-- name: samples_insert
-- Keeps one raw record per inbound connection key (interface, protocol, service port, remote
-- address): the earliest of the first batch that saw the key (ties: rollup_batch.sql). Bounded: one row per key. Keys are
-- compared by their 64-bit hash, so the "already sampled?" test is one integer join. Only inbound
-- keys: evidence quotes the connections that used an inbound rule (and the probes).
-- Reads temp tables `batch_rollup` and `stage`. No parameters.
INSERT INTO flow_sample_records
WITH per_key AS (
    SELECT key_hash, any_value(direction) AS direction, any_value(service_port) AS service_port,
           any_value(remote_addr) AS remote_addr, arg_min(sample_rid, sample_order) AS rid
    FROM batch_rollup
    WHERE direction = 'inbound'
    GROUP BY key_hash
),
fresh AS (
    SELECT k.* FROM per_key k ANTI JOIN flow_sample_records f ON f.key_hash = k.key_hash
)
SELECT k.key_hash, k.direction, k.service_port, s.srcaddr = k.remote_addr, s.version,
       s.account_id, s.interface_id, s.srcaddr, s.dstaddr, s.srcport, s.dstport, s.protocol,
       s.packets, s.bytes, s.start, s."end", s.action, s.log_status, s.source
FROM fresh k
JOIN stage s ON s.rowid = k.rid;
