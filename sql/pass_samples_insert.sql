-- name: pass_samples_insert
-- samples_insert.sql for a one-pass batch: one raw record per inbound connection key not sampled
-- before, the earliest (the same order, sql/pass_batch.sql). The record is put back together
-- from the roll-up row that holds it: the key gives interface, protocol and both addresses (the
-- order's side bit says which one sent it), the order gives its start, `sample` the rest.
-- A key whose earliest records tie in one object takes the record read first
-- (temp table `tie_winners`, sql/pass_tie_winners.sql).
-- Reads temp tables `batch_rollup` (sql/pass_rollup.sql) and `tie_winners`. No parameters.
INSERT INTO flow_sample_records
WITH per_key AS (
    SELECT key_hash, any_value(direction) AS direction, any_value(service_port) AS service_port,
           any_value(remote_addr) AS remote_addr,
           arg_min(struct_pack(sample := sample, local_addr := local_addr,
                               remote_addr := remote_addr, interface_id := interface_id,
                               protocol := protocol, sample_order := sample_order),
                   sample_order) AS w
    FROM batch_rollup
    WHERE direction = 'inbound'
    GROUP BY key_hash
),
fresh AS (
    SELECT k.* FROM per_key k ANTI JOIN flow_sample_records f ON f.key_hash = k.key_hash
),
picked AS (
    SELECT key_hash, direction, service_port, remote_addr AS key_remote, w.sample.rec AS r,
           w.sample.source AS source, w.interface_id AS interface_id, w.protocol AS protocol,
           ((w.sample_order >> 72) & 1) = 0 AS rx, (w.sample_order >> 73)::BIGINT AS start,
           CASE WHEN ((w.sample_order >> 72) & 1) = 0 THEN w.remote_addr ELSE w.local_addr END
               AS srcaddr,
           CASE WHEN ((w.sample_order >> 72) & 1) = 0 THEN w.local_addr ELSE w.remote_addr END
               AS dstaddr
    FROM fresh
)
SELECT key_hash, direction, service_port, srcaddr = key_remote, r.version, r.account_id,
       interface_id, srcaddr, dstaddr, r.srcport, r.dstport, protocol, r.packets, r.bytes, start,
       r."end", r.action, r.log_status, source
FROM picked
ANTI JOIN tie_winners w USING (key_hash)
UNION ALL
-- a tie: the first read of the candidates (sql/pass_tie_winners.sql)
SELECT p.key_hash, p.direction, p.service_port, w.rec.srcaddr = p.key_remote, w.rec.version,
       w.rec.account_id, w.rec.interface_id, w.rec.srcaddr, w.rec.dstaddr, w.rec.srcport,
       w.rec.dstport, w.rec.protocol, w.rec.packets, w.rec.bytes, w.rec.start, w.rec."end",
       w.rec.action, w.rec.log_status, w.rec.source
FROM picked p
JOIN tie_winners w USING (key_hash);
