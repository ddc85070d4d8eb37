-- name: pass_batch
-- One pass from the reader into the batch's aggregate (temp table `pass_rows`): the records of a
-- clean fast-path group (relation `records`: the stage's columns, read straight from read_csv or
-- read_parquet, never materialised) are grouped once, so that everything the stage-based
-- statements (infer_addresses, learn_listeners, rollup_batch, samples_insert, hours_insert) read
-- from the records can be read from these rows instead, with the same result.
-- No parameters (the reader's own are bound by the caller).
--
-- kind, and the key each kind keeps:
--   T  traffic whose connection is decided by the record alone: flow-direction says the side and
--      tcp-flags carry SYN (rollup_batch.sql's first rule). Keyed like the roll-up (direction,
--      local address, service port, remote address, hour): the initiator's port is dropped here.
--   U  other traffic: the decision needs the batch (listeners, inferred addresses, who sent
--      first in the hour), so both ports (and, without flow-direction, both raw addresses and a
--      class of the flags) stay in the key; pass_rollup.sql decides them.
--   C  records that are not traffic (NODATA, SKIPDATA, any other status): every field the
--      coverage and inference statements read stays in the key.
-- The fast path only passes groups without records lacking what the roll-up needs
-- (`bad_source` flags those; the caller then ingests the batch the stage-based way).
--
-- sample_order is rollup_batch.sql's order (start, then the remote -> interface record, then the
-- object by a hash of its file name), then a hash of the record's content in place of the read
-- order (no reader gives it without a stage). Where that would decide a sample (two different
-- records of one object, same key, same second), the batch goes the stage-based way instead
-- (sql/pass_sample_ties.sql), so the sample is the one the stage gives. For U rows without
-- flow-direction the side is added once it is known (sql/pass_rollup.sql).
WITH r AS (
    SELECT *,
           coalesce(log_status, 'OK') = 'OK' AS ok,
           coalesce(flow_direction IN ('ingress', 'egress'), false) AS oriented,
           flow_direction = 'ingress' AS rx
    FROM records
),
o AS (
    SELECT *,
           CASE WHEN rx THEN dstaddr ELSE srcaddr END AS o_local_addr,
           CASE WHEN rx THEN srcaddr ELSE dstaddr END AS o_remote_addr,
           CASE WHEN rx THEN dstport ELSE srcport END AS o_local_port,
           CASE WHEN rx THEN srcport ELSE dstport END AS o_remote_port
    FROM r
),
k AS (
    SELECT *,
           -- equal ports stay U: rollup_batch.sql's tie rule reads every such record of the hour
           CASE WHEN NOT ok THEN 'C'
                WHEN oriented AND protocol = 6 AND (tcp_flags & 2) = 2
                     AND NOT coalesce(o_local_port = o_remote_port, false) THEN 'T'
                ELSE 'U' END AS kind
    FROM o
),
keyed AS (
    SELECT *,
           CASE WHEN kind = 'T' THEN
               CASE WHEN (tcp_flags & 18) = 18
                    THEN CASE WHEN rx THEN 'outbound' ELSE 'inbound' END
                    ELSE CASE WHEN rx THEN 'inbound' ELSE 'outbound' END END
           END AS t_direction
    FROM k
)
SELECT
    kind, interface_id, protocol,
    start // 3600 AS hour_index,
    t_direction AS direction,
    CASE WHEN kind = 'U' AND oriented THEN rx END AS is_rx,
    CASE WHEN kind <> 'T' THEN flow_direction END AS flow_direction,
    CASE WHEN oriented AND kind <> 'C' THEN o_local_addr ELSE srcaddr END AS addr_a,
    CASE WHEN oriented AND kind <> 'C' THEN o_remote_addr ELSE dstaddr END AS addr_b,
    CASE WHEN kind = 'T' THEN CASE WHEN t_direction = 'inbound' THEN o_local_port
                                   ELSE o_remote_port END
         WHEN oriented AND kind = 'U' THEN o_local_port
         ELSE srcport END AS port_a,
    CASE WHEN kind = 'T' THEN NULL
         WHEN oriented AND kind = 'U' THEN o_remote_port
         ELSE dstport END AS port_b,
    CASE WHEN kind <> 'U' OR protocol <> 6 THEN 0
         WHEN tcp_flags IS NULL THEN 0
         WHEN (tcp_flags & 18) = 18 THEN 3
         WHEN (tcp_flags & 2) = 2 THEN 2
         ELSE 1 END AS flag_class,
    CASE WHEN kind = 'C' THEN log_status END AS log_status,
    CASE WHEN kind = 'C' THEN start END AS c_start,
    CASE WHEN kind = 'C' THEN "end" END AS c_end,
    CASE WHEN kind = 'C' THEN account_id END AS c_account_id,
    CASE WHEN kind = 'C' THEN region END AS c_region,
    source,
    CASE WHEN ok AND (interface_id IS NULL OR srcaddr IS NULL OR dstaddr IS NULL
                      OR protocol IS NULL OR start IS NULL) THEN source END AS bad_source,
    count(*) AS records,
    count(*) FILTER (WHERE kind = 'T' AND rx = (t_direction = 'inbound')) AS connections,
    sum(packets) FILTER (WHERE rx IS DISTINCT FROM false) AS packets_in,
    sum(bytes) FILTER (WHERE rx IS DISTINCT FROM false) AS bytes_in,
    sum(packets) FILTER (WHERE rx = false) AS packets_out,
    sum(bytes) FILTER (WHERE rx = false) AS bytes_out,
    count(*) FILTER (WHERE action = 'ACCEPT') AS accepted,
    count(*) FILTER (WHERE action = 'REJECT') AS rejected,
    bit_or(tcp_flags) AS tcp_flags,
    min(start) AS first_start,
    max(coalesce("end", start)) AS last_end,
    any_value(account_id) AS account_id,
    any_value(region) AS region,
    bool_or(kind = 'T' AND (tcp_flags & 18) = 18 AND srcport IS NOT NULL
            AND flow_direction = 'egress') AS syn_ack_sent,
    arg_min(struct_pack(version, account_id, srcport, dstport, packets, bytes, "end", action,
                        log_status), sample_order) AS sample,
    min(sample_order) AS sample_order,
    -- the four smallest: records of one object in the same second (a tie the stage-based path
    -- breaks by read order, which no reader gives here) are found by pass_sample_ties.sql
    min(sample_order, 4) AS sample_orders
FROM (
    SELECT *,
           CASE WHEN kind = 'U' OR t_direction = 'inbound' THEN
               ((start * 2 + (oriented AND NOT rx)::INTEGER)::HUGEINT << 72)
               + ((hash(parse_filename(source)) >> 32)::HUGEINT << 40)
               + sample_content(srcaddr, dstaddr, srcport, dstport, packets, bytes, "end", action,
                                version, account_id, log_status, source)
           END AS sample_order
    FROM keyed
)
GROUP BY ALL
