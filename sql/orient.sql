-- name: orient
-- Each traffic record of the batch seen from its interface: which side is local (`is_rx`: the
-- record travels remote -> interface), the local and remote address and port, its hour.
-- Reads temp tables `stage` and `batch_objects`; account/region fall back to the object's key.
-- Side: flow-direction when the format has it, else the interface's known/inferred addresses.
-- When neither address is known, the interface is taken to be the responder (SYN-ACK sender, or
-- the side with the lower port): the conservative choice, since it can only make traffic count
-- as use of an inbound rule, never hide use. No parameters.
CREATE OR REPLACE TEMP TABLE oriented AS
WITH addrs AS (SELECT DISTINCT interface_id, address FROM interface_addresses)
SELECT
    s.rowid AS rid,
    coalesce(s.account_id, o.account_id) AS account_id,
    coalesce(s.region, o.region) AS region,
    s.interface_id,
    s.protocol,
    s.packets,
    s.bytes,
    s.start,
    s."end",
    s.action,
    s.tcp_flags,
    s.source,
    rx.is_rx,
    CASE WHEN rx.is_rx THEN s.dstaddr ELSE s.srcaddr END AS local_addr,
    CASE WHEN rx.is_rx THEN s.dstport ELSE s.srcport END AS local_port,
    CASE WHEN rx.is_rx THEN s.srcaddr ELSE s.dstaddr END AS remote_addr,
    CASE WHEN rx.is_rx THEN s.srcport ELSE s.dstport END AS remote_port,
    date_trunc('hour', make_timestamp(s.start * 1000000)) AS hour
FROM stage s
LEFT JOIN batch_objects o ON o.source = s.source
LEFT JOIN addrs d ON d.interface_id = s.interface_id AND d.address = s.dstaddr
LEFT JOIN addrs r ON r.interface_id = s.interface_id AND r.address = s.srcaddr
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN s.flow_direction = 'ingress' THEN true
        WHEN s.flow_direction = 'egress' THEN false
        WHEN d.address IS NOT NULL THEN true
        WHEN r.address IS NOT NULL THEN false
        WHEN s.protocol = 6 AND (s.tcp_flags & 18) = 18 THEN false
        WHEN s.protocol = 6 AND (s.tcp_flags & 2) = 2 THEN true
        ELSE coalesce(s.dstport <= s.srcport, true)
    END AS is_rx
) rx
WHERE coalesce(s.log_status, 'OK') = 'OK'
  AND s.interface_id IS NOT NULL AND s.srcaddr IS NOT NULL AND s.dstaddr IS NOT NULL
  AND s.protocol IS NOT NULL AND s.start IS NOT NULL;
