-- name: pass_rollup
-- rollup_batch.sql's roll-up, from the one-pass rows (temp table `pass_rows`, sql/pass_batch.sql)
-- instead of the records: the same orientation, direction, basis, connections and sample rules,
-- applied per row (every record of a U row has the same inputs to those rules, so one decision
-- per row is the decision per record). Writes temp table `batch_rollup` with rollup_batch.sql's
-- columns, the sample as a struct (`rec`: the fields the key does not give, `source`) in place
-- of `sample_rid`. Reads `pass_rows`, `interface_addresses` and `listeners`. No parameters.
--
-- T rows are already roll-up rows (direction from the flags); only a key read from two objects
-- of the batch is merged here. U rows get their side (the interface's addresses, else the
-- responder rule), then their direction, exactly as rollup_batch.sql decides it per record.
CREATE OR REPLACE TEMP TABLE batch_rollup AS
WITH addrs AS (
    SELECT DISTINCT interface_id, address FROM interface_addresses
),
t_rows AS (
    SELECT * FROM pass_rows WHERE kind = 'T'
),
t_shared AS (
    SELECT interface_id, direction, protocol, addr_a, port_a, addr_b, hour_index
    FROM t_rows
    GROUP BY ALL
    HAVING count(*) > 1
),
t_single AS (
    SELECT t.*
    FROM t_rows t
    ANTI JOIN t_shared s
        ON s.interface_id = t.interface_id AND s.direction = t.direction
       AND s.protocol = t.protocol AND s.addr_a = t.addr_a
       AND s.port_a IS NOT DISTINCT FROM t.port_a AND s.addr_b = t.addr_b
       AND s.hour_index = t.hour_index
),
t_merged AS (
    SELECT any_value(t.account_id) AS account_id, any_value(t.region) AS region, t.interface_id,
           t.direction, t.protocol, t.addr_a, t.port_a, t.addr_b, t.hour_index,
           sum(t.records) AS records, sum(t.connections) AS connections,
           sum(t.packets_in) AS packets_in, sum(t.bytes_in) AS bytes_in,
           sum(t.packets_out) AS packets_out, sum(t.bytes_out) AS bytes_out,
           sum(t.accepted) AS accepted, sum(t.rejected) AS rejected, bit_or(t.tcp_flags) AS tcp_flags,
           min(t.first_start) AS first_start, max(t.last_end) AS last_end,
           arg_min(struct_pack(rec := t.sample, source := t.source), t.sample_order) AS sample,
           min(t.sample_order) AS sample_order,
           list_sort(flatten(list(t.sample_orders)))[1:4] AS sample_orders
    FROM t_rows t
    SEMI JOIN t_shared s
        ON s.interface_id = t.interface_id AND s.direction = t.direction
       AND s.protocol = t.protocol AND s.addr_a = t.addr_a
       AND s.port_a IS NOT DISTINCT FROM t.port_a AND s.addr_b = t.addr_b
       AND s.hour_index = t.hour_index
    GROUP BY t.interface_id, t.direction, t.protocol, t.addr_a, t.port_a, t.addr_b, t.hour_index
),
-- U rows with flow-direction keep it (is_rx); the others are joined to the interface's addresses.
u_sided AS (
    SELECT u.*, u.is_rx AS rx
    FROM pass_rows u
    WHERE u.kind = 'U' AND u.is_rx IS NOT NULL
    UNION ALL
    SELECT u.*,
           CASE
               WHEN d.address IS NOT NULL THEN true
               WHEN r.address IS NOT NULL THEN false
               WHEN u.flag_class = 3 THEN false
               WHEN u.flag_class = 2 THEN true
               ELSE coalesce(u.port_b <= u.port_a, true)
           END AS rx
    FROM pass_rows u
    LEFT JOIN addrs d ON d.interface_id = u.interface_id AND d.address = u.addr_b
    LEFT JOIN addrs r ON r.interface_id = u.interface_id AND r.address = u.addr_a
    WHERE u.kind = 'U' AND u.is_rx IS NULL
),
u AS (
    SELECT account_id, region, interface_id, protocol, hour_index, flag_class, rx, records,
           accepted, rejected, tcp_flags, first_start, last_end,
           struct_pack(rec := sample, source := source) AS sample,
           CASE WHEN is_rx IS NOT NULL OR NOT rx THEN addr_a ELSE addr_b END AS local_addr,
           CASE WHEN is_rx IS NOT NULL OR NOT rx THEN addr_b ELSE addr_a END AS remote_addr,
           CASE WHEN is_rx IS NOT NULL OR NOT rx THEN port_a ELSE port_b END AS local_port,
           CASE WHEN is_rx IS NOT NULL OR NOT rx THEN port_b ELSE port_a END AS remote_port,
           CASE WHEN rx THEN coalesce(packets_in, packets_out) END AS packets_in,
           CASE WHEN rx THEN coalesce(bytes_in, bytes_out) END AS bytes_in,
           CASE WHEN NOT rx THEN coalesce(packets_in, packets_out) END AS packets_out,
           CASE WHEN NOT rx THEN coalesce(bytes_in, bytes_out) END AS bytes_out,
           -- the side was not known in the pass for records without flow-direction
           sample_order + CASE WHEN is_rx IS NULL AND NOT rx THEN 1::HUGEINT << 72 ELSE 0 END
               AS sample_order,
           CASE WHEN is_rx IS NULL AND NOT rx
                THEN list_transform(sample_orders, o -> o + (1::HUGEINT << 72))
                ELSE sample_orders END AS sample_orders
    FROM u_sided
),
first_packet AS (
    SELECT interface_id, protocol, remote_addr, hour_index,
           min(first_start) FILTER (WHERE rx) AS first_rx,
           min(first_start) FILTER (WHERE NOT rx) AS first_tx
    FROM u
    WHERE protocol NOT IN (6, 17)
    GROUP BY interface_id, protocol, remote_addr, hour_index
),
tie_first AS (
    SELECT interface_id, protocol, remote_addr, local_port, hour_index,
           min(first_start) FILTER (WHERE rx) AS first_rx,
           min(first_start) FILTER (WHERE NOT rx) AS first_tx
    FROM u
    WHERE protocol IN (6, 17) AND local_port = remote_port
    GROUP BY interface_id, protocol, remote_addr, local_port, hour_index
),
classified AS (
    SELECT
        x.*,
        CASE
            WHEN x.protocol = 6 AND x.flag_class >= 2 THEN 'tcp-flags'
            WHEN l.port IS NOT NULL THEN 'listener'
            WHEN t.local_port IS NOT NULL THEN 'first-packet'
            ELSE 'port'
        END AS basis,
        CASE
            WHEN x.protocol = 6 AND x.flag_class = 3
                THEN CASE WHEN x.rx THEN 'outbound' ELSE 'inbound' END
            WHEN x.protocol = 6 AND x.flag_class = 2
                THEN CASE WHEN x.rx THEN 'inbound' ELSE 'outbound' END
            WHEN l.port IS NOT NULL THEN 'inbound'
            WHEN t.local_port IS NOT NULL
                THEN CASE WHEN t.first_tx IS NULL OR t.first_rx <= t.first_tx
                          THEN 'inbound' ELSE 'outbound' END
            WHEN coalesce(x.local_port, 0) <= coalesce(x.remote_port, 0) THEN 'inbound'
            ELSE 'outbound'
        END AS direction
    FROM u x
    LEFT JOIN listeners l
        ON l.interface_id = x.interface_id AND l.protocol = x.protocol AND l.port = x.local_port
    LEFT JOIN tie_first t
        ON t.interface_id = x.interface_id AND t.protocol = x.protocol
       AND t.remote_addr = x.remote_addr AND t.local_port = x.local_port
       AND t.hour_index = x.hour_index AND x.local_port = x.remote_port
    WHERE x.protocol IN (6, 17)
    UNION ALL
    SELECT
        x.*,
        'first-packet' AS basis,
        CASE WHEN f.first_tx IS NULL OR f.first_rx <= f.first_tx THEN 'inbound' ELSE 'outbound' END
            AS direction
    FROM u x
    JOIN first_packet f
        ON f.interface_id = x.interface_id AND f.protocol = x.protocol
       AND f.remote_addr = x.remote_addr AND f.hour_index = x.hour_index
    WHERE x.protocol NOT IN (6, 17)
),
u_rolled AS (
    SELECT
        any_value(account_id) AS account_id, any_value(region) AS region,
        interface_id, direction, basis, protocol, local_addr,
        CASE WHEN protocol NOT IN (6, 17) THEN NULL
             WHEN direction = 'inbound' THEN local_port ELSE remote_port END AS service_port,
        remote_addr, hour_index,
        sum(records) AS records,
        -- rollup_batch.sql: sent by the initiator, and a SYN or no tcp-flags at all (class 1:
        -- TCP flags without SYN)
        coalesce(sum(records) FILTER (WHERE rx = (direction = 'inbound')
                                        AND (protocol <> 6 OR flag_class <> 1)), 0)
            AS connections,
        coalesce(sum(packets_in), 0) AS packets_in,
        coalesce(sum(bytes_in), 0) AS bytes_in,
        coalesce(sum(packets_out), 0) AS packets_out,
        coalesce(sum(bytes_out), 0) AS bytes_out,
        sum(accepted) AS accepted,
        sum(rejected) AS rejected,
        bit_or(tcp_flags) AS tcp_flags,
        min(first_start) AS first_start,
        max(last_end) AS last_end,
        arg_min(sample, sample_order) AS sample,
        min(sample_order) AS sample_order,
        list_sort(flatten(list(sample_orders)))[1:4] AS sample_orders
    FROM classified
    GROUP BY interface_id, direction, basis, protocol, local_addr, service_port, remote_addr,
             hour_index
),
t_all AS (
    SELECT account_id, region, interface_id, direction, protocol, addr_a, port_a, addr_b,
           hour_index, records, connections, packets_in, bytes_in, packets_out, bytes_out,
           accepted, rejected, tcp_flags, first_start, last_end,
           struct_pack(rec := sample, source := source) AS sample, sample_order, sample_orders
    FROM t_single
    UNION ALL
    SELECT * FROM t_merged
),
rolled AS (
    SELECT account_id, region, interface_id, direction, 'tcp-flags' AS basis, protocol,
           addr_a AS local_addr, port_a AS service_port, addr_b AS remote_addr, hour_index,
           records, connections, coalesce(packets_in, 0) AS packets_in,
           coalesce(bytes_in, 0) AS bytes_in, coalesce(packets_out, 0) AS packets_out,
           coalesce(bytes_out, 0) AS bytes_out, accepted, rejected, tcp_flags, first_start,
           last_end, sample, sample_order, sample_orders
    FROM t_all
    UNION ALL
    SELECT * FROM u_rolled
)
SELECT *, hash(interface_id, direction, protocol, service_port, remote_addr) AS key_hash
FROM rolled;
