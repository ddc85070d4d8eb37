-- name: learn_listeners
-- Ports each interface was seen answering on: it sent a SYN-ACK (tcp-flags 18 bit set) from that
-- port. Accumulates across ingests. Reads temp table `oriented`. No parameters.
INSERT OR IGNORE INTO listeners
SELECT DISTINCT interface_id, 6, local_port
FROM oriented
WHERE protocol = 6 AND NOT is_rx AND tcp_flags IS NOT NULL AND (tcp_flags & 18) = 18
  AND local_port IS NOT NULL;
