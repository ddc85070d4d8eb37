-- name: pass_learn_listeners
-- learn_listeners.sql from the one-pass rows (temp table `pass_rows`, sql/pass_batch.sql): the
-- ports each interface was seen answering on (it sent a SYN-ACK from that port: flow-direction
-- egress, or no flow-direction and the source address is its own). Accumulates across ingests.
-- T rows say it in `syn_ack_sent` (their port_a is then the sender's port); U rows without
-- flow-direction or with egress keep the record's source address and port in addr_a/port_a.
-- No parameters.
INSERT OR IGNORE INTO listeners
SELECT DISTINCT interface_id, 6, port_a
FROM pass_rows
WHERE kind = 'T' AND syn_ack_sent
UNION
SELECT DISTINCT u.interface_id, 6, u.port_a
FROM pass_rows u
LEFT JOIN (SELECT DISTINCT interface_id, address FROM interface_addresses) a
    ON a.interface_id = u.interface_id AND a.address = u.addr_a
WHERE u.kind = 'U' AND u.flag_class = 3 AND u.port_a IS NOT NULL
  AND (u.flow_direction = 'egress' OR (u.flow_direction IS NULL AND a.address IS NOT NULL));
