-- name: rollup_insert
-- Appends the batch roll-up (temp table `batch_rollup`) to `flow_rollup`, with the remote
-- address's numeric form, computed once per distinct address. Rows of the same key and hour from
-- different batches stay separate rows: readers sum them. No parameters.
INSERT INTO flow_rollup
WITH remote AS (
    SELECT remote_addr, ip_family(remote_addr) AS family, ip_hex(remote_addr) AS hex
    FROM (SELECT DISTINCT remote_addr FROM batch_rollup)
)
SELECT b.account_id, b.region, b.interface_id, b.direction, b.basis, b.protocol, b.local_addr,
       b.service_port, b.remote_addr, r.family, r.hex,
       make_timestamp(b.hour_index * 3600 * 1000000), b.records, b.connections,
       b.packets_in, b.bytes_in, b.packets_out, b.bytes_out, b.accepted, b.rejected, b.tcp_flags,
       make_timestamp(b.first_start * 1000000), make_timestamp(b.last_end * 1000000)
FROM batch_rollup b
JOIN remote r USING (remote_addr);
