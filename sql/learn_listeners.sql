-- name: learn_listeners
-- Ports each interface was seen answering on: it sent a SYN-ACK (tcp-flags 18 bit set) from that
-- port (it is the record's source: flow-direction egress, or srcaddr is its address). Accumulates
-- across ingests. Reads temp table `stage`. No parameters.
INSERT OR IGNORE INTO listeners
WITH syn_acks AS (
    SELECT interface_id, srcaddr, srcport, flow_direction
    FROM stage
    WHERE protocol = 6 AND (tcp_flags & 18) = 18 AND srcport IS NOT NULL
      AND coalesce(log_status, 'OK') = 'OK'
)
SELECT DISTINCT s.interface_id, 6, s.srcport
FROM syn_acks s
LEFT JOIN (SELECT DISTINCT interface_id, address FROM interface_addresses) a
    ON a.interface_id = s.interface_id AND a.address = s.srcaddr
WHERE s.flow_direction = 'egress' OR (s.flow_direction IS NULL AND a.address IS NOT NULL);
