-- name: rollup_insert
-- Appends the batch roll-up (temp table `batch_rollup`) to `flow_rollup`, with the remote
-- address's numeric form, computed once per distinct address. Rows of the same key and hour from
-- different batches stay separate rows: readers sum them. No parameters.
-- Packet and byte sums stop at BIGINT's limit: each record's value fits (the parsers check it),
-- their sum need not, and a flow log's word must not abort the ingest.
INSERT INTO flow_rollup
WITH remote AS (
    SELECT remote_addr, ip_family(remote_addr) AS family, ip_hex(remote_addr) AS hex
    FROM (SELECT DISTINCT remote_addr FROM batch_rollup)
)
SELECT b.account_id, b.region, b.interface_id, b.direction, b.basis, b.protocol, b.local_addr,
       b.service_port, b.remote_addr, r.family, r.hex,
       make_timestamp(b.hour_index * 3600 * 1000000), b.records, b.connections,
       least(b.packets_in, 9223372036854775807), least(b.bytes_in, 9223372036854775807),
       least(b.packets_out, 9223372036854775807), least(b.bytes_out, 9223372036854775807),
       b.accepted, b.rejected, b.tcp_flags,
       make_timestamp(b.first_start * 1000000), make_timestamp(b.last_end * 1000000)
FROM batch_rollup b
JOIN remote r USING (remote_addr);
