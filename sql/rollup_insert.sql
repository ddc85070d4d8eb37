-- name: rollup_insert
-- Appends the batch roll-up (temp table `batch_rollup`) to `flow_rollup`, with the remote
-- address's numeric form, computed once per distinct address. Rows of the same key and hour from
-- different batches stay separate rows: readers sum them. No parameters.
-- Packet and byte sums stop at BIGINT's limit: each record's value fits (the parsers check it),
-- their sum need not, and a flow log's word must not abort the ingest.
--
-- connections (docs/planner.md, "What a connection count is"): the distinct client ports of the
-- key in the hour, counted once over every batch. A port goes to the first row that has it: not
-- to one an earlier batch gave it to (rollup_client_ports), else to the batch's first row of the
-- key and hour (basis, local address: the rows the key splits into). So the rows' sum is the
-- distinct count, plus the portless openings (ICMP, formats without ports), which add up.
-- Keys are told apart by key_hash (rollup_batch.sql; samples_insert.sql does the same). The
-- batch's new ports are kept in rollup_client_ports by the statement after the INSERT.
CREATE OR REPLACE TEMP TABLE batch_client_ports AS
WITH ported AS (  -- (Athena's array_distinct keeps one NULL: dropped here)
    SELECT * FROM (
        SELECT rowid AS rid, key_hash, hour_index, unnest(client_ports) AS port,
               basis || '|' || coalesce(local_addr, '') AS row_order
        FROM batch_rollup
        WHERE len(client_ports) > 0
    )
    WHERE port IS NOT NULL
),
-- only the hours of this batch are read of what earlier batches kept
earlier AS (
    SELECT key_hash, hour_index, unnest(ports) AS port
    FROM rollup_client_ports
    WHERE hour_index BETWEEN (SELECT min(hour_index) FROM batch_rollup)
                         AND (SELECT max(hour_index) FROM batch_rollup)
)
SELECT p.key_hash, p.hour_index, p.port, arg_min(p.rid, p.row_order) AS rid
FROM ported p
ANTI JOIN earlier e
    ON e.key_hash = p.key_hash AND e.hour_index = p.hour_index AND e.port = p.port
GROUP BY p.key_hash, p.hour_index, p.port;

INSERT INTO flow_rollup
WITH remote AS (
    SELECT remote_addr, ip_family(remote_addr) AS family, ip_hex(remote_addr) AS hex
    FROM (SELECT DISTINCT remote_addr FROM batch_rollup)
),
owned AS (
    SELECT rid, count(*) AS ports FROM batch_client_ports GROUP BY rid
)
SELECT b.account_id, b.region, b.interface_id, b.direction, b.basis, b.protocol, b.local_addr,
       b.service_port, b.remote_addr, r.family, r.hex,
       make_timestamp(b.hour_index * 3600 * 1000000), b.records,
       b.portless_openings + coalesce(o.ports, 0),
       least(b.packets_in, 9223372036854775807), least(b.bytes_in, 9223372036854775807),
       least(b.packets_out, 9223372036854775807), least(b.bytes_out, 9223372036854775807),
       b.accepted, b.rejected, b.tcp_flags,
       make_timestamp(b.first_start * 1000000), make_timestamp(b.last_end * 1000000)
FROM (SELECT rowid AS rid, * FROM batch_rollup) b
JOIN remote r USING (remote_addr)
LEFT JOIN owned o USING (rid);

INSERT INTO rollup_client_ports
SELECT key_hash, hour_index, list(port::USMALLINT ORDER BY port)
FROM batch_client_ports
GROUP BY key_hash, hour_index;
