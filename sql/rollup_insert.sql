-- name: rollup_insert
-- Appends the batch roll-up (temp table `batch_rollup`) to `flow_rollup`, with the remote
-- address's numeric form. Rows of the same key and hour from different batches stay separate
-- rows: readers sum them. No parameters.
INSERT INTO flow_rollup
SELECT account_id, region, interface_id, direction, basis, protocol, local_addr, service_port,
       remote_addr, ip_family(remote_addr), ip_hex(remote_addr), hour, records, connections,
       packets_in, bytes_in, packets_out, bytes_out, accepted, rejected, tcp_flags,
       first_seen, last_seen
FROM batch_rollup;
