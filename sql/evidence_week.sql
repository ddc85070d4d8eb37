-- name: evidence_week
-- A rule's real use by UTC weekday and hour of day over the window: when the rule is really
-- used (office hours, a nightly job, a weekly report), probes left out. The rows, the filters
-- and the classification are those of evidence.sql, so the cells add up to its real connections.
-- Parameters: those of evidence.sql ($interfaces, $protocol, $from_port, $to_port, $ranges,
--   $start, $end, $classify).
-- Columns: weekday (ISO: 1 = Monday), hour (0-23), connections
WITH rows AS (
    SELECT interface_id, protocol, port_key, remote_addr, hour, connections
    FROM inbound_accepted($interfaces::VARCHAR[], $start, $end)
    WHERE ($protocol = -1 OR protocol = $protocol)
      AND ($from_port IS NULL OR service_port IS NULL
           OR service_port BETWEEN $from_port AND $to_port)
      AND len(list_filter($ranges, r -> r.family = remote_family
                                       AND remote_hex BETWEEN r.lo AND r.hi)) > 0
),
real_keys AS (
    SELECT DISTINCT interface_id, protocol, port_key, remote_addr
    FROM source_verdicts($interfaces::VARCHAR[], $start, $end, $classify)
    WHERE NOT is_probe
)
SELECT isodow(r.hour) AS weekday, hour(r.hour) AS hour, sum(r.connections) AS connections
FROM rows r
JOIN real_keys k USING (interface_id, protocol, port_key, remote_addr)
GROUP BY ALL
ORDER BY weekday, hour;
