-- name: rollup_batch
-- Orients every traffic record of the batch (temp table `stage`) from its interface, decides the
-- connection it belongs to, and rolls the batch up by (interface, direction, protocol, local
-- address, service port, remote address, hour) into temp table `batch_rollup`.
-- Reads `stage` (account/region already defaulted from the object key), `interface_addresses`
-- and `listeners`. No parameters.
--
-- Side (is_rx: the record travels remote -> interface): flow-direction when the format has it,
-- else the interface's known or inferred addresses. When neither address is known, the interface
-- is taken to be the responder (SYN-ACK sender, or the side with the lower port): the
-- conservative choice, since it can only make traffic count as use of an inbound rule.
--
-- Direction (who opened the connection), first rule that applies:
--   tcp-flags    SYN-ACK (18) in the record: its sender is the responder; SYN (2): the initiator.
--   listener     the interface was seen answering on this local port (learn_listeners.sql), so
--                later, flagless intervals of long-lived connections keep their service port.
--   port         TCP/UDP without flags: the side with the lower port is the service; equal
--                ports: the side that sent first in the hour opened it (basis first-packet).
--   first-packet other protocols (ICMP...): the side that sent first in the hour opened it.
-- Return traffic therefore folds into the connection it answers, under the same key.
--
-- Connections (docs/planner.md, "What a connection count is"): the distinct initiator (client)
-- ports of the key in the hour, in every format alike: `client_ports` keeps them so that
-- rollup_insert.sql counts them distinct over ingest batches too. Records without ports (ICMP, a
-- custom format without srcport/dstport) count as before, in `portless_openings`: the records the
-- initiator sent that open a connection (SYN set, or every one when the format has no tcp-flags).
CREATE OR REPLACE TEMP TABLE batch_rollup AS
WITH addrs AS (
    SELECT DISTINCT interface_id, address FROM interface_addresses
),
traffic AS (
    SELECT rowid AS rid, *
    FROM stage
    WHERE coalesce(log_status, 'OK') = 'OK'
      AND interface_id IS NOT NULL AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL
      AND protocol IS NOT NULL AND start IS NOT NULL
),
-- Records that say their direction need no address lookup; the others are joined to the
-- interface's addresses (split so the common case pays for no join).
oriented AS (
    SELECT rid, version, source, account_id, region, interface_id, protocol, packets, bytes,
           start, "end", action, tcp_flags, flow_direction = 'ingress' AS is_rx, srcaddr, dstaddr,
           srcport, dstport
    FROM traffic
    WHERE flow_direction IN ('ingress', 'egress')
    UNION ALL
    SELECT s.rid, s.version, s.source, s.account_id, s.region, s.interface_id, s.protocol,
           s.packets, s.bytes, s.start, s."end", s.action, s.tcp_flags,
           CASE
               WHEN d.address IS NOT NULL THEN true
               WHEN r.address IS NOT NULL THEN false
               WHEN s.protocol = 6 AND (s.tcp_flags & 18) = 18 THEN false
               WHEN s.protocol = 6 AND (s.tcp_flags & 2) = 2 THEN true
               ELSE coalesce(s.dstport <= s.srcport, true)
           END AS is_rx,
           s.srcaddr, s.dstaddr, s.srcport, s.dstport
    FROM traffic s
    LEFT JOIN addrs d ON d.interface_id = s.interface_id AND d.address = s.dstaddr
    LEFT JOIN addrs r ON r.interface_id = s.interface_id AND r.address = s.srcaddr
    WHERE s.flow_direction IS NULL OR s.flow_direction NOT IN ('ingress', 'egress')
),
sided AS (
    SELECT rid, version, source, account_id, region, interface_id, protocol, packets, bytes,
           start, "end", action, tcp_flags, is_rx, start // 3600 AS hour_index,
           ((start * 2 + (NOT is_rx)::INTEGER)::HUGEINT << 72)
               + ((hash(parse_filename(source)) >> 32)::HUGEINT << 40) + rid AS sample_order,
           CASE WHEN is_rx THEN dstaddr ELSE srcaddr END AS local_addr,
           CASE WHEN is_rx THEN dstport ELSE srcport END AS local_port,
           CASE WHEN is_rx THEN srcaddr ELSE dstaddr END AS remote_addr,
           CASE WHEN is_rx THEN srcport ELSE dstport END AS remote_port
    FROM oriented
),
first_packet AS (
    SELECT interface_id, protocol, remote_addr, hour_index,
           min(start) FILTER (WHERE is_rx) AS first_rx,
           min(start) FILTER (WHERE NOT is_rx) AS first_tx
    FROM sided
    WHERE protocol NOT IN (6, 17)
    GROUP BY interface_id, protocol, remote_addr, hour_index
),
-- Both sides on the same port (syslog 514 -> 514, NTP 123 -> 123): the port says nothing, so
-- the side that sent first in the hour opened it, as for ICMP. (Before, ties went to the local
-- side, so a host sending syslog looked like it served syslog.)
tie_first AS (
    SELECT interface_id, protocol, remote_addr, local_port, hour_index,
           min(start) FILTER (WHERE is_rx) AS first_rx,
           min(start) FILTER (WHERE NOT is_rx) AS first_tx
    FROM sided
    WHERE protocol IN (6, 17) AND local_port = remote_port
    GROUP BY interface_id, protocol, remote_addr, local_port, hour_index
),
classified AS (
    SELECT
        x.*,
        CASE
            WHEN x.protocol = 6 AND (x.tcp_flags & 2) = 2 THEN 'tcp-flags'
            WHEN l.port IS NOT NULL THEN 'listener'
            WHEN t.local_port IS NOT NULL THEN 'first-packet'
            ELSE 'port'
        END AS basis,
        CASE
            WHEN x.protocol = 6 AND (x.tcp_flags & 18) = 18
                THEN CASE WHEN x.is_rx THEN 'outbound' ELSE 'inbound' END
            WHEN x.protocol = 6 AND (x.tcp_flags & 2) = 2
                THEN CASE WHEN x.is_rx THEN 'inbound' ELSE 'outbound' END
            WHEN l.port IS NOT NULL THEN 'inbound'
            WHEN t.local_port IS NOT NULL
                THEN CASE WHEN t.first_tx IS NULL OR t.first_rx <= t.first_tx
                          THEN 'inbound' ELSE 'outbound' END
            WHEN coalesce(x.local_port, 0) <= coalesce(x.remote_port, 0) THEN 'inbound'
            ELSE 'outbound'
        END AS direction
    FROM sided x
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
    FROM sided x
    JOIN first_packet f
        ON f.interface_id = x.interface_id AND f.protocol = x.protocol
       AND f.remote_addr = x.remote_addr AND f.hour_index = x.hour_index
    WHERE x.protocol NOT IN (6, 17)
)
SELECT
    any_value(account_id) AS account_id, any_value(region) AS region,
    interface_id, direction, basis, protocol, local_addr,
    CASE WHEN protocol NOT IN (6, 17) THEN NULL
         WHEN direction = 'inbound' THEN local_port ELSE remote_port END AS service_port,
    remote_addr,
    hour_index,
    count(*) AS records,
    -- the connections (rollup_insert.sql counts them, distinct over batches): the initiator's
    -- ports, seen on either side's records; where a record has none (ICMP, a format without
    -- ports), the records the initiator sent that open one (SYN set, or every one without flags)
    list_distinct(list(client_port)) AS client_ports,  -- list_distinct drops NULLs
    count(*) FILTER (WHERE client_port IS NULL AND is_rx = (direction = 'inbound')
                       AND (tcp_flags IS NULL OR protocol <> 6 OR (tcp_flags & 2) = 2))
        AS portless_openings,
    coalesce(sum(packets) FILTER (WHERE is_rx), 0) AS packets_in,
    coalesce(sum(bytes) FILTER (WHERE is_rx), 0) AS bytes_in,
    coalesce(sum(packets) FILTER (WHERE NOT is_rx), 0) AS packets_out,
    coalesce(sum(bytes) FILTER (WHERE NOT is_rx), 0) AS bytes_out,
    count(*) FILTER (WHERE action = 'ACCEPT') AS accepted,
    count(*) FILTER (WHERE action = 'REJECT') AS rejected,
    bit_or(tcp_flags) AS tcp_flags,
    min(start) AS first_start,
    max(coalesce("end", start)) AS last_end,
    -- the sample: the earliest record, the remote -> interface one on a tie, then the object
    -- (by a hash of its file name), then the first read in it. Not "the first read" overall:
    -- objects are read in parallel without insertion order, so which object came first differed
    -- from run to run (and with it the plan's quoted evidence)
    arg_min(rid, sample_order) AS sample_rid,
    min(sample_order) AS sample_order,
    hash(interface_id, direction, protocol, service_port, remote_addr) AS key_hash
FROM (
    SELECT *,
           CASE WHEN protocol IN (6, 17) THEN
               CASE WHEN direction = 'inbound' THEN remote_port ELSE local_port END
           END AS client_port
    FROM classified
)
GROUP BY interface_id, direction, basis, protocol, local_addr, service_port, remote_addr,
         hour_index;
