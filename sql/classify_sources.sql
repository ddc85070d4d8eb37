-- name: classify_sources
-- The one definition of "is this source a scanner": the table macro source_verdicts(...), used by
-- connections.sql, plan_days.sql and evidence.sql. Created with the workspace (after macros.sql and inbound_use.sql).
-- source_verdicts(interfaces, start_at, end_at, cfg) -> one row per (interface_id, protocol,
-- port_key, remote_addr) the interfaces accepted inbound in [start_at, end_at), with is_probe and
-- verdict (the reasons, in words, for the evidence).
-- `cfg` is the planner's Thresholds as a STRUCT (docs/planner.md "Classifying sources"):
--   max_bytes_in, max_packets_in, max_payload_in, no_response   handshake-sized rows (probe_like)
--   max_session_bytes   sessions (both directions, on average over the key) no larger than
--                       this are "small"
--   max_request_bytes, max_answer_bytes   an opening message and its answer (no protocol's first
--                       exchange is larger: TRAFFIC_FACTS.md "What a first exchange carries")
--   burst_max_hours, burst_min_sessions   a burst: this many small sessions within these hours
--   return_min_hours    a source came back when its first and last record on the key are at
--                       least this far apart
--   sweep_min_ports     a source that reached this many (protocol, port)s anywhere in the
--                       workspace, or was rejected on a target where nothing was accepted, sweeps
--   internal            STRUCT(family, lo, hi)[]: addresses that never come from the internet
-- Signals per connection (hour-row), per source (the whole workspace in the window) and per key.
-- Rules, first that applies:
--   1 real   an internal source that came back (load-balancer health checks, pools, VPN users)
--   2 probe  every row handshake-sized, banner-only or unanswered
--   3 probe  every session small and the source sweeps
--   4 probe  an internet source's burst of small sessions that never came back (credential
--            brute force), counted over every interface it tried on that service
-- Verdict texts start with the kind: "real:", "probe:" (judged on the exchange itself: rules
-- 2 and 5) or "scanner:" (judged on the source's behaviour: sweeps, rule 3; bursts, rule 4).
--   5 probe  an internet source's one-time opening message answered with no more than an
--            opening answer, with no larger session anywhere (protocol probes)
-- Rules 4 and 5 spare internal sources: a short-lived internal caller is far more often a job
-- than an attacker, and its access is narrowed to its own address anyway.
--   6 real   everything else: one real exchange keeps access
CREATE OR REPLACE TEMP MACRO source_verdicts(interfaces, start_at, end_at, cfg) AS TABLE
WITH rows AS (
    SELECT interface_id, protocol, port_key, remote_addr,
           remote_family, remote_hex, connections, packets_in, bytes_in, packets_out, bytes_out,
           accepted, rejected, tcp_flags, first_seen, last_seen
    FROM inbound_rows(start_at, end_at)
),
per_target AS (
    SELECT remote_addr, interface_id, protocol, port_key, sum(accepted) AS accepted,
           sum(bytes_in + bytes_out) FILTER (WHERE accepted > 0)
               / greatest(sum(connections) FILTER (WHERE accepted > 0), 1) AS largest
    FROM rows
    GROUP BY ALL
),
per_source AS (
    SELECT remote_addr,
           count(DISTINCT (protocol, port_key)) AS ports,
           count(DISTINCT interface_id) AS targets,
           count(*) FILTER (WHERE accepted = 0) AS rejected_targets,
           coalesce(max(largest), 0) AS largest_anywhere
    FROM per_target
    GROUP BY remote_addr
),
per_service AS (
    -- a source's use of one service across every interface of the workspace: a brute forcer
    -- that spreads its attempts over several interfaces is one burst, not a few small ones
    SELECT remote_addr, protocol, port_key, sum(connections)::BIGINT AS service_sessions,
           count(DISTINCT interface_id) AS service_targets,
           date_diff('second', min(first_seen), max(last_seen)) / 3600.0 AS service_span_hours
    FROM rows
    WHERE accepted > 0
    GROUP BY ALL
),
per_key AS (
    SELECT interface_id, protocol, port_key, remote_addr, any_value(remote_family) AS remote_family,
           any_value(remote_hex) AS remote_hex, sum(connections)::BIGINT AS sessions,
           count(DISTINCT first_seen::DATE) AS days,
           date_diff('second', min(first_seen), max(last_seen)) / 3600.0 AS span_hours,
           -- a key's typical session: totals over sessions. An hour-row alone misleads: one that
           -- holds the tails of connections opened the hour before counts none of their SYNs.
           sum(bytes_in + bytes_out) / greatest(sum(connections), 1) AS mean_session,
           (sum(bytes_in) - sum(packets_in) * (CASE WHEN any_value(remote_family) = 6 THEN 60 ELSE 40 END))
               / greatest(sum(connections), 1) AS mean_request,
           (sum(bytes_out) - sum(packets_out) * (CASE WHEN any_value(remote_family) = 6 THEN 60 ELSE 40 END))
               / greatest(sum(connections), 1) AS mean_answer,
           bool_and(probe_like(protocol, remote_family, connections, packets_in, bytes_in,
                               packets_out, struct_extract(cfg, 'max_bytes_in'), struct_extract(cfg, 'max_packets_in'), struct_extract(cfg, 'max_payload_in'),
                               struct_extract(cfg, 'no_response'))) AS handshake_only,
           bool_or((tcp_flags & 4) = 4) AS reset_seen
    FROM rows
    -- a semi-join, not list_contains: that scans the whole list again for every row
    WHERE accepted > 0 AND interface_id IN (SELECT unnest(interfaces))
    GROUP BY interface_id, protocol, port_key, remote_addr
),
signals AS (
    SELECT k.*, s.ports, s.targets, s.rejected_targets, s.largest_anywhere,
           v.service_sessions, v.service_targets, v.service_span_hours,
           len(list_filter(struct_extract(cfg, 'internal'), r -> r.family = k.remote_family
                                            AND k.remote_hex BETWEEN r.lo AND r.hi)) > 0
               AS internal,
           k.span_hours >= struct_extract(cfg, 'return_min_hours') AS returned,
           k.mean_session <= struct_extract(cfg, 'max_session_bytes') AS small,
           s.ports >= struct_extract(cfg, 'sweep_min_ports') OR s.rejected_targets > 0 AS sweeps
    FROM per_key k
    JOIN per_source s USING (remote_addr)
    JOIN per_service v USING (remote_addr, protocol, port_key)
),
ruled AS (
    SELECT *,
           CASE
               WHEN internal AND returned THEN 1
               WHEN handshake_only THEN 2
               WHEN small AND sweeps THEN 3
               WHEN NOT internal AND small AND NOT returned
                    AND service_span_hours <= struct_extract(cfg, 'burst_max_hours')
                    AND service_sessions >= struct_extract(cfg, 'burst_min_sessions') THEN 4
               WHEN NOT internal AND NOT returned AND mean_request <= struct_extract(cfg, 'max_request_bytes')
                    AND mean_answer <= struct_extract(cfg, 'max_answer_bytes')
                    AND largest_anywhere <= struct_extract(cfg, 'max_session_bytes') THEN 5
               ELSE 6
           END AS rule
    FROM signals
)
SELECT interface_id, protocol, port_key, remote_addr, rule IN (2, 3, 4, 5) AS is_probe,
       CASE rule
           WHEN 1 THEN printf('real: internal source, back over %.0f hours on %d day(s), %d session(s)',
                              span_hours, days, sessions)
           WHEN 2 THEN printf('probe: %d handshake-sized or unanswered session(s) on %d day(s)%s%s',
                              sessions, days,
                              CASE WHEN returned THEN '' ELSE ', never returned' END,
                              CASE WHEN reset_seen THEN ', reset by the source' ELSE '' END)
           WHEN 3 THEN printf('scanner: %d small session(s) (%d B on average); the source reached %d port(s) on %d interface(s), rejected on %d target(s)',
                              sessions, mean_session::BIGINT, ports, targets, rejected_targets)
           WHEN 4 THEN printf('scanner: %d small sessions (%d B on average) within %.1f hours on one day on %d interface(s), never returned, answered with %d B a session on average',
                              service_sessions, mean_session::BIGINT, service_span_hours,
                              service_targets, greatest(mean_answer, 0)::BIGINT)
           WHEN 5 THEN printf('probe: %d opening message(s) of about %d B answered with about %d B, never returned, no larger session anywhere',
                              sessions, greatest(mean_request, 0)::BIGINT,
                              greatest(mean_answer, 0)::BIGINT)
           ELSE printf('real: %d session(s) on %d day(s), %d B a session on average%s',
                       sessions, days, mean_session::BIGINT,
                       CASE WHEN returned THEN ', came back' ELSE '' END)
       END AS verdict
FROM ruled;
