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
-- The batch's new ports are kept in rollup_client_ports by the statement after the INSERT.
CREATE OR REPLACE TEMP TABLE batch_rows AS
SELECT row_number() OVER (ORDER BY interface_id, direction, protocol, service_port, remote_addr,
                                   hour_index, basis, local_addr) AS row_no,
       make_timestamp(hour_index * 3600 * 1000000) AS hour, *
FROM batch_rollup;

CREATE OR REPLACE TEMP TABLE batch_client_ports AS
WITH ported AS (
    SELECT row_no, interface_id, direction, protocol, service_port, remote_addr, hour,
           unnest(client_ports) AS port
    FROM batch_rows
    WHERE len(client_ports) > 0
),
-- only the hours and interfaces of this batch are read of what earlier batches kept
earlier AS (
    SELECT e.interface_id, e.direction, e.protocol, e.service_port, e.remote_addr, e.hour,
           unnest(e.ports) AS port
    FROM rollup_client_ports e
    WHERE e.hour BETWEEN (SELECT min(hour) FROM batch_rows) AND (SELECT max(hour) FROM batch_rows)
      AND e.interface_id IN (SELECT DISTINCT interface_id FROM ported)
)
SELECT p.interface_id, p.direction, p.protocol, p.service_port, p.remote_addr, p.hour, p.port,
       min(p.row_no) AS row_no
FROM ported p
ANTI JOIN earlier e
    ON e.interface_id = p.interface_id AND e.direction = p.direction
   AND e.protocol = p.protocol AND e.service_port IS NOT DISTINCT FROM p.service_port
   AND e.remote_addr = p.remote_addr AND e.hour = p.hour AND e.port = p.port
GROUP BY ALL;

INSERT INTO flow_rollup
WITH remote AS (
    SELECT remote_addr, ip_family(remote_addr) AS family, ip_hex(remote_addr) AS hex
    FROM (SELECT DISTINCT remote_addr FROM batch_rows)
),
owned AS (
    SELECT row_no, count(*) AS ports FROM batch_client_ports GROUP BY row_no
)
SELECT b.account_id, b.region, b.interface_id, b.direction, b.basis, b.protocol, b.local_addr,
       b.service_port, b.remote_addr, r.family, r.hex,
       b.hour, b.records, b.portless_openings + coalesce(o.ports, 0),
       least(b.packets_in, 9223372036854775807), least(b.bytes_in, 9223372036854775807),
       least(b.packets_out, 9223372036854775807), least(b.bytes_out, 9223372036854775807),
       b.accepted, b.rejected, b.tcp_flags,
       make_timestamp(b.first_start * 1000000), make_timestamp(b.last_end * 1000000)
FROM batch_rows b
JOIN remote r USING (remote_addr)
LEFT JOIN owned o USING (row_no);

INSERT INTO rollup_client_ports
SELECT interface_id, direction, protocol, service_port, remote_addr, hour,
       list(port::USMALLINT ORDER BY port)
FROM batch_client_ports
GROUP BY ALL;
