-- name: counted_by
-- Which interfaces had TCP/UDP traffic in the window that was counted by records, not by client
-- ports (docs/planner.md, "What a connection count is"): inbound keys whose records carried no
-- initiator port (a flow-log format without srcport/dstport), so rollup_insert.sql kept none in
-- rollup_client_ports. Parameters: $interfaces (VARCHAR[]), $start, $end (TIMESTAMP).
-- Columns: interface_id (one row per such interface).
WITH keys AS (
    SELECT DISTINCT interface_id, protocol, service_port, remote_addr, hour
    FROM flow_rollup
    WHERE direction = 'inbound' AND protocol IN (6, 17)
      AND interface_id IN (SELECT unnest($interfaces::VARCHAR[]))
      AND hour >= date_trunc('hour', $start::TIMESTAMP) AND hour < $end::TIMESTAMP
),
ported AS (
    SELECT DISTINCT interface_id, protocol, service_port, remote_addr, hour
    FROM rollup_client_ports
    WHERE direction = 'inbound' AND protocol IN (6, 17)
      AND interface_id IN (SELECT unnest($interfaces::VARCHAR[]))
      AND hour >= date_trunc('hour', $start::TIMESTAMP) AND hour < $end::TIMESTAMP
)
SELECT DISTINCT k.interface_id
FROM keys k
ANTI JOIN ported p
    ON p.interface_id = k.interface_id AND p.protocol = k.protocol
   AND p.service_port IS NOT DISTINCT FROM k.service_port AND p.remote_addr = k.remote_addr
   AND p.hour = k.hour
ORDER BY 1;
