-- name: plan_keys
-- The planner's working set, step 2: one row per (interface, protocol, service port, remote
-- address) from `plan_days` — the rows of connections.sql — plus whether the remote is an
-- internet address (outside every range of $internal). Writes temp table `plan_keys`.
-- (Per-day counts stay in plan_days: only the few connections Python needs get them.)
-- Parameters: $internal (STRUCT(family INTEGER, lo VARCHAR, hi VARCHAR)[], hex ranges as in schema.sql).
CREATE OR REPLACE TEMP TABLE plan_keys AS
SELECT k.*,
       len(list_filter($internal, r -> r.family = k.remote_family
                                       AND k.remote_hex BETWEEN r.lo AND r.hi)) = 0 AS internet
FROM (
    SELECT interface_id, protocol, port_key, nullif(port_key, -1) AS service_port, remote_addr,
           any_value(remote_family) AS remote_family, any_value(remote_hex) AS remote_hex,
           sum(connections)::BIGINT AS connections, sum(packets)::BIGINT AS packets, sum(bytes)::BIGINT AS bytes,
           min(first_seen) AS first_seen, max(last_seen) AS last_seen,
           bool_and(probe_like) AS is_probe, any_value(verdict) AS verdict
    FROM plan_days
    GROUP BY interface_id, protocol, port_key, remote_addr
) k;
