-- name: counted_by
-- Which interfaces had TCP/UDP traffic in the window that was counted by records, not by client
-- ports (docs/planner.md, "What a connection count is"): inbound keys whose records carried no
-- initiator port (a flow-log format without srcport/dstport), so rollup_insert.sql kept none in
-- rollup_client_ports (keys by rollup_batch.sql's key_hash). Parameters: $interfaces
-- (VARCHAR[]), $start, $end (TIMESTAMP). Columns: interface_id (one row per such interface).
WITH keys AS (
    SELECT DISTINCT interface_id,
           hash(interface_id, direction, protocol, service_port, remote_addr) AS key_hash,
           epoch(hour)::BIGINT // 3600 AS hour_index
    FROM inbound_rows($start::TIMESTAMP, $end::TIMESTAMP)
    WHERE protocol IN (6, 17) AND interface_id IN (SELECT unnest($interfaces::VARCHAR[]))
)
SELECT DISTINCT k.interface_id
FROM keys k
ANTI JOIN rollup_client_ports p ON p.key_hash = k.key_hash AND p.hour_index = k.hour_index
ORDER BY 1;
