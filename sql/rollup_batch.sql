-- name: rollup_batch
-- Decides the connection each traffic record belongs to and rolls the batch up by
-- (interface, direction, protocol, local address, service port, remote address, hour).
-- Reads temp table `oriented` and the workspace's `listeners`; writes temp table `batch_rollup`.
-- Parameters: $samples — raw records kept per key (the earliest, by row id in `stage`).
--
-- Direction (who opened the connection), first rule that applies:
--   tcp-flags    SYN-ACK (18) in the record: its sender is the responder; SYN (2): the initiator.
--   listener     the interface was seen answering on this local port (learn_listeners.sql), so
--                later, flagless intervals of long-lived connections keep their service port.
--   port         TCP/UDP without flags: the side with the lower port is the service (ties: local).
--   first-packet other protocols (ICMP...): the side that sent first in the hour opened it.
-- Return traffic therefore folds into the connection it answers, under the same key.
CREATE OR REPLACE TEMP TABLE batch_rollup AS
WITH first_packet AS (
    SELECT interface_id, protocol, remote_addr, hour,
           min(start) FILTER (WHERE is_rx) AS first_rx,
           min(start) FILTER (WHERE NOT is_rx) AS first_tx
    FROM oriented
    WHERE protocol NOT IN (6, 17)
    GROUP BY interface_id, protocol, remote_addr, hour
),
classified AS (
    SELECT
        o.*,
        CASE
            WHEN o.protocol = 6 AND (o.tcp_flags & 18) = 18 THEN 'tcp-flags'
            WHEN o.protocol = 6 AND (o.tcp_flags & 2) = 2 THEN 'tcp-flags'
            WHEN l.port IS NOT NULL THEN 'listener'
            WHEN o.protocol IN (6, 17) THEN 'port'
            ELSE 'first-packet'
        END AS basis,
        CASE
            WHEN o.protocol = 6 AND (o.tcp_flags & 18) = 18
                THEN CASE WHEN o.is_rx THEN 'outbound' ELSE 'inbound' END
            WHEN o.protocol = 6 AND (o.tcp_flags & 2) = 2
                THEN CASE WHEN o.is_rx THEN 'inbound' ELSE 'outbound' END
            WHEN l.port IS NOT NULL THEN 'inbound'
            WHEN o.protocol IN (6, 17)
                THEN CASE WHEN coalesce(o.local_port, 0) <= coalesce(o.remote_port, 0)
                          THEN 'inbound' ELSE 'outbound' END
            WHEN f.first_tx IS NULL OR f.first_rx <= f.first_tx THEN 'inbound'
            ELSE 'outbound'
        END AS direction
    FROM oriented o
    LEFT JOIN listeners l
        ON l.interface_id = o.interface_id AND l.protocol = o.protocol AND l.port = o.local_port
    LEFT JOIN first_packet f
        ON f.interface_id = o.interface_id AND f.protocol = o.protocol
       AND f.remote_addr = o.remote_addr AND f.hour = o.hour
)
SELECT
    account_id, region, interface_id, direction, basis, protocol, local_addr,
    CASE WHEN protocol NOT IN (6, 17) THEN NULL
         WHEN direction = 'inbound' THEN local_port ELSE remote_port END AS service_port,
    remote_addr, hour,
    count(*) AS records,
    -- TCP/UDP: distinct initiator ports; other protocols: records the initiator sent
    count(DISTINCT CASE WHEN protocol NOT IN (6, 17) THEN NULL
                        WHEN direction = 'inbound' THEN remote_port ELSE local_port END)
      + count(*) FILTER (WHERE protocol NOT IN (6, 17) AND is_rx = (direction = 'inbound'))
      AS connections,
    coalesce(sum(packets) FILTER (WHERE is_rx), 0) AS packets_in,
    coalesce(sum(bytes) FILTER (WHERE is_rx), 0) AS bytes_in,
    coalesce(sum(packets) FILTER (WHERE NOT is_rx), 0) AS packets_out,
    coalesce(sum(bytes) FILTER (WHERE NOT is_rx), 0) AS bytes_out,
    count(*) FILTER (WHERE action = 'ACCEPT') AS accepted,
    count(*) FILTER (WHERE action = 'REJECT') AS rejected,
    bit_or(tcp_flags) AS tcp_flags,
    make_timestamp(min(start) * 1000000) AS first_seen,
    make_timestamp(max(coalesce("end", start)) * 1000000) AS last_seen,
    min_by(rid, start, $samples) AS sample_rids
FROM classified
GROUP BY account_id, region, interface_id, direction, basis, protocol, local_addr,
         service_port, remote_addr, hour;
