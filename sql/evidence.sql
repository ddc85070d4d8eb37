-- name: evidence
-- The evidence of one security group rule, per remote address: the inbound connections the
-- rule's interfaces accepted in the window on the rule's protocol and ports, from the addresses
-- its peer covers, split into real use and probes (the same classification as connections.sql).
-- The rows are inbound_accepted's (inbound_use.sql, created by open_workspace).
-- Re-run it on the workspace to check any RULE of a plan: its evidence.sources are the rows with
-- is_probe = false, evidence.probes.sources those with is_probe = true.
-- Parameters:
--   $interfaces  VARCHAR[]  the ENIs of the group (plan: coverage.enis)
--   $protocol    INTEGER    IANA number; -1 = all protocols
--   $from_port, $to_port INTEGER  inclusive service-port range; NULL = any (all-protocol, ICMP)
--   $ranges      STRUCT(family INTEGER, lo VARCHAR, hi VARCHAR)[]  the address ranges the
--                peer covers, as the roll-up's fixed-width hex (see schema.sql): one for a CIDR,
--                one per CIDR of a prefix list, one per member address of a referenced group
--   $start, $end TIMESTAMP  the plan's window [start, end)
--   $classify    STRUCT     the plan's classifier settings (Thresholds.as_params())
-- Columns: remote_addr, is_probe, connections, packets, bytes, first_seen, last_seen, keys,
--   daily (list of {day, connections}), sample (raw records kept at ingest).
WITH rows AS (
    SELECT interface_id, protocol, port_key, service_port,
           remote_addr, hour, connections, packets_in + packets_out AS packets,
           bytes_in + bytes_out AS bytes, first_seen, last_seen
    FROM inbound_accepted($interfaces::VARCHAR[], $start, $end)
    WHERE ($protocol = -1 OR protocol = $protocol)
      AND ($from_port IS NULL OR service_port IS NULL
           OR service_port BETWEEN $from_port AND $to_port)
      AND len(list_filter($ranges, r -> r.family = remote_family
                                       AND remote_hex BETWEEN r.lo AND r.hi)) > 0
),
per_key AS (
    SELECT r.interface_id, r.protocol, r.port_key, any_value(r.service_port) AS service_port,
           r.remote_addr, any_value(v.is_probe) AS is_probe
    FROM rows r
    JOIN source_verdicts($interfaces::VARCHAR[], $start, $end, $classify) v
      USING (interface_id, protocol, port_key, remote_addr)
    GROUP BY r.interface_id, r.protocol, r.port_key, r.remote_addr
),
classified AS (
    SELECT r.*, k.is_probe
    FROM rows r
    JOIN per_key k USING (interface_id, protocol, port_key, remote_addr)
),
per_day AS (
    SELECT remote_addr, is_probe, strftime(hour, '%Y-%m-%d') AS day,
           sum(connections) AS connections
    FROM classified
    GROUP BY ALL
),
samples AS (
    SELECT s.remote_addr, k.is_probe, list(s.record ORDER BY s.start_time, s.record) AS sample
    FROM flow_samples s
    JOIN per_key k
      ON k.interface_id = s.interface_id AND k.protocol = s.protocol
     AND k.service_port IS NOT DISTINCT FROM s.service_port AND k.remote_addr = s.remote_addr
    WHERE s.direction = 'inbound' AND s.start_time >= $start AND s.start_time < $end
    GROUP BY ALL
)
SELECT c.remote_addr, c.is_probe, sum(c.connections) AS connections, sum(c.packets) AS packets,
       sum(c.bytes) AS bytes, min(c.first_seen) AS first_seen, max(c.last_seen) AS last_seen,
       count(DISTINCT (c.interface_id, c.protocol, c.port_key)) AS keys,
       any_value(d.daily) AS daily, any_value(s.sample) AS sample
FROM classified c
LEFT JOIN (
    SELECT remote_addr, is_probe, list({'day': day, 'connections': connections} ORDER BY day) AS daily
    FROM per_day GROUP BY ALL
) d USING (remote_addr, is_probe)
LEFT JOIN samples s USING (remote_addr, is_probe)
GROUP BY c.remote_addr, c.is_probe
ORDER BY c.is_probe, connections DESC, c.remote_addr;
