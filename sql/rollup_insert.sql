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
CREATE OR REPLACE TEMP TABLE batch_owned AS
WITH keyed AS (
    SELECT rowid AS rid, key_hash, hour_index, client_ports,
           basis || '|' || coalesce(local_addr, '') AS row_order
    FROM batch_rollup
    WHERE len(client_ports) > 0
),
-- Most key-hours are one row of this batch that no earlier batch saw: its ports are all new.
-- The others are looked at port by port.
crowded AS (
    SELECT key_hash, hour_index FROM keyed GROUP BY key_hash, hour_index HAVING count(*) > 1
    UNION
    SELECT DISTINCT e.key_hash, e.hour_index
    FROM rollup_client_ports e
    SEMI JOIN keyed k ON k.key_hash = e.key_hash AND k.hour_index = e.hour_index
    WHERE e.hour_index BETWEEN (SELECT min(hour_index) FROM keyed)
                           AND (SELECT max(hour_index) FROM keyed)
),
ported AS (
    SELECT * FROM (
        SELECT k.rid, k.key_hash, k.hour_index, k.row_order, unnest(k.client_ports) AS port
        FROM keyed k
        SEMI JOIN crowded c ON c.key_hash = k.key_hash AND c.hour_index = k.hour_index
    )
    WHERE port IS NOT NULL  -- Athena's array_distinct keeps one NULL
),
earlier AS (
    SELECT e.key_hash, e.hour_index, unnest(e.ports) AS port
    FROM rollup_client_ports e
    SEMI JOIN crowded c ON c.key_hash = e.key_hash AND c.hour_index = e.hour_index
),
firsts AS (  -- each new port to the first row of its key-hour (basis, local address)
    SELECT p.key_hash, p.hour_index, p.port, arg_min(p.rid, p.row_order) AS rid
    FROM ported p
    ANTI JOIN earlier e
        ON e.key_hash = p.key_hash AND e.hour_index = p.hour_index AND e.port = p.port
    GROUP BY p.key_hash, p.hour_index, p.port
)
SELECT k.rid, k.key_hash, k.hour_index,
       list_filter(k.client_ports, lambda p: p IS NOT NULL) AS ports
FROM keyed k
ANTI JOIN crowded c ON c.key_hash = k.key_hash AND c.hour_index = k.hour_index
UNION ALL
SELECT rid, any_value(key_hash), any_value(hour_index), list(port ORDER BY port)
FROM firsts
GROUP BY rid;

INSERT INTO flow_rollup
WITH remote AS (
    SELECT remote_addr, ip_family(remote_addr) AS family, ip_hex(remote_addr) AS hex
    FROM (SELECT DISTINCT remote_addr FROM batch_rollup)
)
SELECT b.account_id, b.region, b.interface_id, b.direction, b.basis, b.protocol, b.local_addr,
       b.service_port, b.remote_addr, r.family, r.hex,
       make_timestamp(b.hour_index * 3600 * 1000000), b.records,
       b.portless_openings + coalesce(len(o.ports), 0),
       least(b.packets_in, 9223372036854775807), least(b.bytes_in, 9223372036854775807),
       least(b.packets_out, 9223372036854775807), least(b.bytes_out, 9223372036854775807),
       b.accepted, b.rejected, b.tcp_flags,
       make_timestamp(b.first_start * 1000000), make_timestamp(b.last_end * 1000000)
FROM (SELECT rowid AS rid, * FROM batch_rollup) b
JOIN remote r USING (remote_addr)
LEFT JOIN batch_owned o USING (rid);

INSERT INTO rollup_client_ports
SELECT key_hash, hour_index, ports::USMALLINT[] FROM batch_owned WHERE len(ports) > 0;
