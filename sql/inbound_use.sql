-- name: inbound_use
-- The one definition of "what the interfaces let in during the window", as two table macros
-- every analysis query reads the roll-up through. Created with the workspace (after macros.sql,
-- before classify_sources.sql, which uses them). No parameters.
-- inbound_rows(start_at, end_at): the roll-up rows of inbound connections with an hour in
--   [start_at, end_at), accepted or not, every interface. Only `direction = 'inbound'` counts
--   (the interface answered: return traffic of connections it opened is never use of an inbound
--   rule). The classifier reads these (rejections and other interfaces are signals too).
-- inbound_accepted(interfaces, start_at, end_at): those of the interfaces (VARCHAR[]) with
--   accepted records (`accepted > 0`): a rejected attempt was not let in by any rule. Use.
-- Columns: those of flow_rollup (schema.sql), plus port_key (service_port, -1 when it has none:
--   the join key of source_verdicts).
CREATE OR REPLACE TEMP MACRO inbound_rows(start_at, end_at) AS TABLE
    SELECT *, coalesce(service_port, -1) AS port_key
    FROM flow_rollup
    WHERE direction = 'inbound' AND hour >= start_at AND hour < end_at;
CREATE OR REPLACE TEMP MACRO inbound_accepted(interfaces, start_at, end_at) AS TABLE
    SELECT *
    FROM inbound_rows(start_at, end_at)
    WHERE accepted > 0 AND interface_id IN (SELECT unnest(interfaces::VARCHAR[]));
